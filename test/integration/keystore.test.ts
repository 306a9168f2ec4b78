/**
 * KeyStore and OsKeychain in-process against a real gnome-keyring on a private D-Bus session.
 *
 * @napi-rs/keyring connects to D-Bus once per process, with the DBUS_SESSION_BUS_ADDRESS it sees first; so this
 * file starts one keyring session, points process.env at it before any keychain call, and runs its tests in order
 * (the locked-keyring test is last, since this process cannot unlock it again). The no-Secret-Service case
 * needs a process of its own and is covered through the CLI in cli-keys.test.ts.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FileAuditLog } from '../../src-main/core/audit.js';
import { decodeFernetKey, encodeFernetKey, generateFernetKey, keyId } from '../../src-main/core/crypto/index.js';
import { CustodianError, type ErrorCode } from '../../src-main/core/errors.js';
import { KeyStore, OsKeychain, openKeyStore } from '../../src-main/core/keystore/index.js';
import { secretTool, startKeyring, type KeyringSession } from '../support/keyring.js';
import { filesLeaking, filesUnder } from '../support/secret-forms.js';

const failsWith = (code: ErrorCode) => (error: unknown): boolean => {
  assert.ok(error instanceof CustodianError, `expected a CustodianError, got ${String(error)}`);
  assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
  return true;
};

let session: KeyringSession;
let store: KeyStore;
let keychain: OsKeychain;
const savedEnv = { ...process.env };

before(async () => {
  session = await startKeyring();
  Object.assign(process.env, session.env);
  keychain = new OsKeychain(session.env['CUSTODIAN_KEYCHAIN_SERVICE']);
  store = openKeyStore(session.env);
});

after(async () => {
  await session?.stop(); // throws if any keyring process is left behind
  for (const name of Object.keys(session?.env ?? {})) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});

function items(): string {
  // secret-tool prints the secret on stdout and the attributes on stderr.
  const run = secretTool(session.env, ['search', '--all', 'service', session.env['CUSTODIAN_KEYCHAIN_SERVICE'] as string]);
  return `${run.stdout}\n${run.stderr}`;
}

test('OsKeychain stores, reads and deletes arbitrary bytes in the Secret Service', async () => {
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  await keychain.set('account-1', bytes);
  assert.deepEqual(await keychain.get('account-1'), bytes);
  assert.equal(await keychain.get('no-such-account'), null);
  assert.equal(await keychain.delete('account-1'), true);
  assert.equal(await keychain.get('account-1'), null);
  assert.equal(await keychain.delete('account-1'), false);
});

test('OsKeychain keeps services apart: the same account under another service is another item', async () => {
  const other = new OsKeychain(`${session.env['CUSTODIAN_KEYCHAIN_SERVICE']}-other`);
  await keychain.set('shared', Buffer.from('mine'));
  await other.set('shared', Buffer.from('theirs'));
  assert.deepEqual(await keychain.get('shared'), Buffer.from('mine'));
  assert.deepEqual(await other.get('shared'), Buffer.from('theirs'));
  await keychain.delete('shared');
  assert.deepEqual(await other.get('shared'), Buffer.from('theirs'));
  await other.delete('shared');
});

test('generate: the key is in the keychain (as Fernet key text, account = key id) and only metadata on disk', async () => {
  const record = await store.generate('orders-db');
  const listing = items();
  assert.match(listing, new RegExp(`username = ${record.id}`), 'secret-tool sees the item under the key id');
  const text = await keychain.get(record.id);
  assert.ok(text);
  const raw = decodeFernetKey(text);
  assert.equal(keyId(raw), record.id);
  assert.deepEqual(JSON.parse(await readFile(join(session.env['CUSTODIAN_HOME'] as string, 'keys.json'), 'utf8')), { version: 1, keys: [record] });
  assert.ok(filesUnder(session.env['CUSTODIAN_HOME'] as string).length >= 2, 'keys.json and audit.log exist');
  assert.deepEqual(filesLeaking(session.env['HOME'] as string, raw), [], 'the key is in no file under HOME (the keyring file is encrypted)');
  await store.withKey(record.id, (lent) => assert.deepEqual(lent, raw));
  await store.delete(record.id);
  assert.equal(await keychain.get(record.id), null);
  assert.deepEqual(await store.list(), []);
});

test('import then load gives back the same key; delete removes the keychain item', async () => {
  const raw = generateFernetKey();
  const record = await store.import('legacy', Buffer.concat([encodeFernetKey(raw), Buffer.from('\n')]));
  assert.equal(record.id, keyId(raw));
  await store.withKey('legacy', (lent) => assert.deepEqual(lent, raw));
  await store.delete('legacy');
  assert.doesNotMatch(items(), new RegExp(record.id));
});

test('two keys with the same name: two keychain items, the name is ambiguous, ids work', async () => {
  const a = await store.generate('payments');
  const b = await store.generate('payments');
  assert.notEqual(a.id, b.id);
  const listing = items();
  assert.match(listing, new RegExp(a.id));
  assert.match(listing, new RegExp(b.id));
  await assert.rejects(store.withKey('payments', () => 1), (error: unknown) => {
    failsWith('KEY_AMBIGUOUS')(error);
    assert.deepEqual(((error as CustodianError).details?.['ids'] as string[]).sort(), [a.id, b.id].sort());
    return true;
  });
  const rawA = await store.withKey(a.id, (raw) => Buffer.from(raw));
  const rawB = await store.withKey(b.id, (raw) => Buffer.from(raw));
  assert.notDeepEqual(rawA, rawB);
  await store.delete(a.id);
  await store.delete(b.id);
});

test('an item deleted behind the app\'s back (secret-tool clear): KEY_MISSING_FROM_KEYCHAIN, delete cleans up, import restores', async () => {
  const raw = generateFernetKey();
  const record = await store.import('fragile', encodeFernetKey(raw));
  const cleared = secretTool(session.env, ['clear', 'service', session.env['CUSTODIAN_KEYCHAIN_SERVICE'] as string, 'username', record.id]);
  assert.equal(cleared.status, 0, cleared.stderr);
  await assert.rejects(store.withKey(record.id, () => 1), failsWith('KEY_MISSING_FROM_KEYCHAIN'));
  await assert.rejects(store.verify('fragile'), failsWith('KEY_MISSING_FROM_KEYCHAIN'));

  await store.import('fragile again', encodeFernetKey(raw));
  assert.deepEqual(await store.verify(record.id), record, 'restored under the original listing');

  secretTool(session.env, ['clear', 'service', session.env['CUSTODIAN_KEYCHAIN_SERVICE'] as string, 'username', record.id]);
  assert.deepEqual(await store.delete(record.id), record);
  assert.deepEqual(await store.list(), []);
  const audit = await readFile(new FileAuditLog(session.env['CUSTODIAN_HOME'] as string).path, 'utf8');
  assert.match(audit, /"action":"key.delete"[^\n]*"keychainItemExisted":false[^\n]*"outcome":"ok"/);
});

test('a locked keyring: KEYCHAIN_LOCKED for reads and writes, and nothing is written to disk instead', async () => {
  const record = await store.generate('before-lock');
  const metadataBefore = await readFile(join(session.env['CUSTODIAN_HOME'] as string, 'keys.json'), 'utf8');
  await session.lock();
  await assert.rejects(store.withKey(record.id, () => 1), failsWith('KEYCHAIN_LOCKED'));
  await assert.rejects(store.generate('while-locked'), failsWith('KEYCHAIN_LOCKED'));
  await assert.rejects(store.import('while-locked', encodeFernetKey(generateFernetKey())), failsWith('KEYCHAIN_LOCKED'));
  await assert.rejects(store.delete(record.id), failsWith('KEYCHAIN_LOCKED'));
  await assert.rejects(keychain.set('x', Buffer.from('y')), (error: unknown) => {
    failsWith('KEYCHAIN_LOCKED')(error);
    assert.match((error as CustodianError).hint ?? '', /[Uu]nlock/);
    return true;
  });
  assert.equal(await readFile(join(session.env['CUSTODIAN_HOME'] as string, 'keys.json'), 'utf8'), metadataBefore, 'metadata unchanged');
});
