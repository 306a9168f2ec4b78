/**
 * The desktop app's rotation actions (handlers/rotation.ts) through the contract's validation (invokeAction), on
 * an in-memory keychain and a temporary custodian home with no servers pinned: key ages and states for the key
 * list, begin / finish / abort on the core workflow (rotation.json as the CLI writes it), the request checks, and
 * presence before finish and abort. The whole rotation against real receivers is test/e2e/rotation.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import type { ErrorView, RotationBegun, RotationFinished, RotationKeysView, RotationStatusView } from '../../../src-shared/contract.js';
import { invokeAction, type HandlerTable } from '../../../src-main/app/dispatch.js';
import { NEEDS_PRESENCE } from '../../../src-main/app/guard.js';
import { rotationHandlers } from '../../../src-main/app/handlers/rotation.js';
import { MemoryAuditLog } from '../../../src-main/core/audit.js';
import { KeyStore } from '../../../src-main/core/keystore/index.js';
import { MemorySecretStore } from '../../../src-main/core/keystore/secret-store.js';
import { rotationFile } from '../../../src-main/core/rotation/index.js';

let home: string;
let audit: MemoryAuditLog;
let keys: KeyStore;
let table: HandlerTable;
let now: Date;
let oldId: string;

async function act<T>(action: string, request: unknown): Promise<T> {
  const result = await invokeAction(table, action as never, request);
  assert.ok(result.ok, `${action}: ${JSON.stringify(result)}`);
  return result.value as T;
}
async function refused(action: string, request: unknown): Promise<ErrorView> {
  const result = await invokeAction(table, action as never, request);
  assert.ok(!result.ok, `${action} was expected to fail`);
  return result.error;
}

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'custodian-rotation-handlers-'));
  audit = new MemoryAuditLog();
  const secrets = new MemorySecretStore();
  keys = new KeyStore({ secrets, home, audit });
  oldId = (await keys.generate('mail-data')).id;
  now = new Date();
  table = rotationHandlers({ env: {}, home, audit, secrets: () => secrets, keys: () => keys, now: () => now }) as unknown as HandlerTable;
});

afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

test('rotationKeys: age and state per key; a key older than the interval is flagged overdue until it is retired', async () => {
  const fresh = await act<RotationKeysView>('rotationKeys', {});
  assert.deepEqual(fresh, { intervalDays: 90, open: null, keys: [{ id: oldId, ageDays: 0, state: null, overdue: false }] });
  now = new Date(Date.now() + 91 * 86_400_000);
  const later = await act<RotationKeysView>('rotationKeys', {});
  assert.deepEqual(later.keys.map((k) => [k.ageDays, k.overdue]), [[91, true]]);
});

test('begin refuses a generated key without a backup (its id in the details), then starts with noBackupCheck; finish retires the old key', async () => {
  const missing = await refused('rotationBegin', { key: 'mail-data', name: 'mail-data-2027', noBackupCheck: false });
  assert.equal(missing.code, 'ROTATION_BACKUP_MISSING');
  const newId = missing.details?.['newKeyId'] as string;
  assert.match(newId, /^K1-/);
  assert.equal((await act<RotationKeysView>('rotationKeys', {})).open, null, 'nothing recorded');

  const begun = await act<RotationBegun>('rotationBegin', { key: oldId, newKey: newId, graceDays: 14, noBackupCheck: true });
  assert.deepEqual([begun.oldKey.id, begun.newKey.id, begun.generated], [oldId, newId, false]);
  assert.match(begun.warnings[0] ?? '', /has no backup/);
  assert.equal(begun.graceDaysLeft, 14);
  const view = await act<RotationKeysView>('rotationKeys', {});
  assert.deepEqual([view.open?.oldKeyId, view.open?.newKeyId], [oldId, newId]);
  assert.deepEqual(Object.fromEntries(view.keys.map((k) => [k.id, k.state])), { [oldId]: 'previous', [newId]: 'current' });
  assert.equal((await refused('rotationBegin', { key: newId, noBackupCheck: true })).code, 'ROTATION_OPEN');

  const status = await act<RotationStatusView>('rotationStatus', {});
  assert.deepEqual([status.ready, status.servers, status.vault], [true, [], null]);
  const finished = await act<RotationFinished>('rotationFinish', { force: false });
  assert.deepEqual([finished.oldKeyId, finished.newKeyId, finished.rekeyed, finished.forced], [oldId, newId, [], false]);
  assert.match(finished.warnings.join(' '), /grace period runs until/);
  const state = await rotationFile(home).read();
  assert.deepEqual([state.open, state.keys[oldId]?.state, state.keys[newId]?.state, state.history.at(-1)?.outcome], [null, 'retired', 'current', 'finished']);
  assert.equal((await refused('rotationAbort', { force: false })).code, 'ROTATION_NONE');
  assert.ok(audit.events.some((e) => e['action'] === 'rotate.finish' && e['via'] === 'desktop'), 'audited as made from the desktop app');
});

test('abort puts the old key back; the new key stays in the keychain', async () => {
  const newId = (await keys.generate('next')).id;
  await act('rotationBegin', { key: oldId, newKey: newId, noBackupCheck: true });
  const aborted = await act<{ oldKeyId: string; newKeyId: string }>('rotationAbort', { force: false });
  assert.deepEqual([aborted.oldKeyId, aborted.newKeyId], [oldId, newId]);
  const state = await rotationFile(home).read();
  assert.deepEqual([state.open, state.keys[oldId]?.state, state.keys[newId]], [null, 'current', undefined]);
  assert.ok((await keys.list()).some((k) => k.id === newId));
});

test('requests: a generated name and an existing new key together, a bad KV path or grace period are refused before anything runs', async () => {
  const next = (await keys.generate('next')).id;
  for (const request of [
    { key: oldId, newKey: next, name: 'x', noBackupCheck: true },
    { key: oldId, vaultKv: 'secret', noBackupCheck: true },
    { key: oldId, vaultKv: 'secret/../x', noBackupCheck: true },
    { key: oldId, graceDays: 0, noBackupCheck: true },
    { key: oldId },
  ]) assert.equal((await refused('rotationBegin', request)).code, 'INVALID_INPUT', JSON.stringify(request));
  assert.equal((await refused('rotationFinish', {})).code, 'INVALID_INPUT');
  assert.equal((await act<RotationKeysView>('rotationKeys', {})).open, null);
  assert.equal((await keys.list()).length, 2, 'no key generated');
});

test('finish and abort ask for presence (guard.ts); begin, status and push do not, like pushKey', () => {
  for (const action of ['rotationFinish', 'rotationAbort'] as const) assert.ok(NEEDS_PRESENCE.has(action), action);
  for (const action of ['rotationKeys', 'rotationStatus', 'rotationBegin', 'rotationPush', 'pushKey'] as const) assert.ok(!NEEDS_PRESENCE.has(action), action);
});
