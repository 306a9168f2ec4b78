import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';

/** What every spec gets, from the Chromium runner (test bridge) or the Electron runner alike. */
export interface SpecContext {
  page: Page;
  /** Environment of the app's core (keyring, Vault CA, ...), for checks made from the test side. */
  env: Record<string, string>;
  shot(name: string): Promise<string>;
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
export async function alertWithCode(scope: Page | Locator, code: string): Promise<string> {
  const alert = scope.locator(`[role="alert"][data-code="${code}"]`).first();
  await alert.waitFor({ timeout: 30_000 });
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
