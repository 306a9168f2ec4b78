import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CustodianError } from '../../../src-main/core/errors.js';
import { FERNET_KEY_LENGTH, decodeFernetKey, encodeFernetKey, generateFernetKey } from '../../../src-main/core/crypto/index.js';
import { code } from './forge.js';

// Fernet.generate_key() output from Python's cryptography (the spec vectors' key).
const pythonKeyText = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
const pythonKeyHex = '730ff4c7af3d46923e8ed451ee813c87f790b0a226bc96a92de49b5e9c05e1ee';

test('generated keys are 32 fresh random bytes', () => {
  const a = generateFernetKey();
  const b = generateFernetKey();
  assert.equal(FERNET_KEY_LENGTH, 32);
  assert.equal(a.length, 32);
  assert.notDeepEqual(a, b);
});

test('encode gives the usual 44-character key text, decode reverses it', () => {
  const raw = Buffer.from(pythonKeyHex, 'hex');
  const text = encodeFernetKey(raw);
  assert.ok(Buffer.isBuffer(text));
  assert.equal(text.toString('latin1'), pythonKeyText);
  assert.deepEqual(decodeFernetKey(text), raw);
  assert.deepEqual(decodeFernetKey(pythonKeyText), raw);
  assert.deepEqual(decodeFernetKey(new Uint8Array(text)), raw);
  for (let i = 0; i < 200; i++) {
    const key = generateFernetKey();
    const encoded = encodeFernetKey(key);
    assert.equal(encoded.toString('latin1'), `${key.toString('base64url')}=`);
    assert.deepEqual(decodeFernetKey(encoded), key);
  }
});

test('decode leaves the caller text untouched', () => {
  const text = Buffer.from(pythonKeyText, 'latin1');
  decodeFernetKey(text);
  assert.equal(text.toString('latin1'), pythonKeyText);
});

const invalidTexts: Array<[string, string, RegExp]> = [
  ['empty', '', /length/],
  ['43 characters (no padding)', pythonKeyText.slice(0, 43), /length/],
  ['45 characters', `${pythonKeyText}A`, /length/],
  ['trailing newline', `${pythonKeyText}\n`, /spaces or line breaks/],
  ['CRLF', `${pythonKeyText}\r\n`, /spaces or line breaks/],
  ['leading space', ` ${pythonKeyText.slice(1)}`, /spaces or line breaks/],
  ["standard base64 '/'", pythonKeyText.replace('_', '/'), /standard base64/],
  ["standard base64 '+'", pythonKeyText.replace('-', '+'), /standard base64/],
  ['a character outside base64', `${pythonKeyText.slice(0, 10)}!${pythonKeyText.slice(11)}`, /outside URL-safe base64/],
  ['non-ASCII', `${pythonKeyText.slice(0, 10)}é${pythonKeyText.slice(11)}`, /outside URL-safe base64/],
  ["'=' inside", `${pythonKeyText.slice(0, 10)}=${pythonKeyText.slice(11)}`, /padding/],
  ["'==' at the end", `${pythonKeyText.slice(0, 42)}==`, /padding/],
  ["no '=' at the end", `${pythonKeyText.slice(0, 43)}A`, /padding/],
  ['non-zero unused bits', `${pythonKeyText.slice(0, 42)}f=`, /not canonical/],
  ['24 bytes of valid base64 (wrong key size)', Buffer.alloc(24).toString('base64url'), /length/],
];

for (const [name, text, hint] of invalidTexts) {
  test(`key text refused: ${name}`, () => {
    for (const input of [text, Buffer.from(text, 'utf8')]) {
      assert.throws(() => decodeFernetKey(input), (error: unknown) => {
        assert.ok(error instanceof CustodianError);
        assert.equal(error.code, 'INVALID_KEY');
        assert.equal(error.message, 'invalid Fernet key');
        assert.match(error.hint ?? '', hint);
        return true;
      });
    }
  });
}

test('encode refuses raw keys that are not 32 bytes', () => {
  for (const bad of [Buffer.alloc(0), Buffer.alloc(16), Buffer.alloc(44)]) assert.throws(() => encodeFernetKey(bad), code('INVALID_KEY'));
});
