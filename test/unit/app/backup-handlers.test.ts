/**
 * The Backup screen's SLIP-39 handlers through the contract's own validation (invokeAction), on an in-memory
 * keychain: the hand-out goes in order and needs the type-back check, ending early needs the missing holders
 * named (HANDOUT_OPEN), restores and drills check each share and record what happened, and nothing secret
 * reaches the audit log.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import type { ErrorView, BackupHandoutView, HolderWords, RestoreView } from '../../../src-shared/contract.js';
import type { DialogPort } from '../../../src-main/app/dialogs.js';
import { invokeAction, type HandlerTable } from '../../../src-main/app/dispatch.js';
import { shareHandlers } from '../../../src-main/app/handlers/backup-shares.js';
import { MemoryAuditLog } from '../../../src-main/core/audit.js';
import { KeyStore, MemorySecretStore } from '../../../src-main/core/keystore/index.js';

let home: string;
let audit: MemoryAuditLog;
let store: KeyStore;
let table: HandlerTable;
let directories: number;

const dialogs = (): DialogPort => ({
  chooseDirectory: async () => { directories += 1; return join(home, `sheets-${directories}`); },
  chooseSaveFile: async () => undefined,
  chooseOpenFile: async () => undefined,
});

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'custodian-backup-handlers-'));
  audit = new MemoryAuditLog();
  store = new KeyStore({ secrets: new MemorySecretStore(), home, audit });
  directories = 0;
  // Only the SLIP-39 actions are under test; the rest of the table is never called here.
  table = shareHandlers({ keys: () => store, audit, dialogs: dialogs() }).handlers as unknown as HandlerTable;
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function ok<T>(action: string, request: unknown): Promise<T> {
  const result = await invokeAction(table, action as never, request);
  assert.ok(result.ok, `${action} failed: ${JSON.stringify(result.ok ? undefined : result.error)}`);
  return result.value as T;
}
async function fails(action: string, request: unknown, code: string): Promise<ErrorView> {
  const result = await invokeAction(table, action as never, request);
  assert.ok(!result.ok, `${action} should have failed with ${code}`);
  assert.equal(result.error.code, code, result.error.message);
  return result.error;
}

async function handOut(view: BackupHandoutView, index: number): Promise<string[]> {
  const { words } = await ok<HolderWords>('backupHandoutWords', { handoutId: view.handoutId, index });
  const check = (await ok<BackupHandoutView>('backupHandoutView', { handoutId: view.handoutId })).check;
  assert.ok(check && check.index === index && check.positions.length === 2);
  await ok('backupHandoutConfirm', { handoutId: view.handoutId, index, words: check.positions.map((p) => words[p - 1]) });
  return words;
}

test('the hand-out goes holder by holder; a wrong type-back word keeps the turn; the key is marked backed up at the end', async () => {
  const key = await store.generate('orders-db');
  const view = await ok<BackupHandoutView>('backupSplitBegin', { key: 'orders-db', shares: 3, threshold: 2, holders: ['Ana', '', 'Cem'] });
  assert.deepEqual(view.holders.map((h) => [h.name, h.state]), [['Ana', 'waiting'], ['Holder 2', 'waiting'], ['Cem', 'waiting']]);
  assert.equal(view.current, 1);

  // Not Holder 2's turn yet; no check before the words were shown.
  await fails('backupHandoutWords', { handoutId: view.handoutId, index: 2 }, 'CONFIRMATION_REQUIRED');
  await fails('backupHandoutConfirm', { handoutId: view.handoutId, index: 1, words: ['a', 'b'] }, 'CONFIRMATION_REQUIRED');

  const { words } = await ok<HolderWords>('backupHandoutWords', { handoutId: view.handoutId, index: 1 });
  assert.equal(words.length, 33);
  const { check } = await ok<BackupHandoutView>('backupHandoutView', { handoutId: view.handoutId });
  const right = check!.positions.map((p) => words[p - 1]!);
  const wrong = [right[0]!, words.find((w) => w !== right[1])!];
  const refused = await fails('backupHandoutConfirm', { handoutId: view.handoutId, index: 1, words: wrong }, 'CONFIRMATION_REQUIRED');
  assert.match(refused.message, new RegExp(`Word ${check!.positions[1]} does not match`));
  for (const word of wrong) assert.ok(!JSON.stringify(refused).includes(word), 'the error never quotes a word');
  // The same positions are asked again (they were picked once, when the words were first shown).
  await ok<HolderWords>('backupHandoutWords', { handoutId: view.handoutId, index: 1 });
  assert.deepEqual((await ok<BackupHandoutView>('backupHandoutView', { handoutId: view.handoutId })).check?.positions, check!.positions);
  await ok('backupHandoutConfirm', { handoutId: view.handoutId, index: 1, words: right.map((w) => ` ${w.toUpperCase()} `) });
  await handOut(view, 2);
  await handOut(view, 3);
  // Every holder has their share: the words are not shown again.
  await fails('backupHandoutWords', { handoutId: view.handoutId, index: 1 }, 'CONFIRMATION_REQUIRED');

  const ended = await ok<{ confirmed: number; missing: string[]; backedUp: boolean }>('backupHandoutEnd', { handoutId: view.handoutId });
  assert.deepEqual(ended, { confirmed: 3, missing: [], backedUp: true });
  assert.equal((await store.resolve(key.id)).lastBackup?.kind, 'slip39');
  await fails('backupHandoutView', { handoutId: view.handoutId }, 'CEREMONY_NOT_STARTED');
  assert.deepEqual(await ok('backupHandouts', {}), []);

  const text = JSON.stringify(audit.events);
  // The audit log's own vocabulary (e.g. via "desktop", kind "paper") shares words with the SLIP-39 list; a share
  // word that happens to be one of those values is not a leak, any other one is.
  const enumFields = ['action', 'outcome', 'via', 'kind', 'purpose'];
  const vocabulary = new Set(audit.events.flatMap((event) => enumFields.map((field) => (event as Record<string, unknown>)[field]).filter((value): value is string => typeof value === 'string')));
  for (const word of words.filter((w) => !vocabulary.has(w))) assert.ok(!text.includes(`"${word}"`), `no share word in the audit log`);
  for (const [i, word] of words.entries()) if (i > 0) assert.ok(!text.includes(`${words[i - 1]} ${word}`), 'no run of share words in the audit log');
  assert.deepEqual(audit.events.filter((e) => e.action.startsWith('backup.')).map((e) => `${e.action}:${e.outcome}`), [
    'backup.split:ok', 'backup.handout.confirm:error', 'backup.handout.show:ok', 'backup.handout.confirm:error', 'backup.handout.show:ok', 'backup.handout.confirm:ok',
    'backup.handout.show:ok', 'backup.handout.confirm:ok', 'backup.handout.show:ok', 'backup.handout.confirm:ok', 'backup.handout.end:ok',
  ]);
});

test('ending early needs the missing holders named; below the threshold the key is not marked backed up', async () => {
  const key = await store.generate('orders-db');
  const view = await ok<BackupHandoutView>('backupSplitBegin', { key: key.id, shares: 3, threshold: 2, holders: ['Ana', 'Ben', 'Cem'] });
  await handOut(view, 1);
  const open = await fails('backupHandoutEnd', { handoutId: view.handoutId }, 'HANDOUT_OPEN');
  assert.deepEqual(open.details?.['missing'], ['Ben', 'Cem']);
  await fails('backupHandoutEnd', { handoutId: view.handoutId, confirmation: 'no share for Ben' }, 'HANDOUT_OPEN');
  // Still open after the refusals.
  assert.equal((await ok<BackupHandoutView[]>('backupHandouts', {})).length, 1);
  const ended = await ok<{ backedUp: boolean; missing: string[] }>('backupHandoutEnd', { handoutId: view.handoutId, confirmation: '  no share for Ben,  Cem ' });
  assert.deepEqual(ended.missing, ['Ben', 'Cem']);
  assert.equal(ended.backedUp, false);
  assert.equal((await store.resolve(key.id)).lastBackup, undefined);
});

test('bad split requests change nothing: threshold above N, a name per holder, threshold 1 of several', async () => {
  await store.generate('orders-db');
  await fails('backupSplitBegin', { key: 'orders-db', shares: 3, threshold: 4, holders: ['a', 'b', 'c'] }, 'INVALID_INPUT');
  await fails('backupSplitBegin', { key: 'orders-db', shares: 3, threshold: 2, holders: ['a'] }, 'INVALID_INPUT');
  await fails('backupSplitBegin', { key: 'orders-db', shares: 3, threshold: 1, holders: ['a', 'b', 'c'] }, 'INVALID_INPUT');
  await fails('backupSplitBegin', { key: 'orders-db', shares: 2, threshold: 2, holders: ['a', 'b'], extra: true }, 'INVALID_INPUT');
  await fails('backupSplitBegin', { key: 'nope', shares: 2, threshold: 2, holders: ['a', 'b'] }, 'KEY_NOT_FOUND');
  assert.deepEqual(await ok('backupHandouts', {}), []);
});

test('restore and drill: shares checked as they arrive, a drill match and a mismatch are recorded, a restore stores the key', async () => {
  const key = await store.generate('orders-db');
  const split = await ok<BackupHandoutView>('backupSplitBegin', { key: key.id, shares: 3, threshold: 2, holders: ['Ana', 'Ben', 'Cem'] });
  const shares = [await handOut(split, 1), await handOut(split, 2), await handOut(split, 3)];
  await ok('backupHandoutEnd', { handoutId: split.handoutId });

  // Drill: one field per word, or a whole share in one field.
  let drill = await ok<RestoreView>('restoreBegin', { mode: 'drill', key: 'orders-db' });
  const typo = [...shares[0]!];
  typo[6] = 'zzzzz';
  const invalid = await fails('restoreAddShare', { restoreId: drill.restoreId, words: typo }, 'MNEMONIC_INVALID');
  assert.match(invalid.message, /word 7/);
  drill = await ok<RestoreView>('restoreAddShare', { restoreId: drill.restoreId, words: shares[0] });
  assert.deepEqual([drill.accepted, drill.threshold, drill.missing, drill.complete, drill.shareNumbers], [1, 2, 1, false, [1]]);
  await fails('restoreAddShare', { restoreId: drill.restoreId, words: shares[0] }, 'MNEMONIC_DUPLICATE');
  await fails('restoreFinish', { restoreId: drill.restoreId }, 'MNEMONIC_INSUFFICIENT');
  drill = await ok<RestoreView>('restoreAddShare', { restoreId: drill.restoreId, words: [shares[2]!.join('  ')] });
  assert.deepEqual(drill.shareNumbers, [1, 3]);
  // A passphrase the split did not use gives another key: RESTORE_MISMATCH, recorded, and the wizard stays open.
  await fails('restoreFinish', { restoreId: drill.restoreId, passphrase: 'not used' }, 'RESTORE_MISMATCH');
  assert.equal((await store.resolve(key.id)).lastDrill?.outcome, 'mismatch');
  const matched = await ok<{ outcome: string }>('restoreFinish', { restoreId: drill.restoreId });
  assert.equal(matched.outcome, 'match');
  assert.equal((await store.resolve(key.id)).lastDrill?.outcome, 'match');
  await fails('restoreView', { restoreId: drill.restoreId }, 'CEREMONY_NOT_STARTED');

  // Restore after the key is gone, with the sheet's key id as a guard.
  await store.delete(key.id);
  let restore = await ok<RestoreView>('restoreBegin', { mode: 'restore', name: 'orders-db-restored', expectedId: key.id.toLowerCase() });
  restore = await ok<RestoreView>('restoreAddShare', { restoreId: restore.restoreId, words: shares[1] });
  restore = await ok<RestoreView>('restoreAddShare', { restoreId: restore.restoreId, words: shares[2] });
  assert.equal(restore.complete, true);
  const restored = await ok<{ key: { id: string; name: string; origin: string } }>('restoreFinish', { restoreId: restore.restoreId });
  assert.deepEqual([restored.key.id, restored.key.name, restored.key.origin], [key.id, 'orders-db-restored', 'restored']);

  const text = JSON.stringify(audit.events);
  for (const share of shares) assert.ok(!text.includes(share.slice(0, 3).join(' ')), 'no share in the audit log');
  assert.ok(!text.includes('not used'), 'no passphrase in the audit log');
  assert.ok(audit.events.some((e) => e.action === 'backup.drill' && e['result'] === 'mismatch'));
  assert.ok(audit.events.some((e) => e.action === 'backup.restore' && e.outcome === 'ok'));
});

test('a restore whose shares give another key than the sheet\'s id stores nothing', async () => {
  const key = await store.generate('orders-db');
  const other = await store.generate('other');
  const split = await ok<BackupHandoutView>('backupSplitBegin', { key: other.id, shares: 2, threshold: 2, holders: ['Ana', 'Ben'] });
  const shares = [await handOut(split, 1), await handOut(split, 2)];
  let restore = await ok<RestoreView>('restoreBegin', { mode: 'restore', name: 'restored', expectedId: key.id });
  for (const words of shares) restore = await ok<RestoreView>('restoreAddShare', { restoreId: restore.restoreId, words });
  await fails('restoreFinish', { restoreId: restore.restoreId }, 'RESTORE_MISMATCH');
  // Sorted: two keys made in the same millisecond list in id order, which is random.
  assert.deepEqual((await store.list()).map((k) => k.name).sort(), ['orders-db', 'other']);
  await ok('restoreCancel', { restoreId: restore.restoreId });
  await fails('restoreView', { restoreId: restore.restoreId }, 'CEREMONY_NOT_STARTED');
});
