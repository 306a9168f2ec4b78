import assert from 'node:assert/strict';
import { goTo, waitForText, type SpecContext } from './helpers.js';

/** The dashboard after the ceremonies: every node unsealed, the server unlocked, the keys counted. */
export async function dashboardSpec(context: SpecContext, expect: { nodes: number; server: string }): Promise<void> {
  const { page } = context;
  await goTo(page, 'Dashboard');
  await waitForText(page.getByRole('region', { name: 'Keys' }), /\d+ keys? in the keychain/);
  const nodes = page.getByRole('list', { name: 'Vault nodes' }).getByRole('listitem');
  await nodes.first().waitFor({ timeout: 30_000 });
  assert.equal(await nodes.count(), expect.nodes);
  for (let i = 0; i < expect.nodes; i++) assert.match(await nodes.nth(i).innerText(), /unsealed/i);
  await waitForText(page.getByRole('list', { name: 'Servers' }), new RegExp(`${expect.server}[\\s\\S]*unlocked`, 'i'), 30_000);
  await context.shot('dashboard');
}

export async function settingsSpec({ page }: SpecContext, watchSeconds: number): Promise<void> {
  await goTo(page, 'Settings');
  await page.getByLabel('Refresh status every (seconds)').fill(String(watchSeconds));
  await page.getByLabel('Clear clipboard after (seconds)').fill('30');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
  // Out of range: one sentence under each wrong field (never the schema's raw text), nothing saved, and the
  // earlier "saved" notice is gone.
  const idle = page.getByLabel('Lock after idle (minutes)');
  const clipboard = page.getByLabel('Clear clipboard after (seconds)');
  await idle.fill('0');
  await clipboard.fill('2.5');
  await page.getByRole('button', { name: 'Save settings' }).click();
  const form = page.getByRole('form', { name: 'Settings' });
  await form.locator('[data-code="INVALID_INPUT"]').waitFor();
  const errors = form.locator('.field-error');
  assert.deepEqual(await errors.allInnerTexts(), [
    'Lock after idle: give a whole number of minutes from 1 to 240.',
    'Clear clipboard after: give a whole number of seconds from 5 to 600.',
  ]);
  assert.equal(await idle.getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('Refresh status every (seconds)').getAttribute('aria-invalid'), null);
  assert.doesNotMatch(await form.innerText(), /Too small|expected|Invalid input|received/i, 'no raw schema text');
  assert.equal(await page.getByRole('status').filter({ hasText: 'Settings saved.' }).count(), 0, 'no stale "saved" notice');
  await idle.fill('5');
  await clipboard.fill('30');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
  assert.equal(await errors.count(), 0, 'the field errors go once the values are right');
}
