/**
 * Accessibility and colour schemes, end to end: the built renderer in Debian's Chromium against the real core
 * (test bridge), a real gnome-keyring, a real receiver and a real 3-node OpenBao cluster of its own (started
 * uninitialised, so the init hand-out can be driven here without touching desktop.test.ts's cluster).
 *
 * - axe-core on every screen and every dialog or wizard step, in a light and a dark window (Playwright's
 *   colorScheme), with screenshots test-results/screenshots/<view>-<scheme>.png and each axe run recorded in
 *   test-results/accessibility/<view>-<scheme>.json;
 * - the focus ring's contrast (>= 3:1) at every Tab stop of every screen, in both schemes;
 * - the Vault init hand-out and the unseal of the cluster with the keyboard alone.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { VaultProfiles } from '../../src-main/core/vault/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { startRaftCluster, type BaoCluster } from '../support/openbao.js';
import { startReceiver, type ReceiverProcess } from '../support/receivers.js';
import { AXE_RESULTS } from './support/axe.js';
import { DEFAULT_UNLOCK_PASSPHRASE, startBridge, type Bridge } from './support/bridge.js';
import { openWindow, screenshot, type Window } from './support/browser.js';
import { vaultCaller } from './support/vault-call.js';
import { countPointerPresses, focusRingSpec, keyboardInitSpec, keyboardUnsealSpec, type FocusStop } from './specs/accessibility.js';
import { goTo, withDiagnostics, type SpecContext } from './specs/helpers.js';
import { generateKey } from './specs/keys.js';
import { addServerSpec, custodianEntry } from './specs/push.js';
import { resume, schemesDifferSpec, themedViews, viewsWithCluster, viewsWithoutCluster, type Scheme } from './specs/themes.js';

const PROFILE = 'a11y-cluster';
const KEY = 'orders-db';
const SCREENS = ['Dashboard', 'Keys', 'Vault', 'Servers', 'Settings', 'Backup'] as const;

let keyring: KeyringSession;
let cluster: BaoCluster;
let receiver: ReceiverProcess | undefined;
let bridge: Bridge;
const windows: Partial<Record<Scheme, Window>> = {};
const contexts = {} as Record<Scheme, SpecContext>;

before(async () => {
  [keyring, cluster] = await Promise.all([startKeyring(), startRaftCluster(3)]);
  await new VaultProfiles(keyring.env['CUSTODIAN_HOME']!).save(PROFILE, { addresses: cluster.addresses, caCert: cluster.ca.caCert });
  const env = { ...keyring.env };
  bridge = await startBridge(env);
  // Two windows on the same core: one whose OS says light, one whose OS says dark.
  for (const scheme of ['light', 'dark'] as const) {
    const window = await openWindow(bridge, { colorScheme: scheme });
    windows[scheme] = window;
    contexts[scheme] = { page: window.page, env, shot: (name) => screenshot(window.page, name), passphrase: DEFAULT_UNLOCK_PASSPHRASE };
  }
  // What the screens show: a key, and a pinned receiver that accepts it.
  const keyId = await generateKey(contexts.light, KEY);
  const entry = await custodianEntry(contexts.light);
  receiver = await startReceiver({ authorizedCustodians: `${entry}\n`, keyChecks: [keyId] });
  await addServerSpec(contexts.light, 'app-1', receiver.url, receiver.identity);
});

after(async () => {
  for (const window of Object.values(windows)) await window?.close();
  await bridge?.stop();
  await receiver?.stop();
  await Promise.all([cluster?.stop(), keyring?.stop()]);
});

test('the page follows the OS colour scheme: background, surfaces and text differ between light and dark', () => withDiagnostics(contexts.dark, 'schemes', async () => {
  await schemesDifferSpec(contexts);
}));

test('axe: no serious or critical violation on any screen or dialog, light and dark, each screenshotted', () => withDiagnostics(contexts.dark, 'axe-views', async () => {
  assert.ok(receiver);
  const count = await themedViews(contexts, viewsWithoutCluster(KEY, receiver.url));
  assert.ok(count >= 13, `${count} views`);
}));

test('focus ring: every Tab stop of every screen shows a ring of at least 3:1 against its background, light and dark', () => withDiagnostics(contexts.dark, 'focus-ring', async () => {
  const measured: Record<string, FocusStop[]> = {};
  for (const scheme of ['light', 'dark'] as const) {
    const { page } = contexts[scheme];
    for (const screen of SCREENS) {
      await goTo(page, screen);
      await page.waitForFunction(() => !document.querySelector('[role="status"] progress'), undefined, { timeout: 60_000 });
      measured[`${screen}-${scheme}`] = await focusRingSpec(page, `${screen} (${scheme})`);
    }
    // And the lock screen, which has its own form.
    await page.keyboard.press('Alt+1');
    await page.getByRole('button', { name: 'Lock now' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Key Custodian is locked' }).waitFor();
    try {
      // Locked, the navigation is disabled: the resume field is the one stop until "resume" is typed.
      measured[`lock-${scheme}`] = await focusRingSpec(page, `lock screen (${scheme})`, { minStops: 1 });
    } finally {
      await resume(page);
    }
  }
  // Every stop measured, for the record: test-results/accessibility/focus-ring.json.
  mkdirSync(AXE_RESULTS, { recursive: true });
  writeFileSync(join(AXE_RESULTS, 'focus-ring.json'), `${JSON.stringify(measured, null, 2)}\n`);
  const all = Object.entries(measured).flatMap(([where, stops]) => stops.map((s) => ({ where, ...s })));
  const weakest = all.sort((a, b) => a.contrast - b.contrast)[0];
  assert.ok(all.length >= 70, `${all.length} focus stops measured in all`);
  assert.ok(weakest && weakest.contrast >= 3, JSON.stringify(weakest));
}));

test('axe on the Vault screen and each ceremony\'s first step against the real, uninitialised cluster, light and dark', () => withDiagnostics(contexts.dark, 'axe-vault', async () => {
  const count = await themedViews(contexts, viewsWithCluster(PROFILE));
  assert.ok(count >= 7, `${count} views`);
}));

let handedOut: { shares: string[]; rootToken: string } | undefined;

test('keyboard only: initialise the cluster and hand out every share with Tab, Shift+Tab, Enter, Space and typing', () => withDiagnostics(contexts.light, 'keyboard-init', async () => {
  const { page } = contexts.light;
  await goTo(page, 'Dashboard');
  const pointerPresses = await countPointerPresses(page);
  handedOut = await keyboardInitSpec(contexts.light, PROFILE, 3, 2);
  assert.equal(handedOut.shares.length, 3);
  for (const share of handedOut.shares) assert.equal(Buffer.from(share, 'base64').length, 33, 'a 33-byte Shamir share');
  assert.match(handedOut.rootToken, /^\S{20,}$/, 'a root token');
  assert.equal(await pointerPresses(), 0, 'no mouse or pointer was used');
  const health = await vaultCaller(cluster.addresses[0]!, cluster.ca.caCert)('GET', '/v1/sys/seal-status');
  assert.equal(health.body['initialized'], true);
}));

test('keyboard only: unseal the 3-node cluster holder by holder; a repeated share is refused', () => withDiagnostics(contexts.light, 'keyboard-unseal', async () => {
  assert.ok(handedOut, 'the keyboard init ran');
  const { page } = contexts.light;
  const pointerPresses = await countPointerPresses(page);
  await keyboardUnsealSpec(contexts.light, handedOut.shares, 2);
  assert.equal(await pointerPresses(), 0, 'no mouse or pointer was used');
  // What the window said is what the servers say.
  for (const address of cluster.addresses) {
    const deadline = Date.now() + 60_000;
    let sealed: unknown = true;
    while (sealed !== false && Date.now() < deadline) {
      sealed = (await vaultCaller(address, cluster.ca.caCert)('GET', '/v1/sys/seal-status')).body['sealed'];
      if (sealed !== false) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.equal(sealed, false, `${address} is unsealed`);
  }
  // The unsealed cluster, in both schemes.
  await themedViews(contexts, [
    { name: 'vault-unsealed', open: async (p) => { await goTo(p, 'Vault'); await p.getByRole('table', { name: 'Vault nodes' }).getByText(/^unsealed$/i).first().waitFor({ timeout: 60_000 }); } },
    { name: 'dashboard-unsealed', open: async (p) => { await goTo(p, 'Dashboard'); await p.getByRole('list', { name: 'Vault nodes' }).getByText(/^unsealed$/i).first().waitFor({ timeout: 60_000 }); } },
  ]);
}));

test('no CSP violation or page error in either window', () => {
  for (const [scheme, window] of Object.entries(windows)) {
    const problems = window!.console.filter((line) => /Content Security Policy|pageerror|Refused to/i.test(line));
    assert.deepEqual(problems, [], scheme);
  }
});
