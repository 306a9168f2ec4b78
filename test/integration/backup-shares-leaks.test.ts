/**
 * Security regression tests for SLIP-39 backups, through the real CLI and a real gnome-keyring: apart from the one
 * command whose job is to print them (`backup split --reveal`), no share (not even three of its words in a row),
 * no SLIP-39 passphrase and no form of the key appears on stdout or stderr of any backup command (successes,
 * every kind of bad share, mismatches, usage errors, --json errors), in audit.log, in keys.json, or in any file
 * under CUSTODIAN_HOME or HOME.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeFernetKey } from '../../src-main/core/crypto/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { jsonOf, runCustodian, type CliRun } from '../support/run-cli.js';
import { filesLeaking, filesUnder, leakedForms } from '../support/secret-forms.js';

const PASSPHRASE = 'Leak-Canary passphrase 42';

let session: KeyringSession;
let env: Record<string, string | undefined>;
let scratch: string;
let passphraseFile: string;
let wrongPassphraseFile: string;
let id: string;
let raw: Buffer;
let shares: string[];
let otherSet: string[] = [];

const custodian = (args: string[], input?: string): Promise<CliRun> => runCustodian(args, { env, ...(input === undefined ? {} : { input }) });

/** Every run of three consecutive words of every share, plus the passphrase: none may show up anywhere. */
function secretFragments(): string[] {
  const fragments = [PASSPHRASE];
  for (const mnemonic of [...shares, ...otherSet]) {
    const words = mnemonic.split(' ');
    for (let i = 0; i + 3 <= words.length; i++) fragments.push(words.slice(i, i + 3).join(' '));
  }
  return fragments;
}

function leaks(text: string | Buffer): string[] {
  const haystack = text.toString().toLowerCase();
  const found = secretFragments().filter((fragment) => haystack.includes(fragment.toLowerCase())).map((fragment) => (fragment === PASSPHRASE ? 'the passphrase' : 'share words'));
  return [...new Set([...found, ...leakedForms(text, raw)])];
}

function clean(run: CliRun, label: string): CliRun {
  assert.ok(!run.timedOut, `${label}: finished`);
  assert.deepEqual(leaks(run.stdout), [], `${label}: stdout`);
  assert.deepEqual(leaks(run.stderr), [], `${label}: stderr`);
  return run;
}

before(async () => {
  session = await startKeyring();
  env = { ...process.env, ...session.env };
  scratch = await mkdtemp(join(tmpdir(), 'custodian-backup-leaks-'));
  passphraseFile = join(scratch, 'passphrase');
  wrongPassphraseFile = join(scratch, 'wrong-passphrase');
  await writeFile(passphraseFile, `${PASSPHRASE}\n`, { mode: 0o600 });
  await writeFile(wrongPassphraseFile, `${PASSPHRASE}.\n`, { mode: 0o600 });
  id = jsonOf(await custodian(['--json', 'key', 'generate', '--name', 'guarded']))['id'] as string;
  raw = decodeFernetKey((await custodian(['key', 'export', id, '--reveal'])).stdout.subarray(0, 44));
  const split = await custodian(['--json', 'backup', 'split', id, '--shares', '3', '--threshold', '2', '--holder', 'Ana', '--passphrase-file', passphraseFile, '--reveal']);
  assert.equal(split.status, 0, split.stderr);
  shares = (jsonOf(split)['shares'] as Array<{ mnemonic: string }>).map((share) => share.mnemonic);
  assert.deepEqual(leaks(split.stdout).includes('share words'), true, 'sanity: the scanner finds the revealed shares');
  assert.deepEqual(leaks(split.stderr), [], 'even the revealing split keeps its notes on stderr clean');
  const other = await custodian(['--json', 'backup', 'split', id, '--shares', '2', '--threshold', '2', '--reveal']);
  otherSet = (jsonOf(other)['shares'] as Array<{ mnemonic: string }>).map((share) => share.mnemonic);
});
after(async () => {
  await session?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

test('no backup command but split --reveal prints a share, the passphrase or the key, whatever goes wrong', async () => {
  const [a, b, c] = shares as [string, string, string];
  const words = b.split(' ');
  const misspelt = [...words.slice(0, 8), `${words[8]}zz`, ...words.slice(9)].join(' ');
  const swapped = [...words.slice(0, 10), words[11], words[10], ...words.slice(12)].join(' ');
  const lines = (...mnemonics: string[]): string => `${mnemonics.join('\n')}\n`;
  const runs: Array<[string, string[], string | undefined]> = [
    ['drill match', ['backup', 'restore', '--check', id, '--passphrase-file', passphraseFile], lines(a, c)],
    ['drill match --json', ['--json', 'backup', 'restore', '--check', id, '--passphrase-file', passphraseFile], lines(c, b)],
    ['drill wrong passphrase', ['backup', 'restore', '--check', id, '--passphrase-file', wrongPassphraseFile], lines(a, b)],
    ['drill wrong passphrase --json', ['--json', 'backup', 'restore', '--check', id, '--passphrase-file', wrongPassphraseFile], lines(a, b)],
    ['misspelt word', ['backup', 'restore', '--name', 'x', '--passphrase-file', passphraseFile], lines(a, misspelt)],
    ['misspelt word --json', ['--json', 'backup', 'restore', '--name', 'x'], lines(misspelt)],
    ['swapped words', ['backup', 'restore', '--name', 'x'], lines(swapped, a)],
    ['short share', ['backup', 'restore', '--name', 'x'], lines(words.slice(0, 30).join(' '))],
    ['duplicate', ['backup', 'restore', '--name', 'x'], lines(a, a)],
    ['other set', ['backup', 'restore', '--name', 'x'], lines(a, otherSet[0]!)],
    ['too few', ['--json', 'backup', 'restore', '--name', 'x'], lines(c)],
    ['expect mismatch', ['backup', 'restore', '--name', 'x', '--expect', id, '--passphrase-file', wrongPassphraseFile], lines(a, b)],
    ['share pasted as an argument', ['backup', 'restore', '--name', 'x', a], ''],
    ['share pasted as an option', ['backup', 'restore', `--${words.slice(0, 4).join('-')}`], ''],
    ['passphrase as a value', ['backup', 'split', id, '--shares', '2', '--threshold', '2', '--reveal', '--passphrase', PASSPHRASE], undefined],
    ['split refused', ['backup', 'split', id, '--shares', '3', '--threshold', '2'], undefined],
    ['key list', ['key', 'list'], undefined],
    ['key show --json', ['--json', 'key', 'show', id], undefined],
  ];
  for (const [label, args, input] of runs) clean(await custodian(args, input), label);

  // A successful restore prints only the id.
  assert.equal((await custodian(['key', 'delete', id, '--yes'])).status, 0);
  const restored = clean(await custodian(['backup', 'restore', '--name', 'guarded', '--passphrase-file', passphraseFile], lines(b, c)), 'restore');
  assert.equal(restored.status, 0, restored.stderr);
  assert.match(restored.stdout.toString(), new RegExp(id));
});

test('audit.log, keys.json and every file under CUSTODIAN_HOME and HOME hold no share, passphrase or key', async () => {
  const home = session.env['CUSTODIAN_HOME'] as string;
  const audit = await readFile(join(home, 'audit.log'), 'utf8');
  assert.match(audit, /"action":"backup\.split"/, 'the audit log records the split');
  assert.match(audit, /"action":"backup\.drill"/, 'and the drills');
  assert.match(audit, /"action":"backup\.restore"/, 'and the restores');
  assert.deepEqual(leaks(audit), [], 'audit.log');
  assert.deepEqual(leaks(await readFile(join(home, 'keys.json'))), [], 'keys.json');
  const files = [...filesUnder(home), ...filesUnder(session.env['HOME'] as string)];
  assert.ok(files.length >= 2, 'the scan saw the files');
  const leaking = files.flatMap((file) => {
    const found = leaks(contentOf(file));
    return found.length > 0 ? [`${file}: ${found.join(', ')}`] : [];
  });
  assert.deepEqual(leaking, []);
  assert.deepEqual(filesLeaking(home, raw), []);
});

/** A file's bytes (empty when it vanished meanwhile, like a keyring daemon's socket). */
function contentOf(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    return Buffer.alloc(0);
  }
}
