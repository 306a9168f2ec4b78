/**
 * The Keys screen's "Encrypt and decrypt files" section against the real core and a real keyring: the window
 * names keys, main's dialogs choose the files (the bridge's test dialogs: open answers with the queued file,
 * save answers inside the test directory), and the window shows main's summary or its coded error.
 */
import type { Locator, Page } from 'playwright-core';
import { afterPresence, goTo, waitForText, type SpecContext } from './helpers.js';

type Operation = 'Encrypt' | 'Decrypt' | 'Rotate';

/** The form of one operation, opened fresh from its button in the section (no result or alert of an earlier run). */
export async function fernetForm(page: Page, operation: Operation): Promise<Locator> {
  await goTo(page, 'Keys');
  const section = page.getByRole('region', { name: 'Encrypt and decrypt files' });
  const buttons = section.getByRole('group', { name: 'File operation' });
  // Another operation first, so the wanted form is mounted anew.
  await buttons.getByRole('button', { name: operation === 'Encrypt' ? 'Decrypt' : 'Encrypt', exact: true }).click();
  await buttons.getByRole('button', { name: operation, exact: true }).click();
  const title = { Encrypt: 'Encrypt a file', Decrypt: 'Decrypt a file', Rotate: 'Re-encrypt tokens under a new key' }[operation];
  const form = section.getByRole('form', { name: title });
  await form.waitFor();
  return form;
}

/** The option label of a key in the selects: "name (id)". */
const option = (name: string, id: string): { label: string } => ({ label: `${name} (${id})` });

/** Encrypts the file the next open dialog answers with; returns the token file main saved. */
export async function encryptSpec(context: SpecContext, key: { name: string; id: string }, queueOpen: () => Promise<void>): Promise<{ output: string; summary: string }> {
  const form = await fernetForm(context.page, 'Encrypt');
  await form.getByLabel('Key to encrypt with').selectOption(option(key.name, key.id));
  await queueOpen();
  await form.getByRole('button', { name: 'Choose a file and encrypt…' }).click();
  const summary = await waitForText(form.getByRole('status').filter({ hasText: 'Encrypted' }), new RegExp(`Encrypted \\S+ \\(\\d+ bytes\\) with ${key.name} \\(${key.id}\\) into (\\S+) \\(\\d+ bytes\\)\\.`));
  return { output: /into (\S+) \(/.exec(summary)![1]!, summary };
}

/**
 * Decrypts the queued token file with `key` (or any key in the keychain), answering the presence dialog if main
 * asks for it first (`askedPresence`). Returns the written file and the summary, or `refused` (the form, showing
 * an alert).
 */
export async function decryptSpec(context: SpecContext, key: { name: string; id: string } | undefined, queueOpen: () => Promise<void>, ttl?: string): Promise<{ output?: string; summary?: string; refused?: Locator; askedPresence: boolean }> {
  const { page } = context;
  const form = await fernetForm(page, 'Decrypt');
  if (key) await form.getByLabel('Key to decrypt with').selectOption(option(key.name, key.id));
  else await form.getByLabel('Key to decrypt with').selectOption({ label: 'Any key in the keychain' });
  await form.getByLabel('Maximum token age in seconds (optional)').fill(ttl ?? '');
  await queueOpen();
  await form.getByRole('button', { name: 'Choose a token file and decrypt…' }).click();
  const done = form.getByRole('status').filter({ hasText: 'Decrypted' });
  const alert = form.getByRole('alert');
  const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
  const first = await Promise.race([
    dialog.waitFor({ timeout: 60_000 }).then(() => 'dialog' as const),
    done.or(alert).first().waitFor({ timeout: 60_000 }).then(() => 'answered' as const),
  ]);
  if (first === 'dialog') await afterPresence(page, done.or(alert), context.passphrase);
  const askedPresence = first === 'dialog';
  if (await alert.count() > 0) return { refused: form, askedPresence };
  const summary = await waitForText(done, /Decrypted \S+ with \S+ \(K1-[A-Z0-9-]+\) into (\S+) \(\d+ bytes\); the token was made /);
  return { output: /into (\S+) \(/.exec(summary)![1]!, summary, askedPresence };
}

/** Re-encrypts the queued token file under `key` (previous: any other key); returns the output and which key opened how many. */
export async function rotateSpec(context: SpecContext, key: { name: string; id: string }, queueOpen: () => Promise<void>): Promise<{ output: string; summary: string; openedBy: string[] }> {
  const form = await fernetForm(context.page, 'Rotate');
  await form.getByLabel('New key (encrypts)').selectOption(option(key.name, key.id));
  await form.getByLabel('Previous key').selectOption({ label: 'Any other key in the keychain' });
  await queueOpen();
  await form.getByRole('button', { name: 'Choose a token file and re-encrypt…' }).click();
  const status = form.getByRole('status').filter({ hasText: 'Re-encrypted' });
  const summary = await waitForText(status, new RegExp(`Re-encrypted \\d+ tokens from \\S+ under ${key.name} \\(${key.id}\\) into (\\S+)\\.`));
  const openedBy = (await status.getByRole('list', { name: 'Keys that opened the tokens' }).getByRole('listitem').allInnerTexts()).map((line) => line.trim());
  return { output: /into (\S+)\.$/m.exec(summary.split('\n')[0]!)![1]!, summary, openedBy };
}
