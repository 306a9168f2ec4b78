import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { Fernet, generateFernetKey } from '../../../src-main/core/crypto/index.js';
import { code, forgeToken, forgeTokenBytes, tokenText } from './forge.js';

const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const NOW_S = 1_700_000_000;
const clock = (seconds = NOW_S) => () => seconds * 1000 + 999; // the 999 ms must be floored away, as in Python
const fernet = () => new Fernet(key, { now: clock() });
const invalid = code('INVALID_TOKEN');

describe('round trips', () => {
  for (const [name, plaintext] of [
    ['empty', Buffer.alloc(0)],
    ['text', Buffer.from('Grüße, 秘密 🔑', 'utf8')],
    ['every byte value', Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
    ['exactly one block', Buffer.alloc(16, 0x10)],
    ['plaintext that looks like padding', Buffer.alloc(31, 0x01)],
    ['1 MiB random', randomBytes(1 << 20)],
  ] as const) {
    test(`${name} (${plaintext.length} bytes)`, () => {
      const token = fernet().encrypt(plaintext);
      assert.ok(Buffer.isBuffer(token));
      assert.match(token.toString('latin1'), /^[A-Za-z0-9_-]+={0,2}$/);
      assert.equal(token.length % 4, 0);
      assert.deepEqual(fernet().decrypt(token), plaintext);
      assert.deepEqual(fernet().decrypt(token.toString('latin1')), plaintext);
      assert.deepEqual(fernet().decrypt(new Uint8Array(token)), plaintext);
    });
  }

  test('a token inside a larger buffer (non-zero byteOffset) decrypts', () => {
    const token = fernet().encrypt(Buffer.from('offset'));
    const big = Buffer.concat([Buffer.from('xxxx'), token, Buffer.from('yyyy')]);
    assert.equal(fernet().decrypt(big.subarray(4, 4 + token.length)).toString(), 'offset');
    const u8 = new Uint8Array(big.buffer, big.byteOffset + 4, token.length);
    assert.equal(fernet().decrypt(u8).toString(), 'offset');
  });

  test('the token carries the clock time in whole seconds and a fresh IV each time', () => {
    const f = fernet();
    const a = f.encrypt(Buffer.from('same'));
    const b = f.encrypt(Buffer.from('same'));
    assert.notDeepEqual(a, b);
    const rawA = Buffer.from(a.toString(), 'base64url');
    const rawB = Buffer.from(b.toString(), 'base64url');
    assert.equal(rawA[0], 0x80);
    assert.equal(rawA.readBigUInt64BE(1), BigInt(NOW_S));
    assert.notDeepEqual(rawA.subarray(9, 25), rawB.subarray(9, 25));
    assert.equal(f.extractTimestamp(a), NOW_S);
  });

  test('injected randomBytes supplies the IV; an explicit iv and time win', () => {
    const calls: number[] = [];
    const f = new Fernet(key, { now: clock(), randomBytes: (n) => { calls.push(n); return Buffer.alloc(n, 7); } });
    const raw = Buffer.from(f.encrypt(Buffer.from('x')).toString(), 'base64url');
    assert.deepEqual(calls, [16]);
    assert.deepEqual(raw.subarray(9, 25), Buffer.alloc(16, 7));
    const explicit = Buffer.from(f.encrypt(Buffer.from('x'), { iv: Buffer.alloc(16, 9), time: 42 }).toString(), 'base64url');
    assert.deepEqual(calls, [16]);
    assert.deepEqual(explicit.subarray(9, 25), Buffer.alloc(16, 9));
    assert.equal(explicit.readBigUInt64BE(1), 42n);
  });

  test('timestamps past 2^32 are written as 64-bit big-endian and read back exactly', () => {
    const time = 2 ** 40 + 12345;
    const token = fernet().encrypt(Buffer.from('far'), { time });
    assert.equal(Buffer.from(token.toString(), 'base64url').readBigUInt64BE(1), BigInt(time));
    assert.equal(fernet().extractTimestamp(token), time);
  });

  test('our token equals an independently built one for the same key, time, IV and plaintext', () => {
    const iv = Buffer.alloc(16, 0x3c);
    const ours = fernet().encrypt(Buffer.from('reference'), { iv, time: 123456 });
    assert.equal(ours.toString('latin1'), forgeToken(key, { iv, timestamp: 123456, plaintext: Buffer.from('reference') }));
  });
});

describe('strict token structure (each token below has a correct HMAC)', () => {
  test('version byte other than 0x80', () => {
    for (const version of [0x00, 0x7f, 0x81, 0xff]) {
      assert.throws(() => fernet().decrypt(forgeToken(key, { version })), invalid);
    }
  });

  test('no ciphertext block at all (shorter than the minimum)', () => {
    assert.throws(() => fernet().decrypt(forgeToken(key, { ciphertext: Buffer.alloc(0) })), invalid);
  });

  test('ciphertext not a multiple of 16 bytes', () => {
    for (const length of [1, 15, 17, 31, 33]) {
      assert.throws(() => fernet().decrypt(forgeToken(key, { ciphertext: randomBytes(length) })), invalid);
    }
  });

  test('bad PKCS#7 padding after decryption: 0, 17, 255, and inconsistent pad bytes', () => {
    const badBlocks = [
      Buffer.concat([Buffer.alloc(15, 0x41), Buffer.from([0x00])]),
      Buffer.concat([Buffer.alloc(15, 0x41), Buffer.from([0x11])]),
      Buffer.concat([Buffer.alloc(15, 0x41), Buffer.from([0xff])]),
      Buffer.concat([Buffer.alloc(13, 0x41), Buffer.from([0x03, 0x02, 0x03])]),
      Buffer.concat([Buffer.alloc(16, 0x41), Buffer.from([0x05]), Buffer.alloc(15, 0x10)]),
    ];
    for (const plaintext of badBlocks) {
      assert.throws(() => fernet().decrypt(forgeToken(key, { plaintext, rawBlocks: true })), invalid);
    }
    // Control: the same construction with correct padding is accepted, so the rejections above are the padding.
    const good = Buffer.concat([Buffer.alloc(13, 0x41), Buffer.from([0x03, 0x03, 0x03])]);
    assert.equal(fernet().decrypt(forgeToken(key, { plaintext: good, rawBlocks: true })).toString(), 'A'.repeat(13));
    const fullBlock = Buffer.concat([Buffer.alloc(16, 0x41), Buffer.alloc(16, 0x10)]);
    assert.equal(fernet().decrypt(forgeToken(key, { plaintext: fullBlock, rawBlocks: true })).toString(), 'A'.repeat(16));
  });

  test('any changed byte anywhere (version, time, IV, ciphertext, HMAC) is rejected', () => {
    const raw = forgeTokenBytes(key, { plaintext: Buffer.from('tamper me please') });
    for (let i = 0; i < raw.length; i++) {
      const copy = Buffer.from(raw);
      copy[i]! ^= 0x01;
      assert.throws(() => fernet().decrypt(tokenText(copy)), invalid, `byte ${i}`);
    }
  });

  test('a token from another key is rejected', () => {
    const token = new Fernet(generateFernetKey()).encrypt(Buffer.from('x'));
    assert.throws(() => fernet().decrypt(token), invalid);
    assert.throws(() => fernet().extractTimestamp(token), invalid);
  });

  test('a truncated or extended token is rejected', () => {
    const token = fernet().encrypt(Buffer.from('hello world')).toString();
    const raw = Buffer.from(token, 'base64url');
    assert.throws(() => fernet().decrypt(tokenText(raw.subarray(0, raw.length - 1))), invalid);
    assert.throws(() => fernet().decrypt(tokenText(raw.subarray(0, raw.length - 16))), invalid);
    assert.throws(() => fernet().decrypt(tokenText(Buffer.concat([raw, Buffer.alloc(16)]))), invalid);
    assert.throws(() => fernet().decrypt(token + token), invalid);
  });

  test('non-token input: empty, whitespace only, numbers, null, objects', () => {
    for (const bad of ['', ' ', '====', 'gA==', Buffer.alloc(0)]) assert.throws(() => fernet().decrypt(bad), invalid);
    for (const bad of [42, null, undefined, {}, ['gAAAA']]) {
      assert.throws(() => fernet().decrypt(bad as unknown as string), invalid);
    }
  });
});

describe('canonical base64 only', () => {
  // A token whose text has '-' and '_' (and so has '+' and '/' in standard base64) and one '=' of padding.
  const plain = Buffer.from('base64 strictness');
  const makeToken = (predicate: (t: string) => boolean): string => {
    for (let i = 0; i < 1000; i++) {
      const t = fernet().encrypt(plain, { iv: randomBytes(16) }).toString();
      if (predicate(t)) return t;
    }
    throw new Error('no suitable token found');
  };
  const token = makeToken((t) => t.includes('-') && t.includes('_') && t.endsWith('=') && !t.endsWith('=='));

  test('the control token decrypts', () => {
    assert.deepEqual(fernet().decrypt(token), plain);
  });

  test("standard alphabet '+' and '/' are refused (Python accepts them)", () => {
    assert.throws(() => fernet().decrypt(token.replaceAll('-', '+')), invalid);
    assert.throws(() => fernet().decrypt(token.replaceAll('_', '/')), invalid);
    assert.throws(() => fernet().decrypt(token.replaceAll('-', '+').replaceAll('_', '/')), invalid);
  });

  test('missing, extra or misplaced padding is refused', () => {
    assert.throws(() => fernet().decrypt(token.slice(0, -1)), invalid);
    assert.throws(() => fernet().decrypt(token + '='), invalid);
    assert.throws(() => fernet().decrypt(token + '=='), invalid);
    assert.throws(() => fernet().decrypt('=' + token.slice(0, -1)), invalid);
    assert.throws(() => fernet().decrypt(token.slice(0, 20) + '=' + token.slice(21)), invalid);
  });

  test('non-zero unused bits in the last character are refused (non-canonical spelling of the same bytes)', () => {
    // One '=' of padding: the last character carries 4 data bits and 2 unused ones.
    const last = token.charCodeAt(token.length - 2);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const value = alphabet.indexOf(String.fromCharCode(last));
    assert.equal(value & 0b11, 0);
    for (const extra of [1, 2, 3]) {
      const variant = token.slice(0, -2) + alphabet[value | extra] + '=';
      assert.deepEqual(Buffer.from(variant, 'base64url'), Buffer.from(token, 'base64url'), 'same bytes when decoded leniently');
      assert.throws(() => fernet().decrypt(variant), invalid);
    }
  });

  test('whitespace is refused anywhere: trailing newline, CRLF, leading space, line-wrapped base64', () => {
    for (const variant of [token + '\n', token + '\r\n', ' ' + token, token + ' ', '\t' + token,
      token.slice(0, 40) + '\n' + token.slice(40), token.slice(0, 40) + ' ' + token.slice(40)]) {
      assert.throws(() => fernet().decrypt(variant), invalid);
      assert.throws(() => fernet().decrypt(Buffer.from(variant, 'latin1')), invalid);
    }
  });

  test('characters outside ASCII are refused, including ones whose low byte is a base64 letter', () => {
    // 'Ł' is U+0141: a decoder that keeps only the low byte would read it as 'A'.
    const index = token.indexOf('A') >= 0 ? token.indexOf('A') : 10;
    const original = token[index]!;
    const sneaky = String.fromCharCode(0x100 + original.charCodeAt(0));
    assert.throws(() => fernet().decrypt(token.slice(0, index) + sneaky + token.slice(index + 1)), invalid);
    const bytes = Buffer.from(token, 'latin1');
    for (const high of [0x80, 0xc1, 0xff]) {
      const copy = Buffer.from(bytes);
      copy[index] = high;
      assert.throws(() => fernet().decrypt(copy), invalid);
    }
  });
});

describe('TTL and clock', () => {
  const at = (seconds: number) => new Fernet(key, { now: clock(seconds) });
  const tokenAt = (seconds: number) => fernet().encrypt(Buffer.from('timely'), { time: seconds });

  test('within the TTL, up to and including the last second, decrypts', () => {
    assert.equal(at(NOW_S).decrypt(tokenAt(NOW_S), { ttl: 60 }).toString(), 'timely');
    assert.equal(at(NOW_S + 60).decrypt(tokenAt(NOW_S), { ttl: 60 }).toString(), 'timely');
  });

  test('older than the TTL is TOKEN_EXPIRED', () => {
    assert.throws(() => at(NOW_S + 61).decrypt(tokenAt(NOW_S), { ttl: 60 }), code('TOKEN_EXPIRED'));
    assert.throws(() => at(NOW_S + 1).decrypt(tokenAt(NOW_S), { ttl: 0 }), code('TOKEN_EXPIRED'));
  });

  test('without a TTL, age is not checked (as in Python)', () => {
    assert.equal(at(NOW_S + 10 ** 9).decrypt(tokenAt(NOW_S)).toString(), 'timely');
    assert.equal(at(0).decrypt(tokenAt(NOW_S)).toString(), 'timely');
  });

  test('with a TTL, a timestamp more than 60 s in the future is INVALID_TOKEN; 60 s is tolerated', () => {
    assert.equal(at(NOW_S).decrypt(tokenAt(NOW_S + 60), { ttl: 3600 }).toString(), 'timely');
    assert.throws(() => at(NOW_S).decrypt(tokenAt(NOW_S + 61), { ttl: 3600 }), invalid);
    assert.throws(() => at(NOW_S).decrypt(tokenAt(2 ** 53 - 1), { ttl: 3600 }), invalid);
    assert.throws(() => at(NOW_S).decrypt(forgeToken(key, { timestamp: 2n ** 64n - 1n }), { ttl: 3600 }), invalid);
  });

  test('the HMAC is checked before the time: a forged expired token is INVALID_TOKEN, not TOKEN_EXPIRED', () => {
    const raw = Buffer.from(tokenAt(NOW_S - 10_000).toString(), 'base64url');
    raw[raw.length - 1]! ^= 1;
    assert.throws(() => at(NOW_S).decrypt(tokenText(raw), { ttl: 60 }), invalid);
  });

  test('bad TTL values are a usage error', () => {
    for (const ttl of [-1, Number.NaN, Number.POSITIVE_INFINITY, '60' as unknown as number]) {
      assert.throws(() => fernet().decrypt(tokenAt(NOW_S), { ttl }), code('INVALID_INPUT'));
    }
  });
});

describe('encrypt input checks', () => {
  test('plaintext must be bytes', () => {
    assert.throws(() => fernet().encrypt('text' as unknown as Uint8Array), code('INVALID_INPUT'));
  });
  test('the IV must be 16 bytes', () => {
    for (const iv of [Buffer.alloc(15), Buffer.alloc(17), Buffer.alloc(0)]) {
      assert.throws(() => fernet().encrypt(Buffer.from('x'), { iv }), code('INVALID_INPUT'));
    }
    const short = new Fernet(key, { randomBytes: () => Buffer.alloc(8) });
    assert.throws(() => short.encrypt(Buffer.from('x')), code('INVALID_INPUT'));
  });
  test('the time must be a non-negative safe integer', () => {
    for (const time of [-1, 1.5, 2 ** 53, Number.NaN]) {
      assert.throws(() => fernet().encrypt(Buffer.from('x'), { time }), code('INVALID_INPUT'));
    }
  });
});

describe('keys in memory', () => {
  test('a raw key of the wrong length or type is INVALID_KEY', () => {
    for (const bad of [Buffer.alloc(31), Buffer.alloc(33), Buffer.alloc(0), 'x'.repeat(32)]) {
      assert.throws(() => new Fernet(bad as Uint8Array), code('INVALID_KEY'));
    }
  });

  test('the Fernet keeps its own copy: changing the caller buffer afterwards changes nothing', () => {
    const mine = Buffer.from(key);
    const f = new Fernet(mine);
    const token = f.encrypt(Buffer.from('copy'));
    mine.fill(0);
    assert.equal(f.decrypt(token).toString(), 'copy');
    assert.equal(new Fernet(key).decrypt(token).toString(), 'copy');
  });

  test('wipe() makes the instance unusable and leaves the caller key intact', () => {
    const mine = Buffer.from(key);
    const f = new Fernet(mine);
    const token = f.encrypt(Buffer.from('wipe'));
    f.wipe();
    assert.deepEqual(mine, key);
    assert.throws(() => f.encrypt(Buffer.from('x')), code('INVALID_KEY'));
    assert.throws(() => f.decrypt(token), code('INVALID_KEY'));
    assert.throws(() => f.extractTimestamp(token), code('INVALID_KEY'));
    f.wipe(); // idempotent
  });

  test('extractTimestamp returns the time of an authentic token', () => {
    assert.equal(fernet().extractTimestamp(fernet().encrypt(Buffer.from('t'), { time: 5 })), 5);
  });
});
