// Every case of the official Fernet spec vectors (generate.json, verify.json, invalid.json from PyPI's
// cryptography_vectors), read at test time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Fernet, decodeFernetKey, encodeFernetKey } from '../../../src-main/core/crypto/index.js';
import { type GenerateVector, type InvalidVector, type VerifyVector, loadVectors, vectorTime } from './vectors.js';
import { code } from './forge.js';

let vectors: { generate: GenerateVector[]; verify: VerifyVector[]; invalid: InvalidVector[] } | undefined;
let loadError: unknown;
try {
  vectors = {
    generate: loadVectors<GenerateVector>('generate'),
    verify: loadVectors<VerifyVector>('verify'),
    invalid: loadVectors<InvalidVector>('invalid'),
  };
} catch (error) {
  loadError = error;
}

test('the official Fernet vectors are available', () => {
  if (loadError) throw loadError;
  assert.ok(vectors);
});

for (const [index, vector] of (vectors?.generate ?? []).entries()) {
  test(`generate.json #${index}: encrypting "${vector.src}" at ${vector.now} with the given IV gives the exact token`, () => {
    const rawKey = decodeFernetKey(vector.secret);
    assert.equal(encodeFernetKey(rawKey).toString('latin1'), vector.secret);
    const fernet = new Fernet(rawKey, { now: () => vectorTime(vector.now) });
    const token = fernet.encrypt(Buffer.from(vector.src, 'utf8'), { iv: Uint8Array.from(vector.iv) });
    assert.equal(token.toString('latin1'), vector.token);
    // The same with an explicit time instead of the clock.
    const explicit = new Fernet(rawKey).encrypt(Buffer.from(vector.src, 'utf8'), { time: vectorTime(vector.now) / 1000, iv: Uint8Array.from(vector.iv) });
    assert.equal(explicit.toString('latin1'), vector.token);
  });
}

for (const [index, vector] of (vectors?.verify ?? []).entries()) {
  test(`verify.json #${index}: the token decrypts to "${vector.src}" with ttl ${vector.ttl_sec} at ${vector.now}`, () => {
    const fernet = new Fernet(decodeFernetKey(vector.secret), { now: () => vectorTime(vector.now) });
    assert.equal(fernet.decrypt(vector.token, { ttl: vector.ttl_sec }).toString('utf8'), vector.src);
    assert.equal(fernet.decrypt(Buffer.from(vector.token, 'latin1'), { ttl: vector.ttl_sec }).toString('utf8'), vector.src);
    assert.equal(fernet.extractTimestamp(vector.token) <= vectorTime(vector.now) / 1000, true);
  });
}

for (const vector of vectors?.invalid ?? []) {
  // An authentic token that is merely too old is reported as such; every other case is just "invalid token".
  const expected = vector.desc === 'expired TTL' ? 'TOKEN_EXPIRED' : 'INVALID_TOKEN';
  test(`invalid.json "${vector.desc}": rejected as ${expected}`, () => {
    const fernet = new Fernet(decodeFernetKey(vector.secret), { now: () => vectorTime(vector.now) });
    assert.throws(() => fernet.decrypt(vector.token, { ttl: vector.ttl_sec }), code(expected));
    assert.throws(() => fernet.decrypt(Buffer.from(vector.token, 'latin1'), { ttl: vector.ttl_sec }), code(expected));
  });
}
