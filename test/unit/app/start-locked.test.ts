/**
 * Regression: quitting and restarting the desktop app was a way around the idle lock (a new process started
 * unlocked). With `startLocked`, a restart starts locked whenever presence can be asked for.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MemoryVerifierStore } from '../../../src-main/app/presence/presence.js';
import { makeVerifier } from '../../../src-main/app/presence/verifier.js';
import { MemorySecretStore } from '../../../src-main/core/keystore/index.js';
import { createAppCore, type AppCore } from '../../../src-main/app/table.js';

const clipboard = { writeText: async () => {}, readText: async () => '', clear: () => {} };

async function withCore(options: { passphraseSet: boolean; startLocked: boolean }, use: (core: AppCore) => Promise<void>): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'custodian-start-locked-'));
  const verifiers = new MemoryVerifierStore();
  if (options.passphraseSet) await verifiers.set(await makeVerifier(Buffer.from('correct horse battery', 'utf8'), { log2N: 10, r: 8, p: 1 }));
  const core = createAppCore({ env: { CUSTODIAN_HOME: home }, clipboard, notify: () => {}, verifiers, auditSecrets: new MemorySecretStore(), startLocked: options.startLocked });
  try {
    await use(core);
  } finally {
    await core.dispose();
    await rm(home, { recursive: true, force: true });
  }
}

test('a restarted app with an unlock passphrase starts locked: only the lock screen\'s actions answer', async () => {
  await withCore({ passphraseSet: true, startLocked: true }, async (core) => {
    assert.equal((await core.table.sessionState({})).locked, true);
    await assert.rejects(core.table.getSettings({}).then(() => core.table.vaultProfiles({})), { code: 'PRESENCE_REQUIRED' });
    await core.table.unlock({ passphrase: 'correct horse battery' });
    assert.equal((await core.table.sessionState({})).locked, false);
  });
});

test('the first run (no passphrase yet) starts unlocked, at the screen that sets one', async () => {
  await withCore({ passphraseSet: false, startLocked: true }, async (core) => {
    assert.equal((await core.table.sessionState({})).locked, false);
  });
});

test('without startLocked (the test bridge) the core starts unlocked', async () => {
  await withCore({ passphraseSet: true, startLocked: false }, async (core) => {
    assert.equal((await core.table.sessionState({})).locked, false);
  });
});
