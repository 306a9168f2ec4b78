import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';

/** What every spec gets, from the Chromium runner (test bridge) or the Electron runner alike. */
export interface SpecContext {
  page: Page;
  /** Environment of the app's core (keyring, Vault CA, ...), for checks made from the test side. */
  env: Record<string, string>;
  shot(name: string): Promise<string>;
  /** The local unlock passphrase set for this run (asked before a reveal and to resume from the lock). */
  passphrase: string;
  /**
   * Closes the window's page and opens the app in a new one, updating `page` (the Chromium runner; the
   * Electron runner has no second window to open, so there a reload stands in for it).
   */
  reopen?(): Promise<Page>;
}

/** Answers the presence dialog ("Confirm it is you") with the run's unlock passphrase, if it shows. */
export async function confirmPresence({ page, passphrase }: SpecContext, timeoutMs = 5_000): Promise<boolean> {
  const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
  try {
    await dialog.waitFor({ timeout: timeoutMs });
  } catch {
    return false; // confirmed a moment ago: main's grace period still holds
  }
  await dialog.getByLabel('Unlock passphrase').fill(passphrase);
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await dialog.waitFor({ state: 'detached', timeout: 30_000 });
  return true;
}

/** The unlock passphrase the e2e runs set (support/bridge.ts's default, and desktop.test.ts's first run). */
export const E2E_UNLOCK_PASSPHRASE = 'e2e unlock passphrase 7';

/**
 * Waits for `shown` after an action that may first ask for presence ("Confirm it is you": main asks before a
 * reveal unless confirmed in the last minute). Answers the dialog with the keyboard alone (its field has focus),
 * so keyboard-only runs can use it too.
 */
export async function afterPresence(page: Page, shown: Locator, passphrase = E2E_UNLOCK_PASSPHRASE, timeoutMs = 60_000): Promise<void> {
  const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
  const first = await Promise.race([
    dialog.waitFor({ timeout: timeoutMs }).then(() => 'dialog' as const),
    shown.first().waitFor({ timeout: timeoutMs }).then(() => 'shown' as const),
  ]);
  if (first === 'dialog') {
    await page.keyboard.type(passphrase);
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    await shown.first().waitFor({ timeout: timeoutMs });
  }
}

/** Waits until the locator's text matches, and fails with what it showed instead. */
export async function waitForText(locator: Locator, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      last = (await locator.first().innerText({ timeout: 1000 })).trim();
      if (pattern.test(last)) return last;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) assert.fail(`expected text matching ${pattern}, last saw: ${JSON.stringify(last.slice(0, 400))}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function goTo(page: Page, screen: 'Dashboard' | 'Keys' | 'Vault' | 'Servers' | 'Settings' | 'Backup'): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: screen, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: screen }).waitFor();
}

/** The alert shown for a failed action: its error code and text. */
export async function alertWithCode(scope: Page | Locator, code: string, timeout = 30_000): Promise<string> {
  const alert = scope.locator(`[role="alert"][data-code="${code}"]`).first();
  await alert.waitFor({ timeout });
  return alert.innerText();
}

/** Runs a step; if it fails, adds what the window showed (alerts, heading) and saves a screenshot. */
export async function withDiagnostics<T>(context: SpecContext, name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    let shown = '';
    try {
      const alerts = await context.page.locator('[role="alert"]').allInnerTexts();
      const heading = await context.page.locator('h1').first().innerText({ timeout: 1000 });
      const path = await context.shot(`failure-${name}`);
      shown = `\n  window: ${heading}; alerts: ${JSON.stringify(alerts)}; screenshot: ${path}`;
    } catch {
      // the window itself is gone: the original error says enough
    }
    if (error instanceof Error) error.message += shown;
    throw error;
  }
}
