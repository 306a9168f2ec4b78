/**
 * `custodian backup split --pdf DIR` end to end: a real keyring, the CLI as a child process, and the sheets read
 * back with real tools (pdftoppm + zbarimg for the QR code, pdftotext for the words). Two sheets' QR codes restore
 * the key (a drill against its id); an unwritable directory is refused before anything is split or marked.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { type CliRun, jsonOf, ok, runCustodian } from '../support/run-cli.js';
import { decodeSheetQr, pdfText } from '../support/sheets.js';

let session: KeyringSession;
let env: Record<string, string | undefined>;
let scratch: string;

before(async () => {
  session = await startKeyring();
  env = { ...process.env, ...session.env };
  scratch = await mkdtemp(join(tmpdir(), 'custodian-split-pdf-'));
});
after(async () => {
  await session?.stop();
  await rm(scratch, { recursive: true, force: true });
});

const custodian = (args: string[], input?: string): Promise<CliRun> => runCustodian(args, { env, ...(input === undefined ? {} : { input }) });


test('split --pdf writes one 0600 sheet per holder whose QR holds exactly the mnemonic; two of them restore the key', async () => {
  const id = jsonOf(ok(await custodian(['--json', 'key', 'generate', '--name', 'orders-db'])))['id'] as string;
  const dir = join(scratch, 'sheets');
  const run = ok(await custodian(['backup', 'split', 'orders-db', '--shares', '3', '--threshold', '2', '--holder', 'Ana', '--holder', 'Ben', '--holder', 'José', '--pdf', dir]));
  assert.match(run.stderr, /Print them, hand each to its holder, then delete the files/);
  const files = (await readdir(dir)).sort();
  assert.deepEqual(files, ['orders-db-share-1-of-3.pdf', 'orders-db-share-2-of-3.pdf', 'orders-db-share-3-of-3.pdf']);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  const mnemonics: string[] = [];
  for (const [i, file] of files.entries()) {
    const path = join(dir, file);
    assert.equal((await stat(path)).mode & 0o777, 0o600, `${file} is private`);
    const qr = decodeSheetQr(path);
    assert.equal(qr.length, 1, 'one QR code per sheet');
    const words = qr[0]!.split(' ');
    assert.equal(words.length, 33, 'a 32-byte key gives 33-word shares');
    const text = pdfText(path);
    assert.match(text, new RegExp(['Ana', 'Ben', 'José'][i]!));
    assert.ok(text.includes(id), 'the sheet names the key id');
    assert.match(text, /custodian backup restore/);
    assert.match(text, /SLIP-39/);
    assert.ok(!run.stdout.includes(words.slice(0, 3).join(' ')) && !run.stderr.includes(words.slice(0, 3).join(' ')), 'the words are on the sheet, not on the terminal');
    mnemonics.push(qr[0]!);
  }
  const drill = jsonOf(ok(await custodian(['--json', 'backup', 'restore', '--check', id], `${mnemonics[0]}\n${mnemonics[2]}\n`)));
  assert.equal(drill['match'], true, JSON.stringify(drill));
  const shown = jsonOf(ok(await custodian(['--json', 'key', 'show', id])));
  assert.ok(shown['lastBackup'], `the key is marked as backed up: ${JSON.stringify(shown)}`);
});

test('split --pdf into a directory that cannot be written is refused before the split; the key stays without backup', async () => {
  const id = jsonOf(ok(await custodian(['--json', 'key', 'generate', '--name', 'billing-db'])))['id'] as string;
  const blocker = join(scratch, 'a-file');
  await writeFile(blocker, 'not a directory');
  const run = await custodian(['backup', 'split', 'billing-db', '--shares', '3', '--threshold', '2', '--pdf', blocker]);
  assert.equal(run.status, 8, run.stderr);
  assert.match(run.stderr, /error \[OUTPUT_UNWRITABLE\]/);
  assert.match(run.stderr, /\nhint: ./);
  const shown = jsonOf(ok(await custodian(['--json', 'key', 'show', id])));
  assert.equal(shown['lastBackup'], undefined, 'no backup was recorded');
});
