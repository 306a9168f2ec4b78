/**
 * Security regression tests through the real CLI and a real gnome-keyring: the key never appears (raw, hex,
 * base64, base64url, key text, or either half) in the metadata file, any file under CUSTODIAN_HOME or HOME, any
 * error message, the --json output of any command but `key export --reveal`, or a crash report.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeFernetKey, encodeFernetKey, generateFernetKey } from '../../src-main/core/crypto/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { jsonOf, runCustodian, type CliRun } from '../support/run-cli.js';
import { filesLeaking, filesUnder, leakedForms } from '../support/secret-forms.js';

let session: KeyringSession;
let env: Record<string, string | undefined>;
let scratch: string;
let id: string;
let raw: Buffer;

const custodian = (args: string[], input?: Uint8Array | string, extraEnv: Record<string, string> = {}): Promise<CliRun> =>
  runCustodian(args, { env: { ...env, ...extraEnv }, ...(input === undefined ? {} : { input }) });

function clean(run: CliRun, label: string): CliRun {
  assert.ok(!run.timedOut, `${label}: finished`);
  assert.deepEqual(leakedForms(run.stdout, raw), [], `${label}: stdout holds the key`);
  assert.deepEqual(leakedForms(run.stderr, raw), [], `${label}: stderr holds the key`);
  return run;
}

before(async () => {
  session = await startKeyring();
  env = { ...process.env, ...session.env };
  scratch = await mkdtemp(join(tmpdir(), 'custodian-leak-scratch-'));
  const generated = await custodian(['--json', 'key', 'generate', '--name', 'guarded']);
  assert.equal(generated.status, 0, generated.stderr);
  id = jsonOf(generated)['id'] as string;
  const exported = await custodian(['key', 'export', id, '--reveal']);
  assert.equal(exported.status, 0, exported.stderr);
  raw = decodeFernetKey(exported.stdout.subarray(0, 44));
  assert.ok(leakedForms(exported.stdout, raw).includes('key text'), 'sanity: the scanner finds the exported key');
});
after(async () => {
  await session?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

test('--json output of every command except export --reveal holds no key', async () => {
  const token = jsonOf(clean(await custodian(['--json', 'fernet', 'encrypt', '--key', id], 'payload'), 'encrypt'))['token'] as string;
  const runs: Array<[string, string[], string | undefined]> = [
    ['generate', ['--json', 'key', 'generate', '--name', 'another'], undefined],
    ['list', ['--json', 'key', 'list'], undefined],
    ['show', ['--json', 'key', 'show', id], undefined],
    ['decrypt', ['--json', 'fernet', 'decrypt', '--key', id], token],
    ['rotate', ['--json', 'fernet', 'rotate', '--key', id, '--previous', id], token],
    ['import', ['--json', 'key', 'import', '--name', 'imported'], encodeFernetKey(generateFernetKey()).toString()],
    ['delete', ['--json', 'key', 'delete', 'another', '--yes'], undefined],
    ['delete imported', ['--json', 'key', 'delete', 'imported', '--yes'], undefined],
  ];
  for (const [label, args, input] of runs) {
    const run = clean(await custodian(args, input), label);
    assert.equal(run.status, 0, `${label}: ${run.stderr}`);
    jsonOf(run);
  }
});

test('error messages hold no key: wrong key, tampered token, bad input, the key pasted in the wrong place', async () => {
  const text = encodeFernetKey(raw).toString();
  const otherKey = jsonOf(await custodian(['--json', 'key', 'generate', '--name', 'other']))['id'] as string;
  const token = (await custodian(['fernet', 'encrypt', '--key', id], 'payload')).stdout;
  const tampered = Buffer.from(token);
  tampered[30] = tampered[30] === 0x41 ? 0x42 : 0x41;
  const nearKey = `${text.slice(0, 20)}+${text.slice(21)}`;
  const failures: Array<[string, string[], Uint8Array | string | undefined, string]> = [
    ['wrong key', ['fernet', 'decrypt', '--key', otherKey], token, 'INVALID_TOKEN'],
    ['tampered token', ['fernet', 'decrypt', '--key', id], tampered, 'INVALID_TOKEN'],
    ['tampered token (json)', ['--json', 'fernet', 'decrypt', '--key', id], tampered, 'INVALID_TOKEN'],
    ['rotate with a bad line', ['fernet', 'rotate', '--key', otherKey, '--previous', id], Buffer.concat([token, tampered]), 'INVALID_TOKEN'],
    ['import of an existing key', ['key', 'import', '--name', 'dup'], text, 'KEY_EXISTS'],
    ['import of a near-key', ['key', 'import', '--name', 'near'], nearKey, 'INVALID_KEY'],
    ['key text as --key', ['fernet', 'encrypt', '--key', text], 'payload', 'KEY_NOT_FOUND'],
    ['key text as show argument', ['key', 'show', text], undefined, 'KEY_NOT_FOUND'],
    ['key text as export argument (json)', ['--json', 'key', 'export', text, '--reveal'], undefined, 'KEY_NOT_FOUND'],
    ['key text as --name', ['key', 'generate', '--name', text], undefined, 'INVALID_INPUT'],
  ];
  for (const [label, args, input, code] of failures) {
    const run = clean(await custodian(args, input), label);
    assert.notEqual(run.status, 0, label);
    assert.match(run.stderr, new RegExp(code), `${label}: ${run.stderr}`);
  }
  const nearRaw = Buffer.from(nearKey.replace('+', '-'), 'base64url');
  const nearRun = await custodian(['key', 'import', '--name', 'near'], nearKey);
  assert.deepEqual(leakedForms(nearRun.stderr, nearRaw), [], 'the rejected input is not echoed either');
  assert.ok(!nearRun.stderr.includes(nearKey));
  await custodian(['key', 'delete', otherKey, '--yes']);
});

test('a crash while the key is in memory prints neither the key nor a stack trace', async () => {
  // A preload makes node:crypto's createHmac blow up with the key in the exception message: synchronously (the
  // command's own error path) and as an uncaught exception on the next tick (the process-level handler).
  const preload = join(scratch, 'crash.mjs');
  await writeFile(preload, `
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
const original = crypto.createHmac;
crypto.createHmac = function (algorithm, key, ...rest) {
  if (key && typeof key !== 'string' && key.length >= 16) {
    const leaked = Buffer.from(key).toString('base64') + ' ' + Buffer.from(key).toString('hex');
    if (process.env.CRASH_MODE === 'async') setImmediate(() => { throw new RangeError('crashed holding ' + leaked); });
    else throw new TypeError('crashed holding ' + leaked);
  }
  return original.call(this, algorithm, key, ...rest);
};
syncBuiltinESMExports();
`);
  for (const mode of ['sync', 'async']) {
    for (const args of [['fernet', 'encrypt', '--key', id], ['--json', 'fernet', 'encrypt', '--key', id], ['key', 'show', id]]) {
      const run = clean(await custodian(args, 'payload', { NODE_OPTIONS: `--import=${preload}`, CRASH_MODE: mode }), `${mode} crash in ${args.join(' ')}`);
      assert.equal(run.status, 1, `${mode} crash exits 1 (INTERNAL): ${run.stderr}`);
      assert.match(run.stderr, /INTERNAL/);
      assert.doesNotMatch(run.stderr, /crashed holding/, 'the exception message is not printed');
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
    }
  }
});

test('no file under CUSTODIAN_HOME or HOME holds the key (keys.json and audit.log included)', async () => {
  const home = session.env['CUSTODIAN_HOME'] as string;
  const metadata = await readFile(join(home, 'keys.json'));
  assert.match(metadata.toString(), new RegExp(id), 'keys.json lists the key');
  assert.deepEqual(leakedForms(metadata, raw), []);
  assert.ok(filesUnder(home).length >= 2, 'keys.json and audit.log were scanned');
  assert.deepEqual(filesLeaking(home, raw), []);
  assert.deepEqual(filesLeaking(session.env['HOME'] as string, raw), []);
});
