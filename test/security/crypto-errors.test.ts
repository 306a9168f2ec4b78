// Prevents: key material or plaintext leaking through error messages, hints, stacks or inspected errors on any
// failure path of the crypto core; and padding/MAC oracles through distinguishable "invalid token" errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { Fernet, MultiFernet, decodeFernetKey, encodeFernetKey, generateFernetKey, keyId } from '../../src-main/core/crypto/index.js';
import { CustodianError } from '../../src-main/core/errors.js';
import { forgeToken, forgeTokenBytes, tokenText } from '../unit/crypto/forge.js';

const key = generateFernetKey();
const otherKey = generateFernetKey();
const keyText = encodeFernetKey(key).toString('latin1');
const plaintextMarker = Buffer.from(`PLAINTEXT-MARKER-${Date.now()}-do-not-print`);

/** Every spelling of a secret that a careless message, inspect() or stack could contain. */
function spellings(secret: Buffer, label: string): Array<[string, Buffer]> {
  const base64 = secret.toString('base64');
  return [
    [`${label} raw`, secret],
    [`${label} latin1-as-utf8`, Buffer.from(secret.toString('latin1'), 'utf8')],
    [`${label} base64`, Buffer.from(base64)],
    [`${label} base64 unpadded`, Buffer.from(base64.replace(/=+$/, ''))],
    [`${label} base64url`, Buffer.from(secret.toString('base64url'))],
    [`${label} hex`, Buffer.from(secret.toString('hex'))],
    [`${label} HEX`, Buffer.from(secret.toString('hex').toUpperCase())],
    [`${label} inspect`, Buffer.from(inspect(secret))],
  ];
}

const needles: Array<[string, Buffer]> = [
  ...spellings(key, 'key'),
  ...spellings(key.subarray(0, 16), 'signing key'),
  ...spellings(key.subarray(16), 'encryption key'),
  ...spellings(plaintextMarker, 'plaintext'),
  ['plaintext text', Buffer.from(plaintextMarker.toString('utf8'))],
  // A middle slice of the key text: catches partial echoes such as "unexpected character near ...".
  ['key text slice', Buffer.from(keyText.slice(8, 24))],
];

function errorSurface(error: unknown): Buffer {
  const e = error as CustodianError;
  const parts = [
    String(error), e.message, e.hint ?? '', e.stack ?? '', JSON.stringify(e),
    JSON.stringify(e, Object.getOwnPropertyNames(e)), inspect(error, { depth: 10, showHidden: true }),
    JSON.stringify(e.details ?? {}), inspect(e.cause, { depth: 10 }),
  ];
  return Buffer.from(parts.join('\n'), 'utf8');
}

const collected: Array<{ path: string; error: unknown }> = [];
function failure(path: string, action: () => unknown): void {
  try {
    action();
  } catch (error) {
    collected.push({ path, error });
    return;
  }
  throw new Error(`expected a failure: ${path}`);
}

const at = (raw: Buffer, seconds = 1_700_000_000) => new Fernet(raw, { now: () => seconds * 1000 });
// The plaintext is the marker followed by the key text itself, so any echo of the plaintext is caught twice.
const secretPlaintext = Buffer.concat([plaintextMarker, Buffer.from(keyText)]);
const goodToken = at(key).encrypt(secretPlaintext).toString('latin1');
const rawToken = Buffer.from(goodToken, 'base64url');

// ---- key text and raw key paths ----
for (const [name, text] of [
  ['trailing newline', `${keyText}\n`], ['leading space', ` ${keyText}`], ['standard alphabet', `${keyText.slice(0, 5)}+${keyText.slice(6)}`],
  ['bad character', `${keyText.slice(0, 20)}!${keyText.slice(21)}`], ['truncated', keyText.slice(0, 40)],
  ['extended', `${keyText}AAAA`], ['no padding', keyText.slice(0, 43)], ['double padding', `${keyText.slice(0, 42)}==`],
  ['non-canonical last char', `${keyText.slice(0, 42)}${keyText[42] === 'B' ? 'C' : 'B'}=`], ['non-ASCII', `${keyText.slice(0, 43)}é`],
] as const) {
  failure(`decodeFernetKey(string): ${name}`, () => decodeFernetKey(text));
  failure(`decodeFernetKey(bytes): ${name}`, () => decodeFernetKey(Buffer.from(text, 'utf8')));
}
failure('new Fernet(31 bytes of the key)', () => new Fernet(key.subarray(0, 31)));
failure('new Fernet(key + 1 byte)', () => new Fernet(Buffer.concat([key, Buffer.from([1])])));
failure('new Fernet(key text instead of raw)', () => new Fernet(Buffer.from(keyText)));
failure('new Fernet(key as a string)', () => new Fernet(keyText as unknown as Uint8Array));
failure('encodeFernetKey(wrong length)', () => encodeFernetKey(key.subarray(1)));
failure('keyId(wrong length)', () => keyId(Buffer.from(keyText)));
failure('MultiFernet([raw key])', () => new MultiFernet([key as unknown as Fernet]));

// ---- token paths ----
failure('decrypt with the wrong key', () => at(otherKey).decrypt(goodToken));
failure('extractTimestamp with the wrong key', () => at(otherKey).extractTimestamp(goodToken));
for (const offset of [0, 1, 5, 12, 30, rawToken.length - 40, rawToken.length - 1]) {
  const copy = Buffer.from(rawToken);
  copy[offset]! ^= 0x40;
  failure(`tampered byte ${offset}`, () => at(key).decrypt(tokenText(copy)));
}
failure('truncated token', () => at(key).decrypt(goodToken.slice(0, 60)));
failure('token with a newline', () => at(key).decrypt(`${goodToken}\n`));
// Only a token with '-' or '_' in it spells differently in standard base64; make sure this one does.
const urlSafeToken = (() => {
  for (;;) {
    const token = at(key).encrypt(secretPlaintext).toString('latin1');
    if (/[-_]/.test(token)) return token;
  }
})();
failure('token in standard base64', () => at(key).decrypt(Buffer.from(urlSafeToken, 'base64url').toString('base64')));
failure('bad padding, valid HMAC', () => at(key).decrypt(forgeToken(key, { plaintext: Buffer.concat([secretPlaintext.subarray(0, 31), Buffer.from([0])]), rawBlocks: true })));
failure('wrong version, valid HMAC', () => at(key).decrypt(forgeToken(key, { version: 0x81, plaintext: secretPlaintext })));
failure('odd ciphertext length, valid HMAC', () => at(key).decrypt(tokenText(forgeTokenBytes(key, { ciphertext: secretPlaintext.subarray(0, 33) }))));
failure('expired', () => at(key, 1_800_000_000).decrypt(at(key).encrypt(secretPlaintext), { ttl: 60 }));
failure('far future', () => at(key, 1_600_000_000).decrypt(goodToken, { ttl: 60 }));
failure('invalid ttl', () => at(key).decrypt(goodToken, { ttl: -1 }));
failure('plaintext given as a string', () => at(key).encrypt(secretPlaintext.toString('utf8') as unknown as Uint8Array));
failure('IV of the wrong length (a key slice)', () => at(key).encrypt(secretPlaintext, { iv: key.subarray(0, 15) }));
failure('bad time', () => at(key).encrypt(secretPlaintext, { time: -1 }));
const wiped = at(key);
wiped.wipe();
failure('wiped key: decrypt', () => wiped.decrypt(goodToken));
failure('wiped key: encrypt', () => wiped.encrypt(secretPlaintext));
failure('MultiFernet decrypt with no matching key', () => new MultiFernet([at(otherKey), at(generateFernetKey())]).decrypt(goodToken));
failure('MultiFernet rotate with no matching key', () => new MultiFernet([at(otherKey)]).rotate(goodToken));
failure('MultiFernet expired', () => new MultiFernet([at(otherKey, 1_800_000_000), at(key)]).decrypt(goodToken, { ttl: 1 }));

test('every failure path raised a CustodianError with a stable code', () => {
  assert.ok(collected.length > 40);
  for (const { path, error } of collected) {
    assert.ok(error instanceof CustodianError, `${path}: ${inspect(error)}`);
    assert.match(error.code, /^[A-Z_]+$/);
    assert.ok(error.message.length > 0 && error.message.length < 80, path);
  }
});

test('no error shows the key (raw, base64, base64url, hex, halves) or the plaintext', () => {
  for (const { path, error } of collected) {
    const surface = errorSurface(error);
    for (const [name, needle] of needles) {
      assert.equal(surface.includes(needle), false, `${path}: error output contains the ${name}`);
    }
  }
});

test('all "invalid token" failures are indistinguishable: same message and hint whatever check failed', () => {
  const invalid = collected.filter(({ error }) => (error as CustodianError).code === 'INVALID_TOKEN');
  assert.ok(invalid.length >= 15);
  const shapes = new Set(invalid.map(({ error }) => `${(error as CustodianError).message}|${(error as CustodianError).hint}`));
  assert.equal(shapes.size, 1, [...shapes].join('\n'));
  assert.equal((invalid[0]!.error as CustodianError).message, 'invalid token');
});

test('the checks above can fail: the needles are found when an error does quote the key', () => {
  const leaky = new CustodianError('INVALID_KEY', `bad key ${keyText}`);
  const surface = errorSurface(leaky);
  assert.ok(needles.some(([, needle]) => surface.includes(needle)));
});
