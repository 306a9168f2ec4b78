/** Keyboard use and accessible names, on every screen of the running app. */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { goTo, type SpecContext } from './helpers.js';

const SCREENS = ['Dashboard', 'Keys', 'Vault', 'Servers', 'Settings', 'Backup'] as const;

/** Controls without an accessible name (label, aria-label/labelledby, or text), described for the failure message. */
async function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    for (const element of Array.from(document.querySelectorAll('button, input, select, textarea, progress, [role="button"]'))) {
      const html = element as HTMLElement & { labels?: NodeListOf<HTMLLabelElement> | null };
      const named = (html.labels && html.labels.length > 0)
        || Boolean(html.getAttribute('aria-label'))
        || Boolean(html.getAttribute('aria-labelledby'))
        || ((element.tagName === 'BUTTON' || html.getAttribute('role') === 'button') && (html.textContent ?? '').trim() !== '')
        || (element.tagName === 'INPUT' && (element as HTMLInputElement).type === 'checkbox' && html.closest('label') !== null);
      if (!named) problems.push(element.outerHTML.slice(0, 120));
    }
    return problems;
  });
}

export async function accessibilitySpec(context: SpecContext): Promise<void> {
  const { page } = context;
  for (const screen of SCREENS) {
    await goTo(page, screen);
    assert.deepEqual(await unnamedControls(page), [], `controls without an accessible name on ${screen}`);
  }
  // Keyboard only: Alt+1..6 switch screens; a form is filled and submitted with the keyboard alone.
  for (const [index, screen] of SCREENS.entries()) {
    await page.keyboard.press(`Alt+${index + 1}`);
    await page.getByRole('heading', { level: 1, name: screen }).waitFor();
  }
  await page.keyboard.press('Alt+2');
  await page.getByLabel('Key name', { exact: true }).focus();
  await page.keyboard.type('typed-with-keyboard');
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: 'Generated "typed-with-keyboard"' }).waitFor();
  // Tab reaches the key's actions in order, each focusable (once the list has been re-read).
  const copy = page.getByRole('button', { name: 'Copy key id of typed-with-keyboard' });
  await copy.waitFor();
  await page.waitForFunction(() => !document.querySelector('[role="status"] progress'));
  await copy.focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Export typed-with-keyboard');
}

/** "Lock now" (the same path the idle timer takes) drops what the window showed; resuming needs a typed word. */
export async function lockSpec(context: SpecContext, keyName: string): Promise<void> {
  const { page } = context;
  await goTo(page, 'Keys');
  await page.getByRole('button', { name: `Export ${keyName}` }).click();
  const dialog = page.getByRole('group', { name: `Export ${keyName}` });
  await dialog.getByLabel(`Type "${keyName}" to confirm`).fill(keyName);
  await dialog.getByRole('button', { name: 'Reveal key once' }).click();
  await dialog.getByRole('region', { name: 'Revealed key' }).waitFor();
  await page.getByRole('button', { name: 'Lock now' }).click();
  await page.getByRole('heading', { name: 'Key Custodian is locked' }).waitFor();
  assert.equal(await page.getByRole('region', { name: 'Revealed key' }).count(), 0, 'the revealed key is gone');
  const resume = page.getByRole('button', { name: 'Continue' });
  assert.equal(await resume.isDisabled(), true);
  await page.getByLabel('Type resume to continue').fill('resume');
  await resume.click();
  // Back on the same screen, freshly mounted: the export dialog is closed and the key is not shown.
  await page.getByRole('heading', { level: 1, name: 'Keys' }).waitFor();
  assert.equal(await page.getByRole('group', { name: `Export ${keyName}` }).count(), 0);
  assert.equal(await page.getByRole('region', { name: 'Revealed key' }).count(), 0, 'nothing comes back after resuming');
}
