// AesCbc reuses two OpenSSL contexts across messages (see aes-cbc.ts). Its output must be byte for byte what a
// fresh node:crypto context with the same IV gives, whatever came before on the same context.
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { AesCbc } from '../../../src-main/core/crypto/aes-cbc.js';

const key = randomBytes(16);

function referenceEncrypt(plaintext: Buffer, iv: Buffer): Buffer {
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  return Buffer.concat([cipher.update(plaintext), cipher.final()]);
}

function referenceDecrypt(ciphertext: Buffer, iv: Buffer): Buffer {
  const decipher = createDecipheriv('aes-128-cbc', key, iv);
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}

function encrypt(aes: AesCbc, plaintext: Buffer, iv: Buffer): Buffer {
  const target = Buffer.alloc(3 + AesCbc.ciphertextLength(plaintext.length) + 5, 0xee);
  aes.encryptInto(plaintext, iv, target, 3);
  assert.deepEqual(target.subarray(0, 3), Buffer.alloc(3, 0xee), 'nothing written before offset');
  assert.deepEqual(target.subarray(target.length - 5), Buffer.alloc(5, 0xee), 'nothing written after the ciphertext');
  return target.subarray(3, target.length - 5);
}

test('every length 0..100 and some large ones, interleaved on one context, match fresh contexts', () => {
  const aes = new AesCbc(key);
  // 4079-4097 straddle the 4 KiB limit between the one-call and the three-call path.
  const lengths = [...Array.from({ length: 101 }, (_, i) => i), 255, 256, 257, 4079, 4080, 4095, 4096, 4097, 65_535, 1 << 20];
  for (const length of [...lengths, ...lengths.reverse()]) {
    const plaintext = randomBytes(length);
    const iv = randomBytes(16);
    const ciphertext = encrypt(aes, plaintext, iv);
    assert.deepEqual(ciphertext, referenceEncrypt(plaintext, iv), `encrypt ${length}`);
    assert.deepEqual(aes.decrypt(ciphertext, iv), referenceDecrypt(ciphertext, iv), `decrypt ${length}`);
  }
});

test('the same IV and plaintext twice give the same ciphertext (no state leaks from message to message)', () => {
  const aes = new AesCbc(key);
  const plaintext = randomBytes(40);
  const iv = randomBytes(16);
  const first = encrypt(aes, plaintext, iv);
  encrypt(aes, randomBytes(77), randomBytes(16));
  assert.deepEqual(encrypt(aes, plaintext, iv), first);
  const decrypted = aes.decrypt(first, iv);
  aes.decrypt(randomBytes(64), randomBytes(16));
  assert.deepEqual(aes.decrypt(first, iv), decrypted);
});

test('the caller plaintext and IV are not modified', () => {
  const aes = new AesCbc(key);
  const plaintext = randomBytes(50);
  const iv = randomBytes(16);
  const [p, v] = [Buffer.from(plaintext), Buffer.from(iv)];
  encrypt(aes, plaintext, iv);
  assert.deepEqual(plaintext, p);
  assert.deepEqual(iv, v);
});

test('decrypt refuses partial blocks; wipe() drops the contexts and later use starts fresh and correct', () => {
  const aes = new AesCbc(key);
  assert.throws(() => aes.decrypt(Buffer.alloc(15), Buffer.alloc(16)), { code: 'INTERNAL' });
  assert.throws(() => aes.decrypt(Buffer.alloc(0), Buffer.alloc(16)), { code: 'INTERNAL' });
  const plaintext = randomBytes(33);
  const iv = randomBytes(16);
  encrypt(aes, plaintext, iv);
  aes.wipe();
  assert.deepEqual(encrypt(aes, plaintext, iv), referenceEncrypt(plaintext, iv));
});
