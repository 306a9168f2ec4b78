// The Node receiver's Fernet reads only the canonical spelling of a token, exactly like the app's Fernet
// (docs/fernet.md "What is accepted"): urlsafe alphabet, exact '=' padding, zero unused bits, no whitespace.
// Each altered spelling below decodes to the same bytes under a lenient decoder, so the HMAC alone would not
// catch it; both implementations must refuse it as "invalid token".
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Fernet } from '../../../src-main/core/crypto/index.js';
import { fernetDecrypt, fernetEncrypt, ReceiverFernet } from '../../../receivers/node/src/fernet.js';
import { loadVectors, vectorTime, type InvalidVector } from '../crypto/vectors.js';

const key = randomBytes(32);
const now = 1_700_000_000;
const B64U = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A token whose text length before padding leaves `padding` '=' characters (plaintext sizes pick the block count). */
function tokenWithPadding(padding: 0 | 1 | 2, mustContain = ''): string {
  // 57 + 16n bytes: n ≡ 1 (mod 3) gives '==', n ≡ 2 gives '=', n ≡ 0 gives none.
  const blocks = padding === 2 ? 1 : padding === 1 ? 2 : 3;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const token = fernetEncrypt(key, randomBytes(blocks * 16 - 1), now).toString('ascii');
    assert.equal(token.length - token.replace(/=+$/, '').length, padding);
    if ([...mustContain].every((c) => token.includes(c))) return token;
  }
  assert.fail(`no token containing ${mustContain} in 1000 tries`);
}

/** The same bytes with non-zero unused bits in the last character before the padding. */
function withDirtyUnusedBits(token: string): string {
  const body = token.replace(/=+$/, '');
  const unusedBits = { 0: 0, 1: 2, 2: 4 }[(token.length - body.length) as 0 | 1 | 2];
  assert.ok(unusedBits > 0, 'only padded tokens have unused bits');
  const last = B64U.indexOf(body.at(-1)!);
  const dirty = B64U[last ^ 1]!; // the lowest bit is always an unused one here
  return `${body.slice(0, -1)}${dirty}${token.slice(body.length)}`;
}

function assertBothRefuse(spelling: string, why: string): void {
  assert.throws(() => fernetDecrypt(key, spelling, now), /^InvalidToken: invalid token$/, `receiver accepted ${why}`);
  assert.throws(() => fernetDecrypt(key, Buffer.from(spelling, 'latin1'), now), /invalid token/, `receiver accepted ${why} as bytes`);
  assert.throws(() => new Fernet(key, { now: () => now * 1000 }).decrypt(spelling), `the app's Fernet accepted ${why}`);
}

describe('the Node receiver\'s Fernet refuses non-canonical tokens', () => {
  it('reads the canonical spelling, from a string or from bytes, and the app\'s Fernet reads it too', () => {
    for (const padding of [0, 1, 2] as const) {
      const token = tokenWithPadding(padding);
      assert.equal(fernetDecrypt(key, token, now).length, (padding === 2 ? 1 : padding === 1 ? 2 : 3) * 16 - 1);
      assert.equal(fernetDecrypt(key, Buffer.from(token, 'ascii'), now).length > 0, true);
      assert.ok(new Fernet(key, { now: () => now * 1000 }).decrypt(token).equals(fernetDecrypt(key, token, now)));
    }
  });

  it('refuses missing, partial and extra padding', () => {
    const twoPad = tokenWithPadding(2);
    const onePad = tokenWithPadding(1);
    const noPad = tokenWithPadding(0);
    assertBothRefuse(twoPad.slice(0, -2), 'a token without its "==" padding');
    assertBothRefuse(twoPad.slice(0, -1), 'a token with one of two "=" missing');
    assertBothRefuse(`${twoPad}=`, 'a token with an extra "="');
    assertBothRefuse(onePad.slice(0, -1), 'a token without its "=" padding');
    assertBothRefuse(`${onePad}=`, 'a token with "==" where "=" belongs');
    assertBothRefuse(`${noPad}=`, 'an unpadded-length token with a "="');
    assertBothRefuse(`${noPad}====`, 'a token followed by a block of "="');
  });

  it('refuses non-zero unused bits', () => {
    assertBothRefuse(withDirtyUnusedBits(tokenWithPadding(2)), 'dirty unused bits before "=="');
    assertBothRefuse(withDirtyUnusedBits(tokenWithPadding(1)), 'dirty unused bits before "="');
  });

  it('refuses the standard alphabet and whitespace', () => {
    const token = tokenWithPadding(2, '-_');
    assertBothRefuse(token.replaceAll('-', '+'), 'a "+" for "-"');
    assertBothRefuse(token.replaceAll('_', '/'), 'a "/" for "_"');
    for (const [spelling, why] of [
      [`${token}\n`, 'a trailing newline'],
      [` ${token}`, 'a leading space'],
      [`${token.slice(0, 20)} ${token.slice(20)}`, 'an inner space'],
      [`${token.slice(0, 20)}\r\n${token.slice(20)}`, 'a line break inside'],
      [`${token.slice(0, 20)}\t${token.slice(20)}`, 'a tab inside'],
      [`${token.slice(0, 20)}=${token.slice(20)}`, 'an "=" inside'],
    ] as const) assertBothRefuse(spelling, why);
  });

  it('ReceiverFernet (what applications call) refuses the same spellings', () => {
    const app = new ReceiverFernet(() => [key], () => now);
    const token = app.encrypt(Buffer.from('payload')).toString('ascii');
    assert.equal(app.decrypt(token).toString(), 'payload');
    for (const spelling of [token.replace(/=+$/, ''), `${token}=`, `${token}\n`, withDirtyUnusedBits(token)]) {
      assert.throws(() => app.decrypt(spelling), /invalid token/);
    }
  });

  it('refuses every official "invalid" spec vector', () => {
    const vectors = loadVectors<InvalidVector>('invalid');
    for (const v of vectors) {
      const secret = Buffer.from(v.secret, 'base64url');
      assert.throws(() => fernetDecrypt(secret, v.token, Math.floor(vectorTime(v.now) / 1000), v.ttl_sec), /invalid token/, v.desc);
    }
  });
});
