/**
 * The rotation workflow in the core with an in-memory keychain and fake servers (each a StatusResult that the
 * fake rekey/push change): begin/finish/abort rules, the consistency after each refusal, key ages and the delete
 * guard. The real thing (real receivers, keyring and OpenBao) runs in test/integration/rotation.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { keyId } from '../../../src-main/core/crypto/index.js';
import { CustodianError } from '../../../src-main/core/errors.js';
import { KeyStore, MemorySecretStore } from '../../../src-main/core/keystore/index.js';
import type { PushResult, StatusResult } from '../../../src-main/core/push/index.js';
import { ServerRegistry } from '../../../src-main/core/push/index.js';
import {
  checkDeletable, checkNotInstalled, keyAges, parseDays, rotationFile, RotationWorkflow, type RekeyOutcome,
} from '../../../src-main/core/rotation/index.js';

const dirs: string[] = [];
const FINGERPRINT = `ed25519:${'A'.repeat(43)}`;
after(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }); });

interface FakeServer { status: StatusResult }

let home: string;
let keys: KeyStore;
let secrets: MemorySecretStore;
let fleet: Map<string, FakeServer>;
let clock: Date;
let rekeyCalls: string[][];

function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(() => 'none', (error: unknown) => (error instanceof CustodianError ? error.code : `not coded: ${String(error)}`));
}

function workflow(): RotationWorkflow {
  return new RotationWorkflow({
    keys, state: rotationFile(home), servers: new ServerRegistry(home), now: () => clock,
    status: async (chosen) => chosen.map((s) => structuredClone(fleet.get(s.name)!.status)),
    push: async (chosen, raw): Promise<PushResult[]> => chosen.map((s) => {
      const server = fleet.get(s.name)!.status;
      server.state = 'unlocked';
      server.installedKeyIds = raw.map((k) => keyId(k));
      return { server: s.name, url: s.url, ok: true, outcome: 'unlocked', keyIds: server.installedKeyIds };
    }),
    rekey: async (chosen, raw, retire): Promise<RekeyOutcome[]> => {
      rekeyCalls.push([...retire]);
      return chosen.map((s) => {
        const server = fleet.get(s.name)!.status;
        server.installedKeyIds = raw.map((k) => keyId(k));
        return { server: s.name, ok: true, installedKeyIds: server.installedKeyIds };
      });
    },
  });
}

async function pin(name: string, keyChecks: string[]): Promise<void> {
  await new ServerRegistry(home).add({ name, url: `http://127.0.0.1:1/${name}`, identity: FINGERPRINT, serverId: name, added: clock.toISOString() });
  fleet.set(name, { status: { server: name, url: '', ok: true, state: 'locked', keyChecks, installedKeyIds: [], tokensUnderPrevious: null } });
}

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'custodian-rotation-unit-'));
  dirs.push(home);
  secrets = new MemorySecretStore();
  clock = new Date('2026-12-01T10:00:00.000Z');
  keys = new KeyStore({ secrets, home, now: () => clock });
  fleet = new Map();
  rekeyCalls = [];
});

describe('rotate begin', () => {
  test('a generated key without backup stops begin (the key stays listed, nothing recorded); --no-backup-check starts and warns', async () => {
    const old = await keys.generate('mail');
    assert.equal(await codeOf(workflow().begin({ key: 'mail' })), 'ROTATION_BACKUP_MISSING');
    assert.equal((await keys.list()).length, 2, 'the generated key is kept for the next attempt');
    assert.equal((await rotationFile(home).read()).open, null);
    const generated = (await keys.list()).find((k) => k.id !== old.id)!;
    const begun = await workflow().begin({ key: 'mail', newKey: generated.id, noBackupCheck: true });
    assert.equal(begun.open?.newKeyId, generated.id);
    assert.match(begun.warnings[0]!, /no backup/);
    const state = await rotationFile(home).read();
    assert.deepEqual([state.keys[old.id]?.state, state.keys[generated.id]?.state], ['previous', 'current']);
  });

  test('a backed-up key starts the rotation; begin again is ROTATION_OPEN and changes nothing', async () => {
    await keys.generate('mail');
    const next = await keys.generate('mail-2');
    await keys.markBackedUp(next.id, 'slip39');
    await pin('app-1', [keyId(Buffer.alloc(32, 1))]);
    const begun = await workflow().begin({ key: 'mail', newKey: 'mail-2', graceDays: 10 });
    assert.deepEqual(begun.notAccepting, ['app-1'], 'the server does not list the new key yet');
    assert.equal(begun.graceDaysLeft, 10);
    const before = readFileSync(join(home, 'rotation.json'), 'utf8');
    assert.equal(await codeOf(workflow().begin({ key: 'mail-2', noBackupCheck: true })), 'ROTATION_OPEN');
    assert.equal(readFileSync(join(home, 'rotation.json'), 'utf8'), before);
    assert.equal((await keys.list()).length, 2, 'no key was generated by the refused begin');
  });

  test('a locked keychain at begin records nothing', async () => {
    await keys.generate('mail');
    const next = await keys.generate('mail-2');
    await secrets.delete(next.id);
    assert.equal(await codeOf(workflow().begin({ key: 'mail', newKey: 'mail-2', noBackupCheck: true })), 'KEY_MISSING_FROM_KEYCHAIN');
    assert.equal((await rotationFile(home).read()).open, null);
  });
});

describe('rotate finish and abort', () => {
  let oldId: string;
  let newId: string;
  beforeEach(async () => {
    oldId = (await keys.generate('mail')).id;
    newId = (await keys.generate('mail-2')).id;
    await pin('app-1', [newId, oldId]);
    await pin('app-2', [oldId]);
    await workflow().begin({ key: 'mail', newKey: 'mail-2', noBackupCheck: true });
  });

  test('finish refuses per server until each accepts and runs the new key and reports 0 tokens under the previous key', async () => {
    const refused = await workflow().finish().catch((e: CustodianError) => e);
    assert.ok(refused instanceof CustodianError && refused.code === 'ROTATION_NOT_READY');
    assert.match(refused.message, /app-2 does not accept the new key/);
    fleet.get('app-2')!.status.keyChecks = [newId, oldId];
    await workflow().push();
    assert.deepEqual(fleet.get('app-1')!.status.installedKeyIds, [newId, oldId]);
    assert.match(String((await workflow().finish().then(() => 'finished', (e: Error) => e.message))), /does not report/);
    fleet.get('app-1')!.status.tokensUnderPrevious = 3;
    fleet.get('app-2')!.status.tokensUnderPrevious = 0;
    assert.match(String((await workflow().finish().then(() => 'finished', (e: Error) => e.message))), /app-1 still holds 3 token/);
    fleet.get('app-1')!.status.tokensUnderPrevious = 0;
    // A restart mid-rotation: locked again, the next push sends both keys.
    fleet.get('app-2')!.status.state = 'locked';
    fleet.get('app-2')!.status.installedKeyIds = [];
    const status = await workflow().status();
    assert.match(status.servers.find((s) => s.server === 'app-2')!.blocker!.hint!, /rotate push/);
    await workflow().push(['app-2']);
    assert.ok((await workflow().status()).ready);
    const finished = await workflow().finish();
    assert.deepEqual(rekeyCalls, [[oldId]], 'one rekey round, retiring the old key explicitly');
    assert.deepEqual(finished.rekeyed.map((r) => r.installedKeyIds), [[newId], [newId]]);
    const state = await rotationFile(home).read();
    assert.deepEqual([state.open, state.keys[oldId]?.state, state.keys[newId]?.state], [null, 'retired', 'current']);
    assert.equal(await codeOf(workflow().finish()), 'ROTATION_NONE', 'finish twice');
    assert.equal(checkDeletable(state, oldId), 'retired');
    assert.throws(() => checkDeletable(state, newId), /current key/);
  });

  test('abort goes back while no server holds the new key, and is refused once one does', async () => {
    fleet.get('app-1')!.status.state = 'unlocked';
    fleet.get('app-1')!.status.installedKeyIds = [newId, oldId];
    assert.equal(await codeOf(workflow().abort()), 'ROTATION_ABORT_REFUSED');
    assert.notEqual((await rotationFile(home).read()).open, null, 'still open after the refusal');
    fleet.get('app-1')!.status.installedKeyIds = [oldId];
    const aborted = await workflow().abort();
    assert.equal(aborted.newKeyId, newId);
    const state = await rotationFile(home).read();
    assert.deepEqual([state.open, state.keys[oldId]?.state, state.keys[newId]], [null, 'current', undefined]);
    assert.equal(state.history.at(-1)?.outcome, 'aborted');
  });

  test('a key still installed on a server cannot be deleted; key ages flag keys past the interval', async () => {
    assert.throws(() => checkNotInstalled(oldId, [{ server: 'app-1', installedKeyIds: [oldId] }]), (e: CustodianError) => e.code === 'ROTATION_KEY_IN_USE');
    clock = new Date('2027-04-01T10:00:00.000Z');
    const ages = keyAges(await keys.list(), await rotationFile(home).read(), clock);
    assert.deepEqual(ages.map((a) => [a.ageDays, a.overdue]), [[121, true], [121, true]]);
  });
});

test('parseDays takes 30d, 4w and bare days, and refuses anything else without quoting it', () => {
  assert.deepEqual([parseDays('30d', '--grace'), parseDays('4w', '--grace'), parseDays('90', '--grace')], [30, 28, 90]);
  for (const bad of ['0w', '30h', '-5', 'abc', '99999d']) assert.throws(() => parseDays(bad, '--grace'), (e: CustodianError) => e.code === 'USAGE' && !e.message.includes(bad));
});
