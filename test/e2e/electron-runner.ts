/**
 * `npm run test:electron`: the same end-to-end specs as desktop.test.ts, but in the real Electron app through
 * Playwright's `_electron` (main process, preload, IPC and all), with the same real keyring, OpenBao cluster and
 * receiver. Needs Electron's binary, which cannot be downloaded on machines without access to GitHub releases:
 * there it stops with a message and a non-zero exit (it never counts as passing).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { _electron as electron } from 'playwright-core';
import { VaultProfiles } from '../../src-main/core/vault/index.js';
import { startKeyring } from '../support/keyring.js';
import { startRaftCluster } from '../support/openbao.js';
import { startReceiver, type ReceiverProcess } from '../support/receivers.js';
import { screenshot } from './support/browser.js';
import { accessibilitySpec, lockSpec } from './specs/accessibility.js';
import { dashboardSpec, settingsSpec } from './specs/dashboard.js';
import { firstRunSpec } from './specs/lock.js';
import type { SpecContext } from './specs/helpers.js';
import { deleteKeySpec, generateKey, keysSpec } from './specs/keys.js';
import { generateRootSpec, rekeySpec } from './specs/ceremonies.js';
import { vaultCaller } from './support/vault-call.js';
import { addServerSpec, custodianEntry, pushSpec, wrongKeySpec } from './specs/push.js';
import { initSpec, unsealSpec } from './specs/vault.js';

/**
 * Where the Electron binary is, without `require('electron')`: that would try to download it from GitHub.
 * Same rules as the electron package: ELECTRON_OVERRIDE_DIST_PATH, else node_modules/electron/dist/<path.txt>.
 */
function electronBinary(): string | undefined {
  const packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  const pathFile = join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : 'electron';
  const override = process.env['ELECTRON_OVERRIDE_DIST_PATH'];
  const candidate = override ? join(override, relative) : join(packageDir, 'dist', relative);
  return existsSync(candidate) ? candidate : undefined;
}

const binary = electronBinary();
if (!binary) {
  process.stderr.write([
    'test:electron cannot run here: the Electron binary is not installed (node_modules/electron/dist is empty and ELECTRON_OVERRIDE_DIST_PATH is unset).',
    'These specs ran in Chromium through the test bridge instead (npm run test:e2e); that is not the same as running them in Electron.',
    'To run them in Electron: install its binary (npm ci without ELECTRON_SKIP_BINARY_DOWNLOAD, or set ELECTRON_OVERRIDE_DIST_PATH) and run `npm run test:electron` again.',
    '',
  ].join('\n'));
  process.exit(2);
}

const main = join(process.cwd(), 'dist', 'src-main', 'electron', 'main.js');
const steps: Array<[string, (context: SpecContext) => Promise<void>]> = [];
let failed = false;
const [keyring, cluster] = await Promise.all([startKeyring(), startRaftCluster(3)]);
let receiver: ReceiverProcess | undefined;
await new VaultProfiles(keyring.env['CUSTODIAN_HOME']!).save('e2e-cluster', { addresses: cluster.addresses, caCert: cluster.ca.caCert });
const env = { ...keyring.env, DISPLAY: process.env['DISPLAY'] ?? '' };
const app = await electron.launch({ executablePath: binary, args: [main], env });
try {
  const page = await app.firstWindow();
  const context: SpecContext = { page, env, shot: (name) => screenshot(page, `electron-${name}`), passphrase: 'electron run passphrase' };
  let key = { id: '', name: '', keyText: '' };
  let shares: string[] = [];
  steps.push(
    ['first run', async (c) => firstRunSpec(c)],
    ['keys', async (c) => { key = await keysSpec(c); }],
    ['lock, keyboard, delete', async (c) => { await lockSpec(c, key.name); await accessibilitySpec(c); await deleteKeySpec(c, 'typed-with-keyboard'); }],
    ['vault init', async (c) => { shares = (await initSpec(c, cluster.addresses, 'e2e-cluster')).shares; }],
    ['vault unseal', async (c) => unsealSpec(c, shares)],
    ['generate-root and rekey', async (c) => {
      const call = vaultCaller(cluster.addresses[0]!, cluster.ca.caCert);
      await generateRootSpec(c, shares, call);
      await rekeySpec(c, shares, call);
    }],
    ['servers and push', async (c) => {
      const entry = await custodianEntry(c);
      receiver = await startReceiver({ authorizedCustodians: `${entry}\n`, keyChecks: [key.id] });
      await addServerSpec(c, 'app-1', receiver.url, receiver.identity);
      await generateKey(c, 'wrong-key');
      await wrongKeySpec(c, 'wrong-key', 'app-1');
      await pushSpec(c, key.name, key.id, 'app-1');
    }],
    ['dashboard', async (c) => { await settingsSpec(c, 2); await dashboardSpec(c, { nodes: 3, server: 'app-1' }); }],
  );
  for (const [name, step] of steps) {
    try {
      await step(context);
      process.stdout.write(`ok - ${name}\n`);
    } catch (error) {
      failed = true;
      process.stdout.write(`not ok - ${name}\n  ${error instanceof Error ? error.message : String(error)}\n`);
      break;
    }
  }
} finally {
  await app.close();
  await receiver?.stop();
  await Promise.all([cluster.stop(), keyring.stop()]);
}
process.exit(failed ? 1 : 0);
