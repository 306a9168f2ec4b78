/**
 * `custodian fernet encrypt | decrypt | rotate` as a user runs them (child processes), with keys in a real
 * gnome-keyring, checked against Python's `cryptography` Fernet / MultiFernet (the reference implementation).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { jsonError, jsonOf, runCustodian, type CliRun } from '../support/run-cli.js';

let session: KeyringSession;
let env: Record<string, string | undefined>;
let oldKey: { id: string; text: string };
let newKey: { id: string; text: string };

const python = process.env['CUSTODIAN_TEST_PYTHON'];

before(async () => {
  assert.ok(python, 'CUSTODIAN_TEST_PYTHON is not set: run the tests through `npm test` (scripts/setup.mjs makes the venv with cryptography)');
  session = await startKeyring();
  env = { ...process.env, ...session.env };
  oldKey = await makeKey('old');
  newKey = await makeKey('new');
});
after(async () => {
  await session?.stop(); // throws if any keyring process is left behind
});

const custodian = (args: string[], input?: Uint8Array | string): Promise<CliRun> => runCustodian(args, { env, ...(input === undefined ? {} : { input }) });

function ok(run: CliRun): CliRun {
  assert.ok(!run.timedOut, 'the CLI finished');
  assert.equal(run.status, 0, `exit ${run.status}; stderr: ${run.stderr}`);
  return run;
}

function failed(run: CliRun, status: number, code: string): CliRun {
  assert.ok(!run.timedOut, 'the CLI finished');
  assert.equal(run.status, status, `expected exit ${status}, got ${run.status}; stderr: ${run.stderr}`);
  assert.match(run.stderr, new RegExp(`error \\[${code}\\]`));
  assert.equal(run.stdout.length, 0, 'nothing on stdout');
  return run;
}

async function makeKey(name: string): Promise<{ id: string; text: string }> {
  const id = jsonOf(ok(await custodian(['--json', 'key', 'generate', '--name', name])))['id'] as string;
  const text = ok(await custodian(['key', 'export', id, '--reveal'])).stdout.toString().trim();
  return { id, text };
}

/** Runs a Python snippet with `cryptography`; stdin/stdout are bytes. */
function py(code: string, input: Uint8Array = Buffer.alloc(0), args: string[] = []): Buffer {
  const run = spawnSync(python as string, ['-c', `import sys\nfrom cryptography.fernet import Fernet, MultiFernet, InvalidToken\n${code}`, ...args], { input, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(run.status, 0, `python failed: ${run.stderr?.toString()}`);
  return run.stdout;
}

describe('encrypt and decrypt', () => {
  test('round trip of text, binary, empty and 1 MiB input; Python decrypts our tokens and we decrypt Python\'s', async () => {
    const inputs = [Buffer.from('hello, custodian\n'), Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.alloc(0), randomBytes(1024 * 1024)];
    for (const plaintext of inputs) {
      const token = ok(await custodian(['fernet', 'encrypt', '--key', oldKey.id], plaintext)).stdout;
      assert.equal(token.at(-1), 0x0a, 'the token ends with a newline');
      assert.deepEqual(ok(await custodian(['fernet', 'decrypt', '--key', oldKey.id], token)).stdout, plaintext, `our round trip, ${plaintext.length} bytes`);
      const byPython = py('sys.stdout.buffer.write(Fernet(sys.argv[1]).decrypt(sys.stdin.buffer.read().strip()))', token, [oldKey.text]);
      assert.deepEqual(byPython, plaintext, `Python decrypts our token, ${plaintext.length} bytes`);
      const pythonToken = py('sys.stdout.buffer.write(Fernet(sys.argv[1]).encrypt(sys.stdin.buffer.read()))', plaintext, [oldKey.text]);
      assert.deepEqual(ok(await custodian(['fernet', 'decrypt', '--key', 'old'], pythonToken)).stdout, plaintext, `we decrypt Python's token, ${plaintext.length} bytes`);
    }
  });

  test('--json: encrypt gives {token}, decrypt gives {plaintextBase64, created}', async () => {
    const plaintext = Buffer.from([0, 1, 2, 250, 255]);
    const encrypted = jsonOf(ok(await custodian(['--json', 'fernet', 'encrypt', '--key', oldKey.id], plaintext)));
    assert.deepEqual(Object.keys(encrypted), ['token']);
    const decrypted = jsonOf(ok(await custodian(['--json', 'fernet', 'decrypt', '--key', oldKey.id], encrypted['token'] as string)));
    assert.equal(decrypted['plaintextBase64'], plaintext.toString('base64'));
    assert.ok(Math.abs(Date.parse(decrypted['created'] as string) - Date.now()) < 10 * 60_000, 'created is the token time');
  });

  test('wrong key, tampered or garbled token: INVALID_TOKEN (exit 5), saying no more than "invalid token"', async () => {
    const token = ok(await custodian(['fernet', 'encrypt', '--key', oldKey.id], 'secret data')).stdout;
    const wrongKey = failed(await custodian(['fernet', 'decrypt', '--key', newKey.id], token), 5, 'INVALID_TOKEN');
    assert.match(wrongKey.stderr, /^error \[INVALID_TOKEN\]: invalid token\n/);
    const tampered = Buffer.from(token);
    tampered[40] = tampered[40] === 0x41 ? 0x42 : 0x41;
    failed(await custodian(['fernet', 'decrypt', '--key', oldKey.id], tampered), 5, 'INVALID_TOKEN');
    failed(await custodian(['fernet', 'decrypt', '--key', oldKey.id], 'not a token'), 5, 'INVALID_TOKEN');
    failed(await custodian(['fernet', 'decrypt', '--key', oldKey.id], ''), 5, 'INVALID_TOKEN');
    const json = await custodian(['--json', 'fernet', 'decrypt', '--key', newKey.id], token);
    assert.deepEqual({ status: json.status, code: jsonError(json).code, message: jsonError(json).message }, { status: 5, code: 'INVALID_TOKEN', message: 'invalid token' });
  });

  test('--ttl: an old token is TOKEN_EXPIRED as Python rejects it; without --ttl it decrypts', async () => {
    const hourOld = py('import time\nsys.stdout.buffer.write(Fernet(sys.argv[1]).encrypt_at_time(b"old news", int(time.time()) - 3600))', Buffer.alloc(0), [oldKey.text]);
    failed(await custodian(['fernet', 'decrypt', '--key', oldKey.id, '--ttl', '60'], hourOld), 5, 'TOKEN_EXPIRED');
    assert.equal(py('try:\n  Fernet(sys.argv[1]).decrypt(sys.stdin.buffer.read(), ttl=60); print("accepted")\nexcept InvalidToken: print("rejected")', hourOld, [oldKey.text]).toString().trim(), 'rejected');
    assert.deepEqual(ok(await custodian(['fernet', 'decrypt', '--key', oldKey.id, '--ttl', '7200'], hourOld)).stdout, Buffer.from('old news'));
    assert.deepEqual(ok(await custodian(['fernet', 'decrypt', '--key', oldKey.id], hourOld)).stdout, Buffer.from('old news'));
    for (const bad of ['0', '-5', 'abc', '1.5']) failed(await custodian(['fernet', 'decrypt', '--key', oldKey.id, '--ttl', bad], hourOld), 2, 'USAGE');
  });

  test('an unknown key is KEY_NOT_FOUND (exit 4) and reads no further', async () => {
    failed(await custodian(['fernet', 'encrypt', '--key', 'no-such-key'], 'x'), 4, 'KEY_NOT_FOUND');
  });
});

describe('rotate', () => {
  test('re-encrypts every line under --key, keeps each timestamp, and Python\'s MultiFernet agrees', async () => {
    const times = [1_700_000_000, 1_750_000_000, Math.floor(Date.now() / 1000) - 5];
    const messages = ['first', '', 'third \u00e9\u00e8'];
    const lines = times.map((time, index) => py(`sys.stdout.buffer.write(Fernet(sys.argv[1]).encrypt_at_time(sys.argv[2].encode(), ${time}))`, Buffer.alloc(0), [oldKey.text, messages[index] as string]));
    // CRLF line ends and a missing final newline are both fine.
    const input = Buffer.concat([lines[0] as Buffer, Buffer.from('\r\n'), lines[1] as Buffer, Buffer.from('\n'), lines[2] as Buffer]);
    const out = ok(await custodian(['fernet', 'rotate', '--key', newKey.id, '--previous', oldKey.id], input)).stdout.toString();
    const rotated = out.split('\n');
    assert.equal(rotated.pop(), '', 'output ends with a newline');
    assert.equal(rotated.length, 3, 'one output line per input line');
    for (const [index, token] of rotated.entries()) {
      const check = py([
        'new = Fernet(sys.argv[1]); token = sys.argv[2].encode()',
        'print(new.decrypt(token).decode()); print(new.extract_timestamp(token))',
      ].join('\n'), Buffer.alloc(0), [newKey.text, token]).toString().split('\n');
      assert.equal(check[0], messages[index], 'the new key decrypts the rotated token');
      assert.equal(Number(check[1]), times[index], 'rotation keeps the original timestamp');
      failed(await custodian(['fernet', 'decrypt', '--key', oldKey.id], token), 5, 'INVALID_TOKEN');
    }
    // Tokens already under the new key rotate too (MultiFernet tries every key).
    const again = ok(await custodian(['fernet', 'rotate', '--key', newKey.id, '--previous', oldKey.id], out)).stdout.toString().split('\n');
    assert.equal(again.length, 4);
  });

  test('one bad line: error names the line number, and nothing at all is written', async () => {
    const good = ok(await custodian(['fernet', 'encrypt', '--key', oldKey.id], 'a')).stdout;
    const foreign = py('sys.stdout.buffer.write(Fernet(Fernet.generate_key()).encrypt(b"x"))');
    const input = Buffer.concat([good, good, foreign, Buffer.from('\n'), good]);
    const run = failed(await custodian(['fernet', 'rotate', '--key', newKey.id, '--previous', oldKey.id], input), 5, 'INVALID_TOKEN');
    assert.match(run.stderr, /line 3\b/);
    const json = await custodian(['--json', 'fernet', 'rotate', '--key', newKey.id, '--previous', oldKey.id], input);
    assert.equal(json.stdout.length, 0);
    assert.deepEqual(jsonError(json).details, { line: 3 });
  });

  test('--json gives {count, tokens}; several --previous keys are accepted', async () => {
    const underOld = ok(await custodian(['fernet', 'encrypt', '--key', oldKey.id], 'o')).stdout;
    const underNew = ok(await custodian(['fernet', 'encrypt', '--key', newKey.id], 'n')).stdout;
    const third = jsonOf(ok(await custodian(['--json', 'key', 'generate', '--name', 'third'])))['id'] as string;
    const result = jsonOf(ok(await custodian(['--json', 'fernet', 'rotate', '--key', third, '--previous', oldKey.id, newKey.id], Buffer.concat([underOld, underNew]))));
    assert.equal(result['count'], 2);
    const tokens = result['tokens'] as string[];
    assert.deepEqual(ok(await custodian(['fernet', 'decrypt', '--key', third], tokens[0])).stdout, Buffer.from('o'));
    assert.deepEqual(ok(await custodian(['fernet', 'decrypt', '--key', third], tokens[1])).stdout, Buffer.from('n'));
  });
});

test('every fernet command has --help with an example and the exit statuses', async () => {
  for (const command of ['encrypt', 'decrypt', 'rotate']) {
    const help = ok(await custodian(['fernet', command, '--help'])).stdout.toString();
    assert.match(help, /Examples?:\n\s+.*custodian fernet /, command);
    assert.match(help, /Exit status:/, command);
  }
});
