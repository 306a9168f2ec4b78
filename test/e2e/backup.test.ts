/**
 * End-to-end: the Backup screen in Debian's Chromium against the real core (through the test bridge, the same
 * handler table Electron registers) and a real gnome-keyring. Files are "chosen" by the bridge's test dialogs
 * inside one test directory. Screenshots of each step go to test-results/screenshots/backup-*.png.
 *
 * The tests run in order, as one officer's session: a key without backup is flagged, it is split 2-of-3 and
 * handed out, deleted, restored under a new name from two shares, drilled (match, then wrong shares), moved
 * through an age file to this custodian's own recipient, and the custodian's state is backed up.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { splitKey } from '../../src-main/core/backup/slip39.js';
import { generateFernetKey } from '../../src-main/core/crypto/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { assertNoSecrets, filesUnder } from '../support/openbao.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { openWindow, screenshot, type Window } from './support/browser.js';
import {
  ageImportSpec, ageRoundTripSpec, backupStatus, drillMatchSpec, drillMismatchSpec, restoreSpec, splitSpec, stateBackupSpec, type Holder,
} from './specs/backup.js';
import { E2E_UNLOCK_PASSPHRASE, goTo, waitForText, withDiagnostics, type SpecContext } from './specs/helpers.js';
import { deleteKeySpec, generateKey } from './specs/keys.js';

let keyring: KeyringSession;
let bridge: Bridge;
let window: Window;
let context: SpecContext;
let files: string;
const KEY = 'orders-db';
const RESTORED = 'orders-db-restored';
let keyId: string;
let holders: Holder[] = [];
let agePath: string;

before(async () => {
  keyring = await startKeyring();
  files = mkdtempSync(join(tmpdir(), 'custodian-e2e-files-'));
  const env = { ...keyring.env, CUSTODIAN_E2E_FILES: files };
  bridge = await startBridge(env);
  window = await openWindow(bridge);
  // startBridge sets the unlock passphrase (as the first-run screen would); revealing a holder's words asks for it.
  context = { page: window.page, env, shot: (name) => screenshot(window.page, name), passphrase: E2E_UNLOCK_PASSPHRASE };
});

after(async () => {
  await window?.close();
  await bridge?.stop();
  await keyring?.stop();
  if (files) rmSync(files, { recursive: true, force: true });
});

test('keys: a key without a backup carries a visible warning', () => withDiagnostics(context, 'backup-keys', async () => {
  keyId = await generateKey(context, KEY);
  await waitForText(backupStatus(context.page, KEY), /No backup: this keychain holds the only copy/);
  await waitForText(backupStatus(context.page, KEY), /Never drilled/);
  await context.shot('backup-keys-no-backup');
}));

test('split 2-of-3: each holder gets their words alone and types two back (a wrong word is refused); the hand-out survives leaving the screen', () => withDiagnostics(context, 'backup-split', async () => {
  holders = await splitSpec(context, KEY, keyId, ['Ana', 'Ben', 'Cem'], 2);
  assert.equal(new Set(holders.map((h) => h.words.join(' '))).size, 3, 'three different shares');
  // The key is now marked as backed up on the Keys screen.
  await goTo(context.page, 'Keys');
  await waitForText(backupStatus(context.page, KEY), /Backed up .* \(paper shares\)/);
  await context.shot('backup-keys-backed-up');
}));

test('sheets: saving one holder\'s sheet goes through the directory dialog and writes a private PDF', () => withDiagnostics(context, 'backup-sheets', async () => {
  const { page } = context;
  // A second split of the same key, to save sheets during its hand-out, then ended early with a typed confirmation.
  await goTo(page, 'Backup');
  const form = page.getByRole('form', { name: 'Split a key' });
  await form.getByLabel('Key to split').selectOption({ label: `${KEY} (${keyId})` });
  await form.getByLabel('Number of shares (N)').fill('2');
  await form.getByLabel('Shares needed (T)').fill('2');
  await form.getByLabel('Holder 1', { exact: true }).fill('Dora');
  await form.getByLabel('Holder 2', { exact: true }).fill('Emil');
  await form.getByRole('button', { name: 'Split and start the hand-out' }).click();
  const handout = page.getByRole('region', { name: `Hand-out of ${KEY}` });
  await handout.getByRole('button', { name: 'Save Dora\'s sheet as PDF…' }).click();
  const saved = await waitForText(handout.getByRole('status').filter({ hasText: 'Saved 1 sheet' }), /Saved 1 sheet in (.+)\. Print it/);
  const directory = /in (.+)\. Print/.exec(saved)![1]!;
  const dialogs = await bridge.dialogs();
  assert.ok(dialogs.some((d) => d.kind === 'directory' && d.answer === directory), 'main asked for the directory');
  const pdf = join(directory, `${KEY}-share-1-of-2.pdf`);
  assert.ok(existsSync(pdf), `${pdf} exists`);
  assert.equal(statSync(pdf).mode & 0o777, 0o600);
  assert.equal(readFileSync(pdf).subarray(0, 5).toString('latin1'), '%PDF-');
  // Emil has neither checked nor a sheet: ending needs his name typed; the wrong text is HANDOUT_OPEN.
  await handout.getByRole('button', { name: 'End the hand-out early…' }).click();
  const end = handout.getByRole('group', { name: 'End the hand-out early' });
  await end.getByLabel('Type "no share for Emil" to end the hand-out').fill('yes');
  await end.getByRole('button', { name: 'End the hand-out' }).click();
  const open = await waitForText(end.locator('[role="alert"][data-code="HANDOUT_OPEN"]'), /Emil has not received their share/);
  assert.doesNotMatch(open, /Dora/);
  await context.shot('backup-handout-end-early');
  await end.getByLabel('Type "no share for Emil" to end the hand-out').fill('no share for Emil');
  await end.getByRole('button', { name: 'End the hand-out' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'Hand-out of' }), /no share for Emil\. Fewer holders than the threshold/);
}));

test('restore: the key deleted, then restored under a new name from two shares typed word by word', () => withDiagnostics(context, 'backup-restore', async () => {
  await deleteKeySpec(context, KEY);
  const restoredId = await restoreSpec(context, RESTORED, keyId, [holders[0]!, holders[1]!]);
  assert.equal(restoredId, keyId, 'the shares give back the same key (same key id)');
}));

test('drill: two other holders\' shares match; a share of another set and a whole other set are refused', () => withDiagnostics(context, 'backup-drill', async () => {
  await drillMatchSpec(context, RESTORED, keyId, [holders[0]!, holders[2]!]);
  const other = generateFernetKey();
  const otherSet = splitKey(other, { shares: 3, threshold: 2 }).shares.map((share) => share.words);
  other.fill(0);
  await drillMismatchSpec(context, RESTORED, keyId, holders[1]!, otherSet);
  await goTo(context.page, 'Keys');
  await waitForText(backupStatus(context.page, RESTORED), /Drill .*: MISMATCH/);
  await drillMatchSpec(context, RESTORED, keyId, [holders[1]!, holders[2]!]);
  await goTo(context.page, 'Keys');
  await waitForText(backupStatus(context.page, RESTORED), /Drill .*: shares matched/);
  await context.shot('backup-keys-drilled');
}));

test('age: export to this custodian\'s own recipient, delete, import with the keychain identity (a passphrase cannot open it)', () => withDiagnostics(context, 'backup-age', async () => {
  agePath = await ageRoundTripSpec(context, RESTORED, keyId, (path) => bridge.queueOpenFile(path));
  assert.equal(statSync(agePath).mode & 0o777, 0o600);
  assert.equal(readFileSync(agePath).subarray(0, 21).toString('latin1'), 'age-encryption.org/v1');
  await deleteKeySpec(context, RESTORED);
  const imported = await ageImportSpec(context, `${KEY}-from-age`, (path) => bridge.queueOpenFile(path), agePath);
  assert.equal(imported, keyId, 'the age file gives back the same key');
}));

test('state: the custodian\'s state backup is written through the save dialog', () => withDiagnostics(context, 'backup-state', async () => {
  const path = await stateBackupSpec(context);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(readFileSync(path).subarray(0, 21).toString('latin1'), 'age-encryption.org/v1');
}));

test('no word, key or passphrase in the bridge log, the audit log or any file of the custodian home; no CSP violation', async () => {
  const problems = window.console.filter((line) => /Content Security Policy|pageerror|Refused to/i.test(line));
  assert.deepEqual(problems, []);
  const home = keyring.env['CUSTODIAN_HOME']!;
  const homeFiles = filesUnder(home);
  const audit = homeFiles.find((f) => f.endsWith('audit.log'));
  assert.ok(audit, 'the app wrote its audit log');
  const secrets: Uint8Array[] = [
    ...holders.map((h) => Buffer.from(h.words.join(' '), 'utf8')),
    Buffer.from('correct horse battery staple'),
    Buffer.from(E2E_UNLOCK_PASSPHRASE),
  ];
  assertNoSecrets(secrets, { files: homeFiles, texts: { 'bridge stderr': bridge.stderr() } });
  const log = readFileSync(audit, 'utf8');
  for (const holder of holders) {
    // No run of three share words in order, in any separator.
    for (let i = 0; i + 2 < holder.words.length; i++) {
      assert.doesNotMatch(log, new RegExp(`${holder.words[i]}\\W+${holder.words[i + 1]}\\W+${holder.words[i + 2]}`));
    }
  }
  assert.match(log, /"action":"backup.split"/);
  assert.match(log, /"action":"backup.drill".*"result":"mismatch"/);
  assert.match(log, /"action":"backup.restore"[^\n]*"outcome":"ok"/);
});
