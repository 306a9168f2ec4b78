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
  // Out of range: a clear error, nothing saved.
  await page.getByLabel('Lock after idle (minutes)').fill('0');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.locator('[role="alert"][data-code="INVALID_INPUT"]').waitFor();
  await page.getByLabel('Lock after idle (minutes)').fill('5');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByRole('status').filter({ hasText: 'Settings saved.' }).waitFor();
}
