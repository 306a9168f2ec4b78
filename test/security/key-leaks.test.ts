/**
 * Key material never reaches a file, an error or an audit event in the key store (in-process, MemorySecretStore).
 * The same properties through the real CLI and keychain: test/integration/key-leaks.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FileAuditLog } from '../../src-main/core/audit.js';
import { Fernet, encodeFernetKey, generateFernetKey } from '../../src-main/core/crypto/index.js';
import { CustodianError } from '../../src-main/core/errors.js';
import { KeyStore, MemorySecretStore } from '../../src-main/core/keystore/index.js';
import { filesLeaking, filesUnder, leakedForms } from '../support/secret-forms.js';

let home: string;
let store: KeyStore;
let secrets: MemorySecretStore;

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'custodian-leaks-'));
  secrets = new MemorySecretStore();
  store = new KeyStore({ secrets, home, audit: new FileAuditLog(home, { secrets }) });
});
after(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Everything an error could show: message, hint, details, and the whole cause chain. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error) {
    parts.push(current.message, current.stack ?? '');
    if (current instanceof CustodianError) parts.push(current.hint ?? '', JSON.stringify(current.details ?? {}));
    current = current.cause;
  }
  if (current !== undefined) parts.push(String(current));
  return parts.join('\n');
}

async function errorOf(action: () => unknown): Promise<CustodianError> {
  try {
    await action();
  } catch (error) {
    assert.ok(error instanceof CustodianError, `expected a CustodianError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the action to fail');
}

test('keys.json and audit.log never hold the key, after generate, import, use and delete', async () => {
  const imported = generateFernetKey();
  await store.import('imported', encodeFernetKey(imported));
  const generated = await store.generate('generated');
  const generatedRaw = await store.withKey(generated.id, (raw) => Buffer.from(raw), { purpose: 'test' });
  await store.withKey('imported', (raw) => new Fernet(raw).encrypt(Buffer.from('x')));
  assert.ok(filesUnder(home).some((path) => path.endsWith('keys.json')));
  assert.ok(filesUnder(home).some((path) => path.endsWith('audit.log')));
  assert.deepEqual(filesLeaking(home, imported), []);
  assert.deepEqual(filesLeaking(home, generatedRaw), []);
  await store.delete('imported');
  await store.delete(generated.id);
  assert.deepEqual(filesLeaking(home, imported), []);
  assert.deepEqual(filesLeaking(home, generatedRaw), []);
});

test('errors about bad input never quote the input, even when it is (nearly) a key', async () => {
  const raw = generateFernetKey();
  const text = encodeFernetKey(raw);
  const nearlyText = Buffer.from(text);
  nearlyText[10] = 0x2b; // '+': standard base64, not URL-safe
  const withSpace = Buffer.concat([Buffer.from(' '), text]);
  const cases: Array<[string, () => unknown]> = [
    ['import of a near-key', () => store.import('x', nearlyText)],
    ['import with surrounding space', () => store.import('x', withSpace)],
    ['import with two newlines', () => store.import('x', Buffer.concat([text, Buffer.from('\n\n')]))],
    ['the key pasted as a name', () => store.generate(text.toString())],
    ['the key pasted as a reference', () => store.resolve(text.toString())],
    ['the key pasted as a reference for use', () => store.withKey(text.toString(), () => 1)],
    ['the key pasted as a reference for delete', () => store.delete(text.toString())],
  ];
  for (const [label, action] of cases) {
    const error = await errorOf(action);
    assert.deepEqual(leakedForms(errorText(error), raw), [], `${label}: ${error.code}`);
  }
  assert.deepEqual(await store.list(), [], 'nothing was stored');
});

test('errors while using a stored key (wrong key, tampered token, replaced item) never show the key', async () => {
  const record = await store.generate('in-use');
  const raw = await store.withKey(record.id, (lent) => Buffer.from(lent));
  const other = generateFernetKey();
  const token = new Fernet(other).encrypt(Buffer.from('someone else\'s data'));
  const wrongKey = await errorOf(() => store.withKey(record.id, (lent) => new Fernet(lent).decrypt(token)));
  assert.equal(wrongKey.code, 'INVALID_TOKEN');
  const tampered = await store.withKey(record.id, (lent) => new Fernet(lent).encrypt(Buffer.from('x')));
  const at = tampered.length - 3;
  tampered[at] = (tampered[at] as number) ^ 1;
  const tamperedError = await errorOf(() => store.withKey(record.id, (lent) => new Fernet(lent).decrypt(tampered)));
  await secrets.set(record.id, encodeFernetKey(other));
  const replaced = await errorOf(() => store.withKey(record.id, () => 1));
  assert.equal(replaced.code, 'INVALID_KEY');
  for (const error of [wrongKey, tamperedError, replaced]) {
    assert.deepEqual(leakedForms(errorText(error), raw), []);
    assert.deepEqual(leakedForms(errorText(error), other), []);
  }
  assert.deepEqual(filesLeaking(home, raw), []);
  assert.deepEqual(filesLeaking(home, other), []);
});
