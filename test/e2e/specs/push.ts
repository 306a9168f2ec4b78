/**
 * Servers screen against a real receiver process: pin it after confirming its identity fingerprint, push a
 * wrong key (refused, still locked), push the right key (unlocked, with a verified receipt).
 */
import assert from 'node:assert/strict';
import { alertWithCode, goTo, waitForText, type SpecContext } from './helpers.js';

/** The line to put in a receiver's authorized-custodians file, as the app shows it. */
export async function custodianEntry({ page }: SpecContext): Promise<string> {
  await goTo(page, 'Servers');
  await page.getByRole('button', { name: 'Show identity entry' }).click();
  const line = (await page.getByLabel('Authorized-custodians entry').innerText()).trim();
  assert.match(line, /^ed25519:[A-Za-z0-9_-]{43} /);
  return line;
}

export async function addServerSpec({ page }: SpecContext, name: string, url: string, identity: string): Promise<void> {
  await goTo(page, 'Servers');
  await page.getByLabel('Server name').fill(name);
  await page.getByLabel('Receiver URL').fill(url);
  await page.getByRole('button', { name: 'Fetch server identity' }).click();
  const shown = (await page.getByTestId('server-identity').innerText({ timeout: 30_000 })).trim();
  assert.equal(shown, identity, 'the app shows the identity the receiver printed at start');
  const add = page.getByRole('button', { name: 'Pin identity and add server' });
  assert.equal(await add.isDisabled(), true, 'nothing is pinned before the officer confirms the fingerprint');
  // A fingerprint that differs from the deploy output blocks the add.
  await page.getByLabel('Fingerprint from the deploy output (optional)').fill(`${identity.slice(0, -2)}xx`);
  await page.getByRole('alert').filter({ hasText: 'The fingerprints differ' }).waitFor();
  assert.equal(await add.isDisabled(), true);
  await page.getByLabel('Fingerprint from the deploy output (optional)').fill(identity);
  await page.getByRole('status').filter({ hasText: 'The fingerprints match.' }).waitFor();
  await add.click();
  const row = page.getByRole('table', { name: 'Servers' }).getByRole('row').filter({ hasText: name });
  await waitForText(row, /locked/i, 30_000);
}

async function push(context: SpecContext, keyName: string, server: string): Promise<void> {
  const { page } = context;
  const form = page.locator('form', { has: page.getByRole('heading', { name: 'Push a key' }) });
  const option = form.getByLabel('Key to push').locator('option', { hasText: keyName });
  await form.getByLabel('Key to push').selectOption(await option.getAttribute('value') ?? '');
  const box = form.getByRole('checkbox', { name: new RegExp(`^${server}`) });
  if (!(await box.isChecked())) await box.check();
  await form.getByRole('button', { name: 'Push key' }).click();
}

export async function wrongKeySpec(context: SpecContext, wrongKeyName: string, server: string): Promise<void> {
  const { page } = context;
  await goTo(page, 'Servers');
  await push(context, wrongKeyName, server);
  const results = page.getByRole('list', { name: 'Push results' });
  await waitForText(results, new RegExp(`${server}: refused, still locked`), 60_000);
  const text = await alertWithCode(results, 'PUSH_REFUSED');
  assert.match(text, /does not accept|refused the key/);
}

export async function pushSpec(context: SpecContext, keyName: string, keyId: string, server: string): Promise<void> {
  const { page } = context;
  await goTo(page, 'Servers');
  await push(context, keyName, server);
  const results = page.getByRole('list', { name: 'Push results' });
  const line = await waitForText(results, new RegExp(`${server}: unlocked`), 60_000);
  assert.match(line, new RegExp(`receipt: server [\\s\\S]*keys ${keyId}`));
  const row = page.getByRole('table', { name: 'Servers' }).getByRole('row').filter({ hasText: server });
  await waitForText(row, /unlocked/i, 30_000);
  await context.shot('push-result');
}

/**
 * Remove asks first: "Keep" changes nothing, the confirmation removes the server (and its pinned identity)
 * from the list; the receiver itself is untouched.
 */
export async function removeServerSpec({ page }: SpecContext, name: string): Promise<void> {
  await goTo(page, 'Servers');
  const table = page.getByRole('table', { name: 'Servers' });
  const row = table.getByRole('row').filter({ hasText: name });
  await row.waitFor();
  await row.getByRole('button', { name: `Remove ${name}` }).click();
  let dialog = page.getByRole('alertdialog', { name: `Remove ${name}?` });
  await waitForText(dialog, /forgets this server and its pinned identity/);
  await dialog.getByRole('button', { name: 'Keep' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await row.count(), 1, 'Keep removed nothing');
  await row.getByRole('button', { name: `Remove ${name}` }).click();
  dialog = page.getByRole('alertdialog', { name: `Remove ${name}?` });
  await dialog.getByRole('button', { name: `Remove ${name}` }).click();
  await page.getByText('No servers yet. Add one below.').waitFor();
}

/**
 * `server status --watch --until STATE` with a timeout: waiting for the state the server is in ends at once;
 * waiting for the other one times out after the timeout, naming the server, with the progress shown meanwhile.
 */
export async function waitForStateSpec({ page }: SpecContext, name: string): Promise<void> {
  await goTo(page, 'Servers');
  const row = page.getByRole('table', { name: 'Servers' }).getByRole('row').filter({ hasText: name });
  // (The badge is upper-cased by CSS: innerText says UNLOCKED.)
  const now = /\bunlocked\b/i.test(await waitForText(row, /\b(un)?locked\b/i, 30_000)) ? 'unlocked' : 'locked';
  const other = now === 'unlocked' ? 'locked' : 'unlocked';
  const form = page.getByRole('form', { name: 'Wait for a state' });
  await form.getByLabel('Wait until every server is').selectOption(now);
  await form.getByLabel('Timeout (seconds)').fill('10');
  await form.getByRole('button', { name: 'Start waiting' }).click();
  await waitForText(form.locator('[data-outcome="reached"]'), new RegExp(`Every server is ${now}`));

  await form.getByLabel('Wait until every server is').selectOption(other);
  await form.getByLabel('Timeout (seconds)').fill('0');
  await form.getByRole('button', { name: 'Start waiting' }).click();
  await waitForText(form, /Timeout: give a whole number of seconds from 1 to 3600\./);
  await form.getByLabel('Timeout (seconds)').fill('3');
  const started = Date.now();
  await form.getByRole('button', { name: 'Start waiting' }).click();
  await waitForText(form.getByRole('status', { name: 'Waiting' }), new RegExp(`0 of 1 server ${other}`));
  const timedOut = await waitForText(form.locator('[data-outcome="timeout"]'), new RegExp(`Timed out after \\d+ s\\. Not ${other}: ${name}\\.`));
  const took = Date.now() - started;
  assert.ok(took >= 2_500 && took < 15_000, `the wait lasted about the timeout (${took} ms): ${timedOut}`);
}

/**
 * The push form's Vault login option (push --vault-role, protocol §12.13): role, profile and a typed token go to
 * main with the push; each server's line says whether it got its login. A receiver without a Vault login gets no
 * SecretID minted and says so (VAULT_NOT_CONFIGURED); the typed token does not stay in the form.
 */
export async function vaultLoginOptionSpec(context: SpecContext, keyName: string, server: string, profile: string, token: string): Promise<void> {
  const { page } = context;
  await goTo(page, 'Servers');
  const form = page.locator('form[aria-labelledby="push-title"]');
  await form.getByRole('checkbox', { name: /Also deliver a Vault login/ }).check();
  await form.getByLabel('AppRole role (e.g. mail-helper)').fill('mail-helper');
  await form.getByLabel('Vault profile to mint on').fill(profile);
  await form.getByLabel('Vault token that may mint SecretIDs').fill(token);
  await push(context, keyName, server);
  const results = page.getByRole('list', { name: 'Push results' });
  const line = await waitForText(results, /Vault login NOT delivered/, 60_000);
  assert.match(line, /role mail-helper: VAULT_NOT_CONFIGURED/);
  assert.equal(await form.getByLabel('Vault token that may mint SecretIDs').inputValue(), '', 'the token is not kept in the form');
}

/**
 * Issue 11's trap in the app: pushing the new key alone to an unlocked server that holds the older key too (and
 * does not report its data count) is refused (REKEY_KEY_IN_USE, nothing sent); the "drop previous" confirmation
 * appears only then, and a push with it ticked rekeys the running server.
 */
export async function dropPreviousSpec(context: SpecContext, keyName: string, server: string): Promise<void> {
  const { page } = context;
  await goTo(page, 'Servers');
  const override = page.getByRole('group', { name: 'Drop a key the server still holds' });
  assert.equal(await override.count(), 0, 'no override is offered before a refusal');
  await push(context, keyName, server);
  const results = page.getByRole('list', { name: 'Push results' });
  await waitForText(results, new RegExp(`${server}: refused`), 60_000);
  const text = await alertWithCode(results, 'REKEY_KEY_IN_USE');
  assert.match(text, /does not report whether data is still encrypted under it/);
  await override.getByRole('checkbox', { name: /Drop the previous key anyway/ }).check();
  await context.shot('servers-drop-previous');
  await page.locator('form', { has: page.getByRole('heading', { name: 'Push a key' }) }).getByRole('button', { name: 'Push key' }).click();
  await waitForText(results, new RegExp(`${server}: key set replaced while running`), 60_000);
}
