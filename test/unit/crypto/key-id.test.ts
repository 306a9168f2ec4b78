import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { generateFernetKey, isKeyId, keyId } from '../../../src-main/core/crypto/index.js';
import { code } from './forge.js';

// The worked example of docs/key-id.md: the Fernet spec vectors' key.
const exampleKey = Buffer.from('730ff4c7af3d46923e8ed451ee813c87f790b0a226bc96a92de49b5e9c05e1ee', 'hex');
const exampleId = 'K1-A1ZY-MD24-F4RN-YS2V';

/** A second, deliberately different implementation (BigInt arithmetic) of the construction in docs/key-id.md. */
function independentKeyId(raw: Buffer): string {
  const mac = createHmac('sha256', raw).update(Buffer.from('key-custodian key-id v1', 'ascii')).digest();
  const value = BigInt(`0x${mac.subarray(0, 10).toString('hex')}`);
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let text = '';
  for (let i = 15; i >= 0; i--) text += alphabet[Number((value >> BigInt(5 * i)) & 31n)];
  return `K1-${text.slice(0, 4)}-${text.slice(4, 8)}-${text.slice(8, 12)}-${text.slice(12)}`;
}

test('the documented worked example', () => {
  assert.equal(keyId(exampleKey), exampleId);
  assert.equal(independentKeyId(exampleKey), exampleId);
});

test('matches an independent implementation and is stable for random keys', () => {
  for (let i = 0; i < 500; i++) {
    const raw = generateFernetKey();
    const id = keyId(raw);
    assert.equal(id, independentKeyId(raw));
    assert.equal(keyId(Buffer.from(raw)), id);
    assert.equal(keyId(new Uint8Array(raw)), id);
    assert.ok(isKeyId(id), id);
  }
});

test('different keys get different ids; one changed bit changes the id', () => {
  const ids = new Set(Array.from({ length: 2000 }, () => keyId(generateFernetKey())));
  assert.equal(ids.size, 2000);
  const flipped = Buffer.from(exampleKey);
  flipped[31]! ^= 1;
  assert.notEqual(keyId(flipped), exampleId);
});

test('keyId does not modify the key', () => {
  const raw = Buffer.from(exampleKey);
  keyId(raw);
  assert.deepEqual(raw, exampleKey);
});

test('keyId refuses raw keys that are not 32 bytes', () => {
  for (const bad of [Buffer.alloc(0), Buffer.alloc(16), Buffer.alloc(44)]) assert.throws(() => keyId(bad), code('INVALID_KEY'));
});

test('isKeyId accepts the canonical form only', () => {
  assert.ok(isKeyId(exampleId));
  assert.ok(isKeyId('K1-0000-0000-0000-0000'));
  assert.ok(isKeyId('K1-ZZZZ-ZZZZ-ZZZZ-ZZZZ'));
  for (const bad of [
    'k1-A1ZY-MD24-F4RN-YS2V', 'K1-a1zy-md24-f4rn-ys2v', 'K2-A1ZY-MD24-F4RN-YS2V', 'K1-A1ZYMD24F4RNYS2V',
    'K1-A1ZY-MD24-F4RN-YS2', 'K1-A1ZY-MD24-F4RN-YS2VV', ' K1-A1ZY-MD24-F4RN-YS2V', 'K1-A1ZY-MD24-F4RN-YS2V\n',
    'K1-I1ZY-MD24-F4RN-YS2V', 'K1-L1ZY-MD24-F4RN-YS2V', 'K1-O1ZY-MD24-F4RN-YS2V', 'K1-U1ZY-MD24-F4RN-YS2V', '',
  ]) {
    assert.equal(isKeyId(bad), false, bad);
  }
  assert.equal(isKeyId(42 as unknown as string), false);
  assert.equal(isKeyId(undefined as unknown as string), false);
});
