import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Fernet, MultiFernet, generateFernetKey } from '../../../src-main/core/crypto/index.js';
import { code, forgeToken } from './forge.js';

const NOW_S = 1_700_000_000;
const newKey = generateFernetKey();
const oldKey = generateFernetKey();
const at = (raw: Buffer, seconds = NOW_S, randomBytes?: (n: number) => Buffer) =>
  new Fernet(raw, { now: () => seconds * 1000, ...(randomBytes ? { randomBytes } : {}) });

test('encrypts with the first key only', () => {
  const multi = new MultiFernet([at(newKey), at(oldKey)]);
  const token = multi.encrypt(Buffer.from('first'));
  assert.equal(at(newKey).decrypt(token).toString(), 'first');
  assert.throws(() => at(oldKey).decrypt(token), code('INVALID_TOKEN'));
  assert.equal(at(newKey).extractTimestamp(token), NOW_S);
});

test('decrypts with any of its keys, and refuses tokens of other keys', () => {
  const multi = new MultiFernet([at(newKey), at(oldKey)]);
  assert.equal(multi.decrypt(at(oldKey).encrypt(Buffer.from('old'))).toString(), 'old');
  assert.equal(multi.decrypt(at(newKey).encrypt(Buffer.from('new'))).toString(), 'new');
  assert.throws(() => multi.decrypt(at(generateFernetKey()).encrypt(Buffer.from('x'))), code('INVALID_TOKEN'));
  assert.throws(() => multi.decrypt('not a token'), code('INVALID_TOKEN'));
});

test('TTL: the first key’s clock decides; an authentic expired token under any key is TOKEN_EXPIRED', () => {
  const oldToken = at(oldKey).encrypt(Buffer.from('aged'), { time: NOW_S - 100 });
  const multi = new MultiFernet([at(newKey, NOW_S), at(oldKey, 0 /* ignored: only the first clock counts */)]);
  assert.equal(multi.decrypt(oldToken, { ttl: 100 }).toString(), 'aged');
  assert.throws(() => multi.decrypt(oldToken, { ttl: 99 }), code('TOKEN_EXPIRED'));
  const future = at(oldKey).encrypt(Buffer.from('future'), { time: NOW_S + 61 });
  assert.throws(() => multi.decrypt(future, { ttl: 1000 }), code('INVALID_TOKEN'));
  assert.equal(multi.decrypt(future).toString(), 'future');
  assert.throws(() => multi.decrypt(oldToken, { ttl: -5 }), code('INVALID_INPUT'));
});

test('rotate re-encrypts under the first key, keeps the timestamp, and uses the first key’s IV source', () => {
  const ivs: number[] = [];
  const first = at(newKey, NOW_S + 5000, (n) => { ivs.push(n); return Buffer.alloc(n, 0x42); });
  const multi = new MultiFernet([first, at(oldKey)]);
  const original = at(oldKey).encrypt(Buffer.from('rotate me'), { time: NOW_S - 86_400 });
  const rotated = multi.rotate(original);
  assert.deepEqual(ivs, [16]);
  assert.equal(at(newKey).decrypt(rotated).toString(), 'rotate me');
  assert.throws(() => at(oldKey).decrypt(rotated), code('INVALID_TOKEN'));
  assert.equal(at(newKey).extractTimestamp(rotated), NOW_S - 86_400);
  const raw = Buffer.from(rotated.toString(), 'base64url');
  assert.deepEqual(raw.subarray(9, 25), Buffer.alloc(16, 0x42));
  // Rotation applies no TTL: a year-old token still rotates, and still carries its age afterwards.
  const ancient = at(oldKey).encrypt(Buffer.from('ancient'), { time: NOW_S - 365 * 86_400 });
  const rotatedAncient = multi.rotate(ancient);
  assert.throws(() => at(newKey, NOW_S).decrypt(rotatedAncient, { ttl: 86_400 }), code('TOKEN_EXPIRED'));
});

test('rotate of a token already under the first key, and of any 64-bit timestamp, keeps it exactly', () => {
  const multi = new MultiFernet([at(newKey), at(oldKey)]);
  const same = at(newKey).encrypt(Buffer.from('again'), { time: 77 });
  assert.equal(at(newKey).extractTimestamp(multi.rotate(same)), 77);
  const huge = forgeToken(oldKey, { timestamp: 2n ** 64n - 2n, plaintext: Buffer.from('huge') });
  const rotated = multi.rotate(huge);
  assert.equal(Buffer.from(rotated.toString(), 'base64url').readBigUInt64BE(1), 2n ** 64n - 2n);
  assert.equal(at(newKey).decrypt(rotated).toString(), 'huge');
});

test('rotate refuses tokens none of its keys made', () => {
  const multi = new MultiFernet([at(newKey)]);
  assert.throws(() => multi.rotate(at(oldKey).encrypt(Buffer.from('x'))), code('INVALID_TOKEN'));
  assert.throws(() => multi.rotate(''), code('INVALID_TOKEN'));
});

test('needs a non-empty list of Fernet instances', () => {
  assert.throws(() => new MultiFernet([]), code('INVALID_INPUT'));
  assert.throws(() => new MultiFernet([newKey as unknown as Fernet]), code('INVALID_INPUT'));
  assert.throws(() => new MultiFernet(undefined as unknown as Fernet[]), code('INVALID_INPUT'));
});

test('a wiped member key is reported, not skipped', () => {
  const old = at(oldKey);
  const multi = new MultiFernet([at(newKey), old]);
  const token = at(oldKey).encrypt(Buffer.from('x'));
  old.wipe();
  assert.throws(() => multi.decrypt(token), code('INVALID_KEY'));
});
