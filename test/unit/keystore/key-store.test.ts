import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { MemoryAuditLog } from '../../../src-main/core/audit.js';
import { decodeFernetKey, encodeFernetKey, generateFernetKey, keyId } from '../../../src-main/core/crypto/index.js';
import { CustodianError, type ErrorCode } from '../../../src-main/core/errors.js';
import { KeyStore, MemorySecretStore, resolveIn, type KeyRecord, type SecretStore } from '../../../src-main/core/keystore/index.js';

const failsWith = (code: ErrorCode) => (error: unknown): boolean => {
  assert.ok(error instanceof CustodianError, `expected a CustodianError, got ${String(error)}`);
  assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
  return true;
};

let home: string;
let secrets: MemorySecretStore;
let audit: MemoryAuditLog;
let store: KeyStore;
const fixedNow = new Date('2026-01-02T03:04:05.000Z');

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'custodian-keystore-'));
  secrets = new MemorySecretStore();
  audit = new MemoryAuditLog();
  store = new KeyStore({ secrets, home, audit, now: () => fixedNow });
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function stored(id: string): Promise<Buffer> {
  const item = await secrets.get(id);
  assert.ok(item, `no keychain item for ${id}`);
  return item;
}

describe('generate', () => {
  test('puts the key text into the secret store under its key id, and only public facts into keys.json', async () => {
    const record = await store.generate('orders-db');
    assert.deepEqual(record, { id: record.id, name: 'orders-db', created: fixedNow.toISOString(), origin: 'generated' });
    const text = await stored(record.id);
    assert.equal(text.length, 44, 'the item holds the 44-byte Fernet key text');
    const raw = decodeFernetKey(text);
    assert.equal(keyId(raw), record.id, 'the id is the key id of the stored key');
    const file = JSON.parse(await readFile(join(home, 'keys.json'), 'utf8')) as unknown;
    assert.deepEqual(file, { version: 1, keys: [record] });
    assert.deepEqual(await store.list(), [record]);
  });

  test('each key is new: two generates give two different keys and ids', async () => {
    const a = await store.generate('a');
    const b = await store.generate('b');
    assert.notEqual(a.id, b.id);
    assert.notDeepEqual(await stored(a.id), await stored(b.id));
  });

  test('refuses bad names before touching the keychain', async () => {
    const keyAsName = encodeFernetKey(generateFernetKey()).toString();
    for (const name of ['', ' padded ', 'tab\there', 'K1-ABCD', 'k1-lower', 'x'.repeat(101), keyAsName]) {
      await assert.rejects(store.generate(name), failsWith('INVALID_INPUT'), JSON.stringify(name));
    }
    assert.deepEqual(secrets.accounts(), []);
    await assert.rejects(readFile(join(home, 'keys.json')), { code: 'ENOENT' });
  });

  test('a keychain failure writes no metadata', async () => {
    const broken: SecretStore = {
      set: async () => { throw new CustodianError('KEYCHAIN_UNAVAILABLE', 'no keychain'); },
      get: async () => null,
      delete: async () => false,
    };
    const failing = new KeyStore({ secrets: broken, home, audit });
    await assert.rejects(failing.generate('x'), failsWith('KEYCHAIN_UNAVAILABLE'));
    await assert.rejects(readFile(join(home, 'keys.json')), { code: 'ENOENT' });
  });

  test('a failed metadata write takes the new keychain item back out (no orphan)', async () => {
    // The metadata file turns corrupt between the keychain write and the metadata write.
    const sabotaging: SecretStore = {
      set: async (account, secret) => {
        await secrets.set(account, secret);
        await writeFile(join(home, 'keys.json'), '{"version": 1, "keys": [');
      },
      get: (account) => secrets.get(account),
      delete: (account) => secrets.delete(account),
    };
    const racing = new KeyStore({ secrets: sabotaging, home, audit });
    await assert.rejects(racing.generate('x'), failsWith('METADATA_CORRUPT'));
    assert.deepEqual(secrets.accounts(), [], 'the keychain item was removed again');
    assert.equal(await readFile(join(home, 'keys.json'), 'utf8'), '{"version": 1, "keys": [', 'the corrupt file was left as it was');
    assert.equal(audit.events.at(-1)?.outcome, 'error');
  });

  test('a corrupt metadata file is reported, left untouched, and the keychain is not touched', async () => {
    const path = join(home, 'keys.json');
    for (const content of ['not json', '{"version": 2, "keys": []}', '{"version": 1, "keys": [{"id": "nope", "name": "x", "created": "2026-01-01T00:00:00Z", "origin": "generated"}]}',
      '{"version": 1, "keys": [], "extra": true}']) {
      await writeFile(path, content);
      await assert.rejects(store.generate('x'), failsWith('METADATA_CORRUPT'), content);
      await assert.rejects(store.list(), failsWith('METADATA_CORRUPT'));
      assert.equal(await readFile(path, 'utf8'), content);
      assert.deepEqual(secrets.accounts(), []);
    }
  });
});

describe('import', () => {
  const raw = generateFernetKey();
  const text = encodeFernetKey(raw);

  test('stores valid key text; one trailing LF or CRLF is accepted', async () => {
    for (const [name, input] of [['plain', text], ['lf', Buffer.concat([text, Buffer.from('\n')])], ['crlf', Buffer.concat([text, Buffer.from('\r\n')])]] as const) {
      const record = await store.import(name, Buffer.from(input));
      assert.equal(record.id, keyId(raw));
      assert.equal(record.origin, 'imported');
      assert.deepEqual(await stored(record.id), text);
      await store.delete(record.id);
    }
  });

  test('invalid key text is INVALID_KEY and stores nothing', async () => {
    const bad = [
      Buffer.from(''),
      Buffer.from('not a key'),
      Buffer.from(text.toString('latin1').replace(/=$/, '')),
      Buffer.from(` ${text.toString('latin1')}`),
      Buffer.concat([text, Buffer.from('\n\n')]),
      Buffer.from(`+${text.toString('latin1').slice(1)}`), // standard-base64 alphabet
      raw,
    ];
    for (const input of bad) await assert.rejects(store.import('bad', input), failsWith('INVALID_KEY'));
    assert.deepEqual(secrets.accounts(), []);
    assert.deepEqual(await store.list(), []);
  });

  test('the same key twice is KEY_EXISTS, whatever the name', async () => {
    const first = await store.import('first', Buffer.from(text));
    await assert.rejects(store.import('second', Buffer.from(text)), (error: unknown) => {
      failsWith('KEY_EXISTS')(error);
      assert.match((error as CustodianError).message, new RegExp(first.id));
      return true;
    });
    assert.deepEqual(await store.list(), [first]);
  });
});

describe('two keys with the same name', () => {
  test('both are kept and listed; the name alone is ambiguous and the error lists both ids; ids work', async () => {
    const a = await store.generate('orders-db');
    const b = await store.generate('orders-db');
    assert.deepEqual((await store.list()).map((record) => record.id).sort(), [a.id, b.id].sort());
    await assert.rejects(store.resolve('orders-db'), (error: unknown) => {
      failsWith('KEY_AMBIGUOUS')(error);
      const { details, hint } = error as CustodianError;
      assert.deepEqual((details?.['ids'] as string[]).sort(), [a.id, b.id].sort());
      assert.ok(hint?.includes(a.id) && hint.includes(b.id), 'the hint names both ids');
      return true;
    });
    await assert.rejects(store.withKey('orders-db', () => 1), failsWith('KEY_AMBIGUOUS'));
    await assert.rejects(store.delete('orders-db'), failsWith('KEY_AMBIGUOUS'));
    assert.equal((await store.resolve(a.id)).id, a.id);
    assert.equal((await store.resolve(b.id)).id, b.id);
    await store.delete(a.id);
    assert.equal((await store.resolve('orders-db')).id, b.id, 'once one is gone the name is unique again');
  });
});

describe('resolve', () => {
  test('full id (any case), unique id prefix, or unique name; otherwise KEY_NOT_FOUND / KEY_AMBIGUOUS', async () => {
    const a = await store.generate('alpha');
    const b = await store.generate('beta');
    assert.equal((await store.resolve(a.id.toLowerCase())).id, a.id);
    assert.equal((await store.resolve(` ${a.id} `)).id, a.id);
    assert.equal((await store.resolve(a.id.slice(0, 8))).id, a.id);
    assert.equal((await store.resolve('beta')).id, b.id);
    await assert.rejects(store.resolve('gamma'), failsWith('KEY_NOT_FOUND'));
    await assert.rejects(store.resolve('K1-'), failsWith('KEY_NOT_FOUND'), 'a bare prefix is too short to mean anything');
    await assert.rejects(store.resolve('K1-ZZZZ-ZZZZ'), failsWith('KEY_NOT_FOUND'));
    await assert.rejects(store.resolve('  '), failsWith('USAGE'));
    await assert.rejects(store.resolve('Alpha'), failsWith('KEY_NOT_FOUND'), 'names are case-sensitive');
  });

  test('a prefix shared by two ids is ambiguous; a name that equals another key\'s prefix is too', () => {
    const record = (id: string, name: string): KeyRecord => ({ id, name, created: fixedNow.toISOString(), origin: 'generated' });
    const keys = [record('K1-ABCD-EFGH-0000-0001', 'one'), record('K1-ABCD-EFGH-0000-0002', 'two'), record('K1-ZZZZ-0000-0000-0003', 'three')];
    assert.throws(() => resolveIn(keys, 'K1-ABCD'), failsWith('KEY_AMBIGUOUS'));
    assert.throws(() => resolveIn(keys, 'k1-abcd-efgh'), failsWith('KEY_AMBIGUOUS'));
    assert.equal(resolveIn(keys, 'K1-ABCD-EFGH-0000-0002').name, 'two');
    assert.equal(resolveIn(keys, 'K1-ZZZZ').name, 'three');
    assert.throws(() => resolveIn(keys, 'K1-ZZZ'), failsWith('KEY_NOT_FOUND'), 'fewer than 4 id characters is not a prefix');
  });
});

describe('withKey', () => {
  test('lends the 32 raw key bytes and wipes them afterwards, also when the callback throws', async () => {
    const record = await store.generate('x');
    const expected = decodeFernetKey(await stored(record.id));
    const lent: { raw?: Buffer } = {};
    const result = await store.withKey(record.id, (raw, lentRecord) => {
      lent.raw = raw;
      assert.deepEqual(raw, expected);
      assert.deepEqual(lentRecord, record);
      return 'done';
    });
    assert.equal(result, 'done');
    assert.ok(lent.raw && lent.raw.length === 32 && lent.raw.every((byte) => byte === 0), 'the lent buffer is zeroed afterwards');

    delete lent.raw;
    await assert.rejects(store.withKey(record.id, (raw) => {
      lent.raw = raw;
      throw new Error('callback failed');
    }), /callback failed/);
    const afterThrow = lent.raw as Buffer | undefined;
    assert.ok(afterThrow && afterThrow.every((byte) => byte === 0));
  });

  test('an item deleted behind our back is KEY_MISSING_FROM_KEYCHAIN with a hint; delete still drops the listing', async () => {
    const record = await store.generate('x');
    await secrets.delete(record.id);
    await assert.rejects(store.withKey(record.id, () => 1), (error: unknown) => {
      failsWith('KEY_MISSING_FROM_KEYCHAIN')(error);
      assert.match((error as CustodianError).hint ?? '', /backup/);
      assert.match((error as CustodianError).hint ?? '', /key delete/);
      return true;
    });
    await assert.rejects(store.verify(record.id), failsWith('KEY_MISSING_FROM_KEYCHAIN'));
    assert.deepEqual(await store.delete(record.id), record);
    assert.deepEqual(await store.list(), []);
    assert.equal(audit.events.at(-1)?.['keychainItemExisted'], false);
  });

  test('importing the lost key restores the keychain item and keeps the listing', async () => {
    const raw = generateFernetKey();
    const record = await store.import('x', encodeFernetKey(raw));
    await secrets.delete(record.id);
    assert.deepEqual(await store.import('whatever', encodeFernetKey(raw)), record);
    assert.deepEqual(await store.verify(record.id), record);
    assert.deepEqual(await store.list(), [record]);
  });

  test('an item that holds some other key is reported, not used', async () => {
    const record = await store.generate('x');
    await secrets.set(record.id, encodeFernetKey(generateFernetKey()));
    await assert.rejects(store.withKey(record.id, () => 1), failsWith('INVALID_KEY'));
    await secrets.set(record.id, Buffer.from('garbage'));
    await assert.rejects(store.withKey(record.id, () => 1), failsWith('INVALID_KEY'));
  });
});

describe('delete', () => {
  test('removes the keychain item and the listing, and leaves other keys', async () => {
    const a = await store.generate('a');
    const b = await store.generate('b');
    assert.deepEqual(await store.delete('a'), a);
    assert.deepEqual(secrets.accounts(), [b.id]);
    assert.deepEqual(await store.list(), [b]);
    await assert.rejects(store.delete(a.id), failsWith('KEY_NOT_FOUND'));
  });
});

test('the audit log gets one event per action, with ids and names only', async () => {
  const a = await store.generate('a');
  await store.withKey(a.id, () => undefined, { purpose: 'export' });
  await store.delete(a.id);
  assert.deepEqual(audit.events.map((event) => [event.action, event.outcome, event['keyId'], event['keyName']]), [
    ['key.generate', 'ok', a.id, 'a'],
    ['key.use', 'ok', a.id, 'a'],
    ['key.delete', 'ok', a.id, 'a'],
  ]);
  assert.equal(audit.events[1]?.['purpose'], 'export');
});
