/**
 * End-to-end: the built renderer in Debian's Chromium, driven by Playwright, against the real core through the
 * test bridge (the same handler table Electron's ipcMain registers), with a real gnome-keyring, a real 3-node
 * OpenBao cluster (Raft, TLS) and a real receiver process. Screenshots of the main screens go to
 * test-results/screenshots/ (dashboard, keys, unseal in progress, push result).
 *
 * The tests run in order and build on each other, as an officer's session would.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { decodeFernetKey } from '../../src-main/core/crypto/index.js';
import { VaultProfiles } from '../../src-main/core/vault/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { assertNoSecrets, filesUnder, startRaftCluster, type BaoCluster } from '../support/openbao.js';
import { startReceiver, type ReceiverProcess } from '../support/receivers.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { openWindow, screenshot, type Window } from './support/browser.js';
import { vaultCaller } from './support/vault-call.js';
import { accessibilitySpec, lockSpec } from './specs/accessibility.js';
import { generateRootSpec, rekeySpec, type VaultCall } from './specs/ceremonies.js';
import { dashboardSpec, settingsSpec } from './specs/dashboard.js';
import { firstRunSpec, lockedAlertSpec } from './specs/lock.js';
import { withDiagnostics, type SpecContext } from './specs/helpers.js';
import { deleteKeySpec, generateKey, keysSpec } from './specs/keys.js';
import { addServerSpec, custodianEntry, pushSpec, removeServerSpec, vaultLoginOptionSpec, waitForStateSpec, wrongKeySpec } from './specs/push.js';
import { initSpec, unsealSpec, type VaultOutcome } from './specs/vault.js';
import { profilesSpec, sealSpec } from './specs/vault-admin.js';

let keyring: KeyringSession;
let cluster: BaoCluster;
let receiver: ReceiverProcess | undefined;
let bridge: Bridge;
let window: Window;
let context: SpecContext;
let key: { id: string; name: string; keyText: string };
let vault: VaultOutcome & { rootToken2?: string; newShares?: string[] };

let vaultCall: VaultCall;
const PROFILE = 'e2e-cluster';

before(async () => {
  [keyring, cluster] = await Promise.all([startKeyring(), startRaftCluster(3)]);
  // The cluster's CA reaches the app only through a saved profile (as `custodian vault profile save` makes it).
  await new VaultProfiles(keyring.env['CUSTODIAN_HOME']!).save(PROFILE, { addresses: cluster.addresses, caCert: cluster.ca.caCert });
  const env = { ...keyring.env };
  vaultCall = vaultCaller(cluster.addresses[0]!, cluster.ca.caCert);
  // No preset passphrase: the first test chooses it through the first-run screen, as an officer would.
  bridge = await startBridge(env, { unlockPassphrase: null });
  window = await openWindow(bridge);
  context = {
    page: window.page, env, shot: (name) => screenshot(window.page, name), passphrase: 'e2e unlock passphrase 7',
    reopen: async () => (context.page = await window.reopen()),
  };
});

test('first run: an unlock passphrase is chosen before anything else', () => withDiagnostics(context, 'first-run', async () => {
  await firstRunSpec(context);
}));

after(async () => {
  await window?.close();
  await bridge?.stop();
  await receiver?.stop();
  await Promise.all([cluster?.stop(), keyring?.stop()]);
});

test('keys: generate, a bad key refused, export only after typing the name', () => withDiagnostics(context, 'keys', async () => {
  key = await keysSpec(context);
}));

test('lock drops revealed keys; keyboard use and accessible names on every screen; delete asks for the name', () => withDiagnostics(context, 'lock', async () => {
  await lockSpec(context, key.name);
  await accessibilitySpec(context);
  await deleteKeySpec(context, 'typed-with-keyboard');
}));

test('vault: initialise the 3-node cluster with the wizard; each holder gets their share alone', () => withDiagnostics(context, 'init', async () => {
  vault = await initSpec(context, cluster.addresses, PROFILE);
}));

test('vault: unseal the 3-node cluster with 3 holders; a repeated share and a wrong share show their errors', () => withDiagnostics(context, 'unseal', async () => {
  await unsealSpec(context, vault.shares);
  // What the window says is what the servers say: every node unsealed, and the cluster has elected a leader.
  for (const address of cluster.addresses) {
    const seal = await vaultCaller(address, cluster.ca.caCert)('GET', '/v1/sys/seal-status');
    assert.equal(seal.body['sealed'], false, `${address} is unsealed`);
  }
  const leader = await vaultCall('GET', '/v1/sys/leader');
  assert.match(String(leader.body['leader_address']), /^https:\/\/127\.0\.0\.1:/);
}));

test('vault: generate-root with fingerprint confirmation (a changed ceremony is refused), then rekey 5/3 -> 3/2 with verification', () => withDiagnostics(context, 'ceremonies', async () => {
  vault.rootToken2 = await generateRootSpec(context, vault.shares, vaultCall);
  vault.newShares = await rekeySpec(context, vault.shares, vaultCall);
}));

test('vault: profiles saved and deleted with TLS paths; step-down and seal with a typed token, then unsealed again', () => withDiagnostics(context, 'vault-admin', async () => {
  await profilesSpec(context, { addresses: cluster.addresses, caCert: cluster.ca.caCert });
  assert.ok(vault.newShares, 'the rekey gave new shares');
  await sealSpec(context, {
    rootToken: vault.rootToken, shares: vault.newShares, threshold: 2, vaultCall, addresses: cluster.addresses, caCert: cluster.ca.caCert,
  });
}));

test('servers: pin a receiver after confirming its identity; a wrong key is refused; the right key unlocks it', () => withDiagnostics(context, 'servers', async () => {
  const entry = await custodianEntry(context);
  receiver = await startReceiver({ authorizedCustodians: `${entry}\n`, keyChecks: [key.id] });
  await addServerSpec(context, 'app-1', receiver.url, receiver.identity);
  await generateKey(context, 'wrong-key');
  await wrongKeySpec(context, 'wrong-key', 'app-1');
  assert.equal(receiver.events().filter((e) => e.event === 'unlock' && e.ok === true).length, 0, 'the receiver installed nothing');
  await pushSpec(context, key.name, key.id, 'app-1');
  const unlocked = await receiver.waitFor((e) => e.event === 'unlock' && e.ok === true);
  assert.deepEqual(unlocked['key_ids'], [key.id]);
}));

test('servers: the push form delivers a Vault login on request; a server without one says so', () => withDiagnostics(context, 'push-vault-login', async () => {
  assert.ok(vault.rootToken, 'the init test gave a root token');
  await vaultLoginOptionSpec(context, key.name, 'app-1', PROFILE, vault.rootToken);
}));

test('dashboard: nodes unsealed, server unlocked; a server restarted while the app is locked raises a notification; reload stays locked; resume needs the passphrase', () => withDiagnostics(context, 'dashboard', async () => {
  assert.ok(receiver);
  await settingsSpec(context, 2);
  await dashboardSpec(context, { nodes: 3, server: 'app-1' });
  await lockedAlertSpec(context, bridge, receiver, 'app-1');
}));

test('servers: wait for a state with a timeout (server status --watch --until); remove asks for confirmation', () => withDiagnostics(context, 'remove-server', async () => {
  await waitForStateSpec(context, 'app-1');
  await removeServerSpec(context, 'app-1');
}));

test('no CSP violation or page error; no share, root token or key in the bridge log or any file the app wrote', async () => {
  const problems = window.console.filter((line) => /Content Security Policy|pageerror|Refused to/i.test(line));
  assert.deepEqual(problems, []);
  const secrets: Uint8Array[] = [
    ...[...vault.shares, ...(vault.newShares ?? [])].map((s) => Buffer.from(s, 'base64')),
    ...[vault.rootToken, vault.rootToken2 ?? vault.rootToken].map((t) => Buffer.from(t, 'utf8')),
    decodeFernetKey(key.keyText),
    Buffer.from(context.passphrase, 'utf8'),
  ];
  const home = keyring.env['CUSTODIAN_HOME']!;
  const files = filesUnder(home);
  assert.ok(files.some((f) => f.endsWith('audit.log')), 'the app wrote its audit log');
  assertNoSecrets(secrets, { files, texts: { 'bridge stderr': bridge.stderr() } });
  assert.doesNotMatch(readFileSync(files.find((f) => f.endsWith('audit.log'))!, 'utf8'), /keyText|"share"/);
});
