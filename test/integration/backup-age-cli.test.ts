/**
 * age backups through the real CLI, real gnome-keyrings (one per custodian: A, B, and a fresh laptop C), Debian's
 * `age`/`age-keygen`, `ssh-keygen` and Python's cryptography: files the app makes open with `age -d` (X25519,
 * passphrase on a pseudo-terminal) and give a key Python's Fernet() accepts; files `age` makes import; SSH keys
 * (ssh-ed25519, ssh-rsa) are refused as recipients and as identities with the reason and the alternatives, and
 * change nothing; bad files and wrong identities or passphrases give the right code and change nothing; a key
 * moves from A to B without plaintext; a state backup sets up C; nothing secret reaches output, audit.log or files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ServerRegistry } from '../../src-main/core/push/servers.js';
import { decodeFernetKey, encodeFernetKey, generateFernetKey, keyId } from '../../src-main/core/crypto/index.js';
import { requireTools, secretTool, startKeyring, type KeyringSession } from '../support/keyring.js';
import { runInPty } from '../support/pty.js';
import { CLI, type CliRun, failed, jsonError, jsonOf, ok, runCustodian } from '../support/run-cli.js';
import { filesLeaking, filesUnder, leakedForms } from '../support/secret-forms.js';

const python = process.env['CUSTODIAN_TEST_PYTHON'] as string;
const PASSPHRASE = 'plover-quartz-seventy-lantern';
const CLI_PASSPHRASE = 'ember-walnut-orbit-citadel';
/** A real age identity (messages may name the prefix "AGE-SECRET-KEY-1..." in a hint, never a whole identity). */
const AGE_IDENTITY = /AGE-SECRET-KEY-1[0-9A-Z]{40,}/;

let a: KeyringSession;
let b: KeyringSession;
let c: KeyringSession;
let scratch: string;
/** Every key whose text must never appear anywhere but in `key export --reveal` and `age -d` output. */
const secrets: Buffer[] = [];
/** Output of every custodian run, checked for leaks at the end. */
const transcripts: Array<[string, string]> = [];

before(async () => {
  assert.ok(python, 'CUSTODIAN_TEST_PYTHON is not set: run the tests through `npm test` (scripts/setup.mjs makes the venv with cryptography)');
  requireTools(['age', 'age-keygen', 'ssh-keygen']);
  [a, b, c] = [await startKeyring(), await startKeyring(), await startKeyring()];
  scratch = await mkdtemp(join(tmpdir(), 'custodian-age-cli-'));
  tool('age-keygen', ['-o', join(scratch, 'offline.txt')]);
  tool('age-keygen', ['-o', join(scratch, 'stranger.txt')]);
  tool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'officer@laptop', '-f', join(scratch, 'ssh_id')]);
  tool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'ssh-key-passphrase', '-f', join(scratch, 'ssh_locked')]);
  tool('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '', '-C', 'officer@laptop', '-f', join(scratch, 'ssh_rsa')]);
  await writeFile(join(scratch, 'pass.txt'), `${PASSPHRASE}\n`, { mode: 0o600 });
  await writeFile(join(scratch, 'wrong-pass.txt'), 'not-the-passphrase-at-all\n', { mode: 0o600 });
});
after(async () => {
  for (const session of [a, b, c]) await session?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const envOf = (session: KeyringSession): Record<string, string | undefined> => ({ ...process.env, ...session.env, CUSTODIAN_TEST_PYTHON: undefined });

async function custodian(session: KeyringSession, args: string[], input?: string): Promise<CliRun> {
  const run = await runCustodian(args, { env: envOf(session), ...(input === undefined ? {} : { input }), timeoutMs: 60_000 });
  const revealing = args.includes('--reveal');
  if (!revealing) transcripts.push([args.join(' '), `${run.stdout.toString('latin1')}\n${run.stderr}`]);
  return run;
}



function tool(command: string, args: string[], input?: string | Buffer): Buffer {
  const run = spawnSync(command, args, { input, timeout: 60_000 });
  assert.equal(run.status, 0, `${command} ${args.join(' ')}: ${run.stderr?.toString()}`);
  return run.stdout;
}

/** The refusal of an SSH recipient or identity: the reason, the alternatives, and not a byte of the key. */
function refusedSsh(run: CliRun, sshFiles: string[]): void {
  failed(run, 2, 'INVALID_INPUT');
  assert.match(run.stderr, /SSH recipient types \(ssh-ed25519, ssh-rsa\) are not supported because the age library used here .* does not implement them/);
  for (const alternative of [/X25519/, /age-keygen/, /custodian identity show --age/, /ssh-to-age/]) assert.match(run.stderr, alternative);
  assert.doesNotMatch(run.stderr, /officer@laptop/, 'not even the key comment is echoed');
  for (const file of sshFiles) {
    const text = readFileSync(file, 'utf8');
    const words = text.split(/\s+/).filter((word) => word.length > 16 && !word.startsWith('-----'));
    for (const word of words) assert.ok(!run.stderr.includes(word.slice(0, 24)), `${file}: no part of the key is echoed`);
  }
}

/** What an export must not change: the keychain, keys.json (lastBackup) and the audit log. */
async function exportStateOf(session: KeyringSession): Promise<string> {
  const auditLog = await readFile(join(session.env['CUSTODIAN_HOME'] as string, 'audit.log'), 'utf8').catch(() => '<none>');
  return `${await stateOf(session)}\n---\n${auditLog}`;
}

function recipientOf(identityFile: string): string {
  return tool('age-keygen', ['-y', identityFile]).toString().trim();
}

/** Python's cryptography accepts the key: a token it makes with it decrypts with our CLI's key of that name. */
async function pythonAccepts(keyText: Buffer, session: KeyringSession, keyRef: string): Promise<void> {
  const run = spawnSync(python, ['-c', 'import sys\nfrom cryptography.fernet import Fernet\nsys.stdout.buffer.write(Fernet(sys.stdin.buffer.read().strip()).encrypt(b"made by python"))'], { input: keyText, timeout: 30_000 });
  assert.equal(run.status, 0, `Python's Fernet() refused the key: ${run.stderr?.toString()}`);
  const decrypted = ok(await custodian(session, ['fernet', 'decrypt', '--key', keyRef], run.stdout.toString()));
  assert.equal(decrypted.stdout.toString(), 'made by python');
}

async function revealed(session: KeyringSession, ref: string): Promise<Buffer> {
  const run = ok(await custodian(session, ['key', 'export', ref, '--reveal']));
  return run.stdout.subarray(0, 44);
}

function keychainOf(session: KeyringSession): string {
  const run = secretTool(session.env, ['search', '--all', 'service', session.env['CUSTODIAN_KEYCHAIN_SERVICE'] as string]);
  return run.stdout.split('\n').filter((line) => /^(label|attribute\.|secret)/.test(line)).sort().join('\n');
}

async function stateOf(session: KeyringSession): Promise<string> {
  const keysJson = await readFile(join(session.env['CUSTODIAN_HOME'] as string, 'keys.json'), 'utf8').catch(() => '<none>');
  return `${keychainOf(session)}\n---\n${keysJson}`;
}

let orders: { id: string; text: Buffer };

describe('files the app makes open with the age CLI', () => {
  test('X25519: age -d gives the key text and a newline; Python\'s Fernet accepts it; the file is 0600; the audit log names the recipient', async () => {
    const generated = jsonOf(ok(await custodian(a, ['--json', 'key', 'generate', '--name', 'orders-db'])));
    orders = { id: generated['id'] as string, text: await revealed(a, 'orders-db') };
    secrets.push(orders.text);
    const recipient = recipientOf(join(scratch, 'offline.txt'));
    const out = join(scratch, 'orders-x25519.age');
    const result = jsonOf(ok(await custodian(a, ['--json', 'backup', 'export', 'orders-db', '--recipient', recipient, '--out', out])));
    assert.deepEqual(result, { id: orders.id, name: 'orders-db', out, recipients: [recipient], format: 'age' });
    assert.equal((await stat(out)).mode & 0o777, 0o600);

    const plaintext = tool('age', ['-d', '-i', join(scratch, 'offline.txt'), out]);
    assert.deepEqual(plaintext, Buffer.concat([orders.text, Buffer.from('\n')]));
    await pythonAccepts(plaintext, a, 'orders-db');

    const shown = jsonOf(ok(await custodian(a, ['--json', 'key', 'show', orders.id])));
    assert.equal((shown['lastBackup'] as { kind: string }).kind, 'age');
    const auditLines = (await readFile(join(a.env['CUSTODIAN_HOME'] as string, 'audit.log'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const entry = auditLines.find((line) => line['action'] === 'backup.export');
    assert.deepEqual({ ...entry, time: undefined, seq: undefined, prev: undefined, by: undefined }, { time: undefined, seq: undefined, prev: undefined, by: undefined, action: 'backup.export', outcome: 'ok', keyId: orders.id, keyName: 'orders-db', recipients: [recipient], format: 'age' });

    const before = await readFile(out);
    failed(await custodian(a, ['backup', 'export', 'orders-db', '--recipient', recipient, '--out', out]), 2, 'CONFIRMATION_REQUIRED');
    assert.deepEqual(await readFile(out), before, 'not overwritten without --force');
    ok(await custodian(a, ['backup', 'export', 'orders-db', '--recipient', recipient, '--out', out, '--force']));
    assert.notDeepEqual(await readFile(out), before);
  });

  test('SSH public keys are refused as recipients (ssh-ed25519, ssh-rsa, in a recipients file, for a state backup): nothing written, nothing recorded', async () => {
    const ed25519 = (await readFile(join(scratch, 'ssh_id.pub'), 'utf8')).trim();
    const rsa = (await readFile(join(scratch, 'ssh_rsa.pub'), 'utf8')).trim();
    const team = join(scratch, 'team.txt');
    await writeFile(team, `# the offline identity\n${recipientOf(join(scratch, 'offline.txt'))}\n# the ops laptop\n${ed25519}\n`);
    const out = join(scratch, 'never-ssh.age');
    const before = await exportStateOf(a);
    const attempts: Array<[string, string[]]> = [
      ['ssh-ed25519 recipient', ['backup', 'export', 'orders-db', '--recipient', ed25519, '--out', out]],
      ['ssh-rsa recipient', ['backup', 'export', 'orders-db', '--recipient', rsa, '--out', out]],
      ['ssh-ed25519 after a good recipient', ['backup', 'export', 'orders-db', '--recipient', recipientOf(join(scratch, 'offline.txt')), '--recipient', ed25519, '--out', out]],
      ['ssh-ed25519 in a recipients file', ['backup', 'export', 'orders-db', '--recipients-file', team, '--out', out]],
      ['ssh-ed25519 for a state backup', ['backup', 'state', '--recipient', ed25519, '--with-keys', '--out', out]],
      ['ssh-rsa, --json', ['--json', 'backup', 'export', 'orders-db', '--recipient', rsa, '--out', out]],
    ];
    for (const [label, args] of attempts) {
      const run = await custodian(a, args);
      if (args[0] === '--json') {
        assert.equal(run.status, 2, label);
        const error = jsonError(run);
        assert.equal(error.code, 'INVALID_INPUT', label);
        assert.match(`${error.message}`, /not supported because the age library used here/, label);
        assert.match(error.hint ?? '', /ssh-to-age/, label);
      } else {
        refusedSsh(run, [join(scratch, 'ssh_id.pub'), join(scratch, 'ssh_rsa.pub')]);
      }
      await assert.rejects(stat(out), `${label}: no file written`);
      assert.equal(await exportStateOf(a), before, `${label}: keychain, keys.json (lastBackup) and audit log unchanged`);
    }
    // --help says the same.
    const help = ok(await custodian(a, ['backup', 'export', '--help'])).stdout.toString();
    assert.match(help, /ssh-ed25519, ssh-rsa\) are not supported/);
    assert.match(help, /ssh-to-age/);
  });

  test('passphrase: the terminal asks twice (hidden); `age -d` on a pseudo-terminal opens it; a mismatch writes nothing', async () => {
    const out = join(scratch, 'orders-pass.age');
    const run = runInPty(python, [process.execPath, CLI, 'backup', 'export', 'orders-db', '--passphrase', '--out', out], [['New passphrase', CLI_PASSPHRASE], ['again', CLI_PASSPHRASE]], envOf(a));
    assert.equal(run.status, 0, run.transcript);
    assert.equal(run.answered, 2);
    assert.ok(!run.transcript.includes(CLI_PASSPHRASE), 'the passphrase is not echoed');
    transcripts.push(['export --passphrase (pty)', run.transcript]);

    const decrypted = join(scratch, 'decrypted.txt');
    const age = runInPty(python, ['age', '-d', '-o', decrypted, out], [['passphrase', CLI_PASSPHRASE]], envOf(a));
    assert.equal(age.status, 0, age.transcript);
    const plaintext = await readFile(decrypted);
    await rm(decrypted);
    assert.deepEqual(plaintext, Buffer.concat([orders.text, Buffer.from('\n')]));
    await pythonAccepts(plaintext, a, 'orders-db');

    const mismatch = runInPty(python, [process.execPath, CLI, 'backup', 'export', 'orders-db', '--passphrase', '--out', join(scratch, 'never.age')], [['New passphrase', CLI_PASSPHRASE], ['again', `${CLI_PASSPHRASE}x`]], envOf(a));
    assert.equal(mismatch.status, 2, mismatch.transcript);
    assert.match(mismatch.transcript, /INVALID_INPUT/);
    await assert.rejects(stat(join(scratch, 'never.age')), 'nothing written');
    transcripts.push(['export mismatch (pty)', mismatch.transcript]);

    failed(await custodian(a, ['backup', 'export', 'orders-db', '--passphrase', '--out', join(scratch, 'never.age')]), 2, 'USAGE');
    failed(await custodian(a, ['backup', 'export', 'no-such-key', '--passphrase', '--out', join(scratch, 'never.age')]), 4, 'KEY_NOT_FOUND');
    const short = join(scratch, 'short.txt');
    await writeFile(short, 'tiny\n');
    failed(await custodian(a, ['backup', 'export', 'orders-db', '--passphrase-file', short, '--out', join(scratch, 'never.age')]), 2, 'INVALID_INPUT');
  });
});

describe('files the age CLI makes import', () => {
  const made: Record<string, { id: string; file: string; args: string[] }> = {};

  before(async () => {
    const keyFile = async (label: string): Promise<{ id: string; path: string }> => {
      const raw = generateFernetKey();
      const text = encodeFernetKey(raw);
      secrets.push(Buffer.from(text));
      const path = join(scratch, `${label}.key`);
      await writeFile(path, Buffer.concat([text, Buffer.from('\n')]), { mode: 0o600 });
      return { id: keyId(raw), path };
    };
    const x = await keyFile('x');
    made['x25519'] = { id: x.id, file: join(scratch, 'x.age'), args: ['--identity', join(scratch, 'offline.txt')] };
    tool('age', ['-r', recipientOf(join(scratch, 'offline.txt')), '-o', made['x25519'].file, x.path]);
    const armored = await keyFile('a');
    made['x25519, armored'] = { id: armored.id, file: join(scratch, 'a.age'), args: ['--identity', join(scratch, 'offline.txt')] };
    tool('age', ['-a', '-r', recipientOf(join(scratch, 'offline.txt')), '-o', made['x25519, armored'].file, armored.path]);
    // Made for an SSH key by the age CLI: material for the refusal test, never imported.
    const s = await keyFile('s');
    tool('age', ['-a', '-R', join(scratch, 'ssh_id.pub'), '-o', join(scratch, 's.age'), s.path]);
    const p = await keyFile('p');
    made['passphrase'] = { id: p.id, file: join(scratch, 'p.age'), args: ['--passphrase-file', join(scratch, 'pass.txt')] };
    const run = runInPty(python, ['age', '-p', '-o', made['passphrase'].file, p.path], [['passphrase', PASSPHRASE], ['onfirm', PASSPHRASE]], envOf(b));
    assert.equal(run.status, 0, run.transcript);
    for (const label of ['x', 'a', 's', 'p']) await rm(join(scratch, `${label}.key`));
  });

  for (const label of ['x25519', 'x25519, armored', 'passphrase']) {
    test(`${label}`, async () => {
      const item = made[label] as { id: string; file: string; args: string[] };
      const imported = jsonOf(ok(await custodian(b, ['--json', 'backup', 'import', item.file, '--name', `from-age-${label}`, ...item.args])));
      assert.equal(imported['id'], item.id);
      assert.equal(imported['origin'], 'restored');
    });
  }

  test('bad input gives the right code and leaves the keychain and keys.json as they were', async () => {
    const good = await readFile(made['x25519']!.file);
    const truncated = join(scratch, 'truncated.age');
    await writeFile(truncated, good.subarray(0, good.length - 10));
    const tampered = join(scratch, 'tampered.age');
    const changed = Buffer.from(good);
    changed[changed.length - 3] = (changed[changed.length - 3] ?? 0) ^ 0x20;
    await writeFile(tampered, changed);
    const plain = join(scratch, 'plain.key');
    await writeFile(plain, `${encodeFernetKey(Buffer.alloc(32, 9)).toString()}\n`);
    const garbage = join(scratch, 'garbage.age');
    await writeFile(garbage, 'age-encryption.org/v1\n-> X25519 nonsense\n--- AAAA\n');

    // Delete the imported keys first, so a wrong-code bug could not hide behind KEY_EXISTS.
    for (const label of Object.keys(made)) ok(await custodian(b, ['key', 'delete', made[label]!.id, '--yes']));
    const before = await stateOf(b);
    const cases: Array<[string, string[], number, string]> = [
      ['truncated', [truncated, '--identity', join(scratch, 'offline.txt')], 5, 'BACKUP_CORRUPT'],
      ['tampered', [tampered, '--identity', join(scratch, 'offline.txt')], 5, 'BACKUP_CORRUPT'],
      ['a plaintext key file', [plain, '--identity', join(scratch, 'offline.txt')], 5, 'BACKUP_CORRUPT'],
      ['not age inside', [garbage, '--identity', join(scratch, 'offline.txt')], 5, 'BACKUP_CORRUPT'],
      ['wrong identity', [made['x25519']!.file, '--identity', join(scratch, 'stranger.txt')], 5, 'BACKUP_DECRYPT_FAILED'],
      ['wrong passphrase', [made['passphrase']!.file, '--passphrase-file', join(scratch, 'wrong-pass.txt')], 5, 'BACKUP_DECRYPT_FAILED'],
      ['passphrase for a recipients file', [made['x25519']!.file, '--passphrase-file', join(scratch, 'pass.txt')], 5, 'BACKUP_DECRYPT_FAILED'],
      ['no keychain identity yet', [made['x25519']!.file], 5, 'BACKUP_DECRYPT_FAILED'],
      ['an identity file that is not one', [made['x25519']!.file, '--identity', plain], 2, 'INVALID_INPUT'],
      ['a missing file', [join(scratch, 'nope.age'), '--identity', join(scratch, 'offline.txt')], 2, 'INVALID_INPUT'],
      ['identity and passphrase', [made['x25519']!.file, '--identity', join(scratch, 'offline.txt'), '--passphrase'], 2, 'USAGE'],
    ];
    for (const [label, args, status, code] of cases) {
      const run = await custodian(b, ['backup', 'import', ...args, '--name', 'bad']);
      failed(run, status, code);
      assert.equal(await stateOf(b), before, `${label}: keychain and keys.json unchanged`);
    }
    const json = jsonError(await custodian(b, ['--json', 'backup', 'import', tampered, '--name', 'bad', '--identity', join(scratch, 'offline.txt')]));
    assert.equal(json.code, 'BACKUP_CORRUPT');
  });
});

describe('SSH identities', () => {
  test('an SSH private key given as --identity is refused with the reason and the alternatives, and changes nothing', async () => {
    const before = await stateOf(b);
    const sshFile = join(scratch, 's.age');
    const attempts: Array<[string, string, string]> = [
      ['the ssh-ed25519 key a file was made for', sshFile, join(scratch, 'ssh_id')],
      ['a passphrase-protected ssh-ed25519 key', sshFile, join(scratch, 'ssh_locked')],
      ['an ssh-ed25519 key for an X25519 file', join(scratch, 'x.age'), join(scratch, 'ssh_id')],
      ['an ssh-rsa key (PEM)', sshFile, join(scratch, 'ssh_rsa')],
    ];
    for (const [label, file, identity] of attempts) {
      refusedSsh(await custodian(b, ['backup', 'import', file, '--name', 'from-ssh', '--identity', identity]), [identity]);
      assert.equal(await stateOf(b), before, `${label}: keychain and keys.json unchanged`);
    }
    const freshC = await stateOf(c);
    refusedSsh(await custodian(c, ['backup', 'restore-state', sshFile, '--identity', join(scratch, 'ssh_id')]), [join(scratch, 'ssh_id')]);
    assert.equal(await stateOf(c), freshC, 'restore-state: the fresh laptop is still fresh');
    assert.match(ok(await custodian(b, ['backup', 'import', '--help'])).stdout.toString(), /ssh-ed25519, ssh-rsa\) are not supported/);
    // The age CLI itself still opens that file with the SSH key: the refusal is ours, the file is fine.
    assert.equal(tool('age', ['-d', '-i', join(scratch, 'ssh_id'), sshFile]).length, 45);
  });
});

describe('moving keys between custodians with the keychain age identity', () => {
  test('identity show --age is stable; A exports to B\'s recipient; B imports with its keychain identity; A cannot open it', async () => {
    const first = ok(await custodian(b, ['identity', 'show', '--age']));
    const recipient = first.stdout.toString().trim();
    assert.match(recipient, /^age1[02-9ac-hj-np-z]{58}$/);
    assert.match(first.stderr, /Created a new age identity/);
    assert.deepEqual(jsonOf(ok(await custodian(b, ['--json', 'identity', 'show', '--age']))), { recipient });
    assert.match(keychainOf(b), /custodian-identity-age/);

    const out = join(scratch, 'to-b.age');
    ok(await custodian(a, ['backup', 'export', 'orders-db', '--recipient', recipient, '--out', out]));
    failed(await custodian(a, ['backup', 'import', out, '--name', 'mine']), 5, 'BACKUP_DECRYPT_FAILED');
    const moved = jsonOf(ok(await custodian(b, ['--json', 'backup', 'import', out, '--name', 'orders-db'])));
    assert.equal(moved['id'], orders.id);
    assert.deepEqual(await revealed(b, 'orders-db'), orders.text);
  });

  test('round trip through our own recipient: export to `identity show --age`, delete, import with no identity flag', async () => {
    const recipient = ok(await custodian(a, ['identity', 'show', '--age'])).stdout.toString().trim();
    const out = join(scratch, 'self.age');
    ok(await custodian(a, ['backup', 'export', orders.id, '--recipient', recipient, '--out', out]));
    ok(await custodian(a, ['key', 'delete', orders.id, '--yes']));
    const back = jsonOf(ok(await custodian(a, ['--json', 'backup', 'import', out, '--name', 'orders-db'])));
    assert.equal(back['id'], orders.id);
    assert.deepEqual(await revealed(a, orders.id), orders.text);
  });
});

describe('the custodian state backup', () => {
  test('restores A\'s identities, profiles, servers and keys on a fresh laptop; refuses to replace without --replace', async () => {
    const home = a.env['CUSTODIAN_HOME'] as string;
    const entry = ok(await custodian(a, ['identity', 'show'])).stdout.toString().trim().split(' ')[0];
    const ageRecipient = ok(await custodian(a, ['identity', 'show', '--age'])).stdout.toString().trim();
    ok(await custodian(a, ['vault', 'profile', 'save', 'prod', '--addr', 'https://v1.example:8200', '--addr', 'https://v2.example:8200']));
    await new ServerRegistry(home).add({ name: 'app-1', url: 'http://10.0.0.5:8421/custodian', identity: `ed25519:${'B'.repeat(43)}`, serverId: 'app-1', added: new Date().toISOString() });

    const withKeys = join(scratch, 'state-with-keys.age');
    const exported = jsonOf(ok(await custodian(a, ['--json', 'backup', 'state', '--recipient', recipientOf(join(scratch, 'offline.txt')), '--with-keys', '--out', withKeys])));
    assert.deepEqual(exported['keys'], [orders.id]);
    assert.equal((await stat(withKeys)).mode & 0o777, 0o600);
    const withoutKeys = join(scratch, 'state.age');
    ok(await custodian(a, ['backup', 'state', '--passphrase-file', join(scratch, 'pass.txt'), '--out', withoutKeys]));

    const restored = jsonOf(ok(await custodian(c, ['--json', 'backup', 'restore-state', withKeys, '--identity', join(scratch, 'offline.txt')])));
    assert.equal(restored['signingIdentity'], entry);
    assert.equal(restored['ageRecipient'], ageRecipient);
    assert.equal(ok(await custodian(c, ['identity', 'show'])).stdout.toString().trim().split(' ')[0], entry);
    assert.equal(ok(await custodian(c, ['identity', 'show', '--age'])).stdout.toString().trim(), ageRecipient);
    assert.match(ok(await custodian(c, ['vault', 'profile', 'list'])).stdout.toString(), /prod/);
    assert.match(ok(await custodian(c, ['server', 'list'])).stdout.toString(), /app-1/);
    assert.deepEqual(await revealed(c, orders.id), orders.text);

    failed(await custodian(c, ['backup', 'restore-state', withoutKeys, '--passphrase-file', join(scratch, 'pass.txt')]), 2, 'CONFIRMATION_REQUIRED');
    const replaced = jsonOf(ok(await custodian(c, ['--json', 'backup', 'restore-state', withoutKeys, '--passphrase-file', join(scratch, 'pass.txt'), '--replace'])));
    assert.equal(typeof replaced['previousHome'], 'string');
    assert.equal(replaced['signingIdentity'], entry);
    assert.deepEqual(replaced['keysNotInKeychain'], [], 'the key from the first restore is still in C\'s keychain');
    failed(await custodian(c, ['backup', 'restore-state', withoutKeys, '--identity', join(scratch, 'stranger.txt'), '--replace']), 5, 'BACKUP_DECRYPT_FAILED');
    failed(await custodian(c, ['backup', 'restore-state', join(scratch, 'self.age'), '--replace']), 5, 'BACKUP_CORRUPT'); // a key backup, opened with C's restored age identity
  });
});

describe('a locked keychain', () => {
  test('import and restore-state fail with KEYCHAIN_LOCKED and change nothing', async () => {
    const d = await startKeyring();
    try {
      ok(await custodian(d, ['key', 'generate', '--name', 'existing']));
      const home = d.env['CUSTODIAN_HOME'] as string;
      const before = await readFile(join(home, 'keys.json'), 'utf8');
      await d.lock();
      failed(await custodian(d, ['backup', 'import', join(scratch, 'orders-x25519.age'), '--name', 'orders-db', '--identity', join(scratch, 'offline.txt')]), 3, 'KEYCHAIN_LOCKED');
      failed(await custodian(d, ['backup', 'restore-state', join(scratch, 'state-with-keys.age'), '--identity', join(scratch, 'offline.txt'), '--replace']), 3, 'KEYCHAIN_LOCKED');
      assert.equal(await readFile(join(home, 'keys.json'), 'utf8'), before);
      assert.deepEqual(filesUnder(join(home, '..')).filter((file) => /\.(restore|before-restore)-/.test(file)), [], 'no staging or aside directory');
    } finally {
      await d.stop();
    }
  });
});

describe('leaks', () => {
  test('no key, passphrase or age identity in any output, audit log, keys.json or file under the custodian homes', async () => {
    assert.ok(secrets.length >= 4 && transcripts.length > 30, 'the scan has material to look at');
    const privateIdentities = [await readFile(join(scratch, 'offline.txt'), 'utf8'), await readFile(join(scratch, 'stranger.txt'), 'utf8')]
      .map((text) => /AGE-SECRET-KEY-1[0-9A-Z]+/.exec(text)?.[0] as string);
    for (const [label, text] of transcripts) {
      for (const secret of secrets) assert.deepEqual(leakedForms(text, decodeFernetKey(secret)), [], `${label}: a key leaked`);
      for (const phrase of [PASSPHRASE, CLI_PASSPHRASE, ...privateIdentities]) assert.ok(!text.includes(phrase), `${label}: a passphrase or identity leaked`);
      assert.doesNotMatch(text, AGE_IDENTITY, `${label}: an age identity leaked`);
    }
    // The backup files themselves (and everything else the test left in its scratch directory) hold no key in clear.
    for (const secret of secrets) assert.deepEqual(filesLeaking(scratch, decodeFernetKey(secret)), [], 'a backup file holds a key in clear');
    for (const session of [a, b, c]) {
      const home = session.env['CUSTODIAN_HOME'] as string;
      assert.ok(filesUnder(home).some((file) => file.endsWith('audit.log')));
      for (const secret of secrets) assert.deepEqual(filesLeaking(session.env['HOME'] as string, decodeFernetKey(secret)), []);
      for (const file of filesUnder(session.env['HOME'] as string)) {
        const text = await readFile(file, 'latin1');
        for (const phrase of [PASSPHRASE, CLI_PASSPHRASE]) assert.ok(!text.includes(phrase), `${file} holds a passphrase`);
        assert.doesNotMatch(text, AGE_IDENTITY, `${file} holds an age identity`);
      }
    }
  });
});
