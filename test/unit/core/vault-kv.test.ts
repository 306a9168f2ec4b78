// The pure parts of `vault kv`: generated passwords, fingerprints, FIELD=value parsing from stdin.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFieldLines } from '../../../src-main/cli/commands/vault-kv.js';
import { CustodianError } from '../../../src-main/core/errors.js';
import { generatePassword, PASSWORD_ALPHABET, valueFingerprint } from '../../../src-main/core/vault/index.js';

test('generated passwords: default 32 characters, only the unambiguous alphabet, all of it used, bounded length', () => {
  assert.equal(PASSWORD_ALPHABET.length, 56);
  assert.ok(!/[0Oo1lI]/.test(PASSWORD_ALPHABET));
  const seen = new Set<string>();
  const samples = Array.from({ length: 200 }, () => generatePassword());
  for (const p of samples) {
    assert.equal(p.length, 32);
    for (const c of p.toString()) {
      assert.ok(PASSWORD_ALPHABET.includes(c));
      seen.add(c);
    }
  }
  assert.equal(seen.size, PASSWORD_ALPHABET.length, '6400 characters cover every one of 56');
  assert.equal(new Set(samples.map((p) => p.toString())).size, samples.length, 'no repeats');
  assert.equal(generatePassword(16).length, 16);
  assert.throws(() => generatePassword(15), (e) => e instanceof CustodianError && e.code === 'USAGE');
  assert.throws(() => generatePassword(257), (e) => e instanceof CustodianError && e.code === 'USAGE');
});

test('fingerprints: 12 hex digits, stable, different per value and per path/field', () => {
  const v = Buffer.from('s3cret-value');
  const fp = valueFingerprint('secret', 'app/db', 'password', v);
  assert.match(fp, /^[0-9a-f]{12}$/);
  assert.equal(valueFingerprint('secret', '/app//db/', 'password', v), fp, 'the same path written differently');
  assert.notEqual(valueFingerprint('secret', 'app/db', 'password', Buffer.from('s3cret-valuf')), fp);
  assert.notEqual(valueFingerprint('secret', 'app/redis', 'password', v), fp);
  assert.notEqual(valueFingerprint('secret', 'app/db', 'pass', v), fp);
  assert.ok(!fp.includes(v.toString('hex').slice(0, 12)));
});

test('FIELD=value lines: values kept byte for byte (with "=" and CRLF), the input wiped, bad lines refused', () => {
  const input = Buffer.from('username=mail\r\n\npassword=a=b c\n');
  const fields = parseFieldLines(input, [], []);
  assert.deepEqual(Object.fromEntries(Object.entries(fields).map(([k, b]) => [k, b.toString()])), { username: 'mail', password: 'a=b c' });
  assert.ok(input.every((b) => b === 0), 'the input buffer is wiped');
  const refuse = (text: string, wanted: string[], code: string, generated: string[] = []): void => {
    assert.throws(() => parseFieldLines(Buffer.from(text), wanted, generated), (e) => e instanceof CustodianError && e.code === code && !e.message.includes('hunter2'), text);
  };
  refuse('hunter2\n', [], 'INVALID_INPUT');
  refuse('password=hunter2\npassword=hunter2\n', [], 'INVALID_INPUT');
  refuse('password=hunter2\n', ['username'], 'INVALID_INPUT');
  refuse('username=x\n', ['username', 'password'], 'INVALID_INPUT');
  refuse('', [], 'USAGE');
  refuse('pass word=hunter2\n', [], 'USAGE');
  refuse('password=hunter2\n', [], 'USAGE', ['password']);
  assert.deepEqual(Object.keys(parseFieldLines(Buffer.from(''), [], ['password'])), [], 'only generated fields: stdin may be empty');
});
