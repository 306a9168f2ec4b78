// The fast token decoder leans on Node's lenient native codec and closes each leniency (see base64.ts). These
// tests hold it to a byte-by-byte reference decoder, for every byte value in every position of a group, so a
// change in Node's codec that reopened a hole would fail here.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decodeTokenText, decodeSecretBase64Url, encodeBase64UrlPadded, encodeSecretBase64Url } from '../../../src-main/core/crypto/base64.js';

function reference(text: string): Buffer | undefined {
  if ([...text].some((c) => c.charCodeAt(0) > 0x7f)) return undefined;
  const result = decodeSecretBase64Url(Buffer.from(text, 'latin1'));
  return typeof result === 'string' ? undefined : result;
}

test('encoders agree with each other and with Node for lengths 0..70', () => {
  for (let length = 0; length <= 70; length++) {
    const bytes = randomBytes(length);
    const expected = bytes.toString('base64url') + '='.repeat((3 - (length % 3)) % 3);
    assert.equal(encodeBase64UrlPadded(bytes).toString('latin1'), expected);
    assert.equal(encodeSecretBase64Url(bytes).toString('latin1'), expected);
    assert.equal(encodeBase64UrlPadded(new Uint8Array(bytes)).toString('latin1'), expected);
    if (length > 0) {
      assert.deepEqual(decodeTokenText(expected), bytes);
      assert.deepEqual(reference(expected), bytes);
    }
  }
});

test('every single-character substitution: the fast decoder accepts exactly what the reference accepts', () => {
  // Padding 0, 1 and 2, long enough to exercise the native decoder's fast and slow paths.
  for (const length of [30, 31, 32]) {
    const canonical = encodeBase64UrlPadded(randomBytes(length)).toString('latin1');
    const positions = [0, 1, 2, 3, 17, canonical.length - 4, canonical.length - 3, canonical.length - 2, canonical.length - 1];
    for (const position of positions) {
      for (let code = 0; code < 0x180; code++) {
        const variant = canonical.slice(0, position) + String.fromCharCode(code) + canonical.slice(position + 1);
        const expected = reference(variant);
        const where = `length ${length}, position ${position}, char 0x${code.toString(16)}`;
        assert.deepEqual(decodeTokenText(variant), expected, where);
        if (code <= 0xff) assert.deepEqual(decodeTokenText(Buffer.from(variant, 'latin1')), expected, `${where} (bytes)`);
      }
    }
  }
});

test('insertions and deletions of any ASCII character are refused', () => {
  const canonical = encodeBase64UrlPadded(randomBytes(32)).toString('latin1');
  for (let code = 0; code < 0x80; code++) {
    for (const position of [0, 5, canonical.length - 1, canonical.length]) {
      const inserted = canonical.slice(0, position) + String.fromCharCode(code) + canonical.slice(position);
      assert.deepEqual(decodeTokenText(inserted), reference(inserted));
      assert.deepEqual(decodeTokenText(Buffer.from(inserted, 'latin1')), reference(inserted));
    }
  }
  for (let position = 0; position < canonical.length; position++) {
    assert.equal(decodeTokenText(canonical.slice(0, position) + canonical.slice(position + 1)), undefined);
  }
});

test('the reference decoder names the problem without quoting the text', () => {
  const cases: Array<[string, string]> = [
    ['QUJD\n', 'whitespace'], ['QUJ', 'length'], ['QU+D', 'standard-alphabet'], ['QU/D', 'standard-alphabet'],
    ['QU!D', 'character'], ['Q=JD', 'padding'], ['QUF=', 'trailing-bits'], ['QR==', 'trailing-bits'],
  ];
  for (const [text, problem] of cases) assert.equal(decodeSecretBase64Url(Buffer.from(text)), problem, text);
  assert.deepEqual(decodeSecretBase64Url(Buffer.from('QUE=')), Buffer.from('AA'));
});
