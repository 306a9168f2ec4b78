/** Keys screen against the real core and a real keyring: generate, a bad key refused, export behind confirmation. */
import assert from 'node:assert/strict';
import { decodeFernetKey, keyId } from '../../../src-main/core/crypto/index.js';
import { alertWithCode, confirmPresence, goTo, waitForText, type SpecContext } from './helpers.js';

export const KEY_ID = /K1-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}/;

/** Generates a key through the UI and returns its id as the Keys table shows it. */
export async function generateKey({ page }: SpecContext, name: string): Promise<string> {
  await goTo(page, 'Keys');
  await page.getByLabel('Key name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Generate key' }).click();
  const notice = await waitForText(page.getByRole('status').filter({ hasText: 'Generated' }), new RegExp(`Generated "${name}" \\(K1-`));
  const id = KEY_ID.exec(notice)?.[0];
  assert.ok(id, `no key id in: ${notice}`);
  const row = page.getByRole('table', { name: 'Keys' }).getByRole('row').filter({ hasText: name });
  await waitForText(row, new RegExp(id));
  return id;
}

export async function keysSpec(context: SpecContext): Promise<{ id: string; name: string; keyText: string }> {
  const { page } = context;
  const name = 'mail-helper';
  const id = await generateKey(context, name);

  // A key that is not a Fernet key is refused with a clear error, and nothing is added.
  await page.getByLabel('Imported key name').fill('not-a-key');
  await page.getByLabel('Fernet key').fill('this-is-not-a-fernet-key');
  await page.getByRole('button', { name: 'Import key' }).click();
  const invalid = await alertWithCode(page.locator('form', { has: page.getByRole('heading', { name: 'Import a key' }) }), 'INVALID_KEY');
  assert.doesNotMatch(invalid, /this-is-not-a-fernet-key/, 'the error must not echo the input');
  assert.equal(await page.getByRole('table', { name: 'Keys' }).getByRole('row').filter({ hasText: 'not-a-key' }).count(), 0);
  assert.equal(await page.getByLabel('Fernet key').inputValue(), '', 'the typed key is cleared from the window once sent');
  // The "Generated" notice belonged to the previous action: the failed import cleared it.
  assert.equal(await page.getByRole('status').filter({ hasText: 'Generated' }).count(), 0, 'no stale success notice next to the error');

  // Export asks for the key's name: until it matches exactly, neither button can be pressed.
  await page.getByRole('button', { name: `Export ${name}` }).click();
  const dialog = page.getByRole('group', { name: `Export ${name}` });
  const reveal = dialog.getByRole('button', { name: 'Reveal key once' });
  const copy = dialog.getByRole('button', { name: 'Copy key to clipboard' });
  assert.equal(await reveal.isDisabled(), true, 'disabled before anything is typed');
  await dialog.getByLabel(`Type "${name}" to confirm`).fill('wrong-name');
  assert.equal(await reveal.isDisabled(), true);
  assert.equal(await copy.isDisabled(), true);
  await dialog.getByLabel(`Type "${name}" to confirm`).fill(name.slice(0, -1));
  assert.equal(await reveal.isDisabled(), true, 'a prefix of the name is not the name');
  assert.equal(await dialog.getByRole('region', { name: 'Revealed key' }).count(), 0);

  await dialog.getByLabel(`Type "${name}" to confirm`).fill(name);
  assert.equal(await copy.isEnabled(), true);
  await reveal.click();
  // Revealing asks for the officer's presence first (the unlock passphrase here: no Touch ID in Chromium).
  await confirmPresence(context);
  const revealed = (await dialog.getByRole('region', { name: 'Revealed key' }).locator('code').innerText()).trim();
  // The revealed text is the real key: its key id is the one listed.
  const raw = decodeFernetKey(revealed);
  assert.equal(keyId(raw), id);
  raw.fill(0);
  await dialog.getByRole('button', { name: 'Hide key' }).click();
  assert.equal(await dialog.getByRole('region', { name: 'Revealed key' }).count(), 0);
  await dialog.getByRole('button', { name: 'Close' }).click();

  await context.shot('keys');
  return { id, name, keyText: revealed };
}

/** Delete asks for the key's name; with a wrong name the button stays disabled; the right one removes it from the list. */
export async function deleteKeySpec({ page }: SpecContext, name: string): Promise<void> {
  await goTo(page, 'Keys');
  await page.getByRole('button', { name: `Delete ${name}` }).click();
  const dialog = page.getByRole('group', { name: `Delete ${name}` });
  const remove = dialog.getByRole('button', { name: 'Delete key' });
  assert.equal(await remove.isDisabled(), true, 'disabled before anything is typed');
  await dialog.getByLabel(`Type "${name}" to delete it`).fill(`${name}-typo`);
  assert.equal(await remove.isDisabled(), true, 'disabled while the typed name differs');
  const cell = page.getByRole('table', { name: 'Keys' }).getByRole('cell', { name, exact: true });
  assert.equal(await cell.count(), 1, 'still listed');
  await dialog.getByLabel(`Type "${name}" to delete it`).fill(name);
  await dialog.getByRole('button', { name: 'Delete key' }).click();
  await page.getByRole('status').filter({ hasText: `Deleted "${name}".` }).waitFor();
  await page.getByRole('group', { name: `Delete ${name}` }).waitFor({ state: 'detached' });
  assert.equal(await cell.count(), 0);
}
