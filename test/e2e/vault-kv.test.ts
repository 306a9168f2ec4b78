/**
 * End-to-end: the Vault screen's "Application secrets (KV)" in Debian's Chromium against the real core (test
 * bridge) and one real OpenBao node with KV v2 at secret/. One officer's session: write a generated password
 * (not shown), list the folder, open the secret (names and fingerprints only, the value nowhere in the DOM),
 * reveal it after presence, check the view with axe, delete the latest version after a confirmation.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { kvRead, resolveConnection, VaultCluster, VaultProfiles } from '../../src-main/core/vault/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { assertNoSecrets, filesUnder, startSingleNode, waitFor, type BaoCluster } from '../support/openbao.js';
import { expectAxeClean } from './specs/accessibility.js';
import { confirmPresence, E2E_UNLOCK_PASSPHRASE, goTo, withDiagnostics, type SpecContext } from './specs/helpers.js';
import { saveCluster } from './specs/vault.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { openWindow, screenshot, type Window } from './support/browser.js';
import { initAndUnseal } from './support/session.js';

let keyring: KeyringSession;
let server: BaoCluster;
let bridge: Bridge;
let window: Window;
let context: SpecContext;
let rootToken: string;
const PROFILE = 'e2e-kv';

function core(): VaultCluster {
  return new VaultCluster(resolveConnection({ addresses: server.addresses, caCert: server.ca.caCert, token: Buffer.from(rootToken) }, {}));
}

before(async () => {
  [keyring, server] = await Promise.all([startKeyring(), startSingleNode()]);
  rootToken = await initAndUnseal(server);
  const cluster = core();
  try {
    await waitFor('an active node', async () => Boolean(await cluster.activeNode()), 30_000);
    await (await cluster.activeNode()).call('POST', '/sys/mounts/secret', { type: 'kv', options: { version: '2' } }, { authenticated: true });
    await waitFor('the KV v2 mount to be ready', async () => (await kvRead(cluster, 'secret', 'not/yet')) === null, 30_000);
  } finally {
    cluster.close();
  }
  await new VaultProfiles(keyring.env['CUSTODIAN_HOME']!).save(PROFILE, { addresses: server.addresses, caCert: server.ca.caCert });
  const env = { ...keyring.env };
  // Setting the unlock passphrase counts as presence for a minute: a second bridge (the passphrase kept in the
  // keyring) starts without it, so the reveal must ask, as in an officer's next session.
  await (await startBridge(env)).stop();
  bridge = await startBridge(env, { unlockPassphrase: null });
  window = await openWindow(bridge);
  context = { page: window.page, env, shot: (name) => screenshot(window.page, name), passphrase: E2E_UNLOCK_PASSPHRASE };
});

after(async () => {
  await window?.close();
  await bridge?.stop();
  await Promise.all([server?.stop(), keyring?.stop()]);
});

test('KV: write a generated password, list, open (no value shown), reveal after presence, axe, delete', () => withDiagnostics(context, 'vault-kv', async () => {
  const { page } = context;
  await goTo(page, 'Vault');
  await saveCluster(context, { profile: PROFILE });
  const card = page.getByRole('region', { name: 'Application secrets (KV)' });
  await card.getByLabel('Vault token').fill(rootToken);
  await card.getByLabel('Secret path').fill('mail-helper/postgresql');
  await card.getByRole('button', { name: 'Generate and write' }).click();
  await card.getByRole('status').filter({ hasText: 'Wrote mail-helper/postgresql version 1.' }).waitFor({ timeout: 30_000 });
  const cluster = core();
  let password: Buffer;
  try {
    password = (await kvRead(cluster, 'secret', 'mail-helper/postgresql'))!.data['password']!;
  } finally {
    cluster.close();
  }
  assert.equal(password.length, 32);
  assert.ok(!(await page.content()).includes(password.toString()), 'the generated password is not in the DOM');

  await card.getByLabel('Folder').fill('mail-helper/');
  await card.getByRole('button', { name: 'List secrets' }).click();
  const secrets = card.getByRole('list', { name: 'Secrets and folders' });
  await secrets.getByRole('button', { name: 'mail-helper/postgresql' }).click();
  const view = card.getByRole('group', { name: 'Secret mail-helper/postgresql' });
  await view.getByRole('cell', { name: 'password', exact: true }).waitFor({ timeout: 30_000 });
  assert.ok(!(await page.content()).includes(password.toString()), 'opening shows names and fingerprints only');
  await expectAxeClean(page, 'vault-kv');
  await context.shot('vault-kv-open');

  await view.getByRole('button', { name: 'Reveal password' }).click();
  assert.equal(await confirmPresence(context, 30_000), true, 'the reveal asked for presence');
  const value = view.getByLabel('Value of password');
  await value.waitFor({ timeout: 30_000 });
  assert.equal(await value.innerText(), password.toString());
  await view.getByRole('button', { name: 'Close' }).click();
  assert.ok(!(await page.content()).includes(password.toString()), 'closing the secret removes the value');

  await secrets.getByRole('button', { name: 'mail-helper/postgresql' }).click();
  await view.getByRole('button', { name: 'Delete latest version…' }).click();
  await page.getByRole('alertdialog', { name: 'Delete the latest version of mail-helper/postgresql?' }).getByRole('button', { name: 'Delete' }).click();
  await card.getByRole('status').filter({ hasText: 'Deleted mail-helper/postgresql version 1.' }).waitFor({ timeout: 30_000 });
  await view.getByText('The latest version is deleted: no fields to show.').waitFor({ timeout: 30_000 });
  const after = core();
  try {
    assert.equal(await kvRead(after, 'secret', 'mail-helper/postgresql'), null, 'soft-deleted on the server');
  } finally {
    after.close();
  }
  assertNoSecrets([password, Buffer.from(rootToken)], { files: filesUnder(keyring.env['CUSTODIAN_HOME']!).filter((f) => f.endsWith('.log')), texts: { bridge: bridge.stderr() } });
}));
