// The share-sheet writer, read back with real tools: every PDF is rendered (pdftoppm) and its QR code decoded
// (zbarimg) to exactly the mnemonic or share; its text (pdftotext) shows the public facts and instructions and no
// other secret. Files are 0600 in a 0700 directory; a failure leaves nothing behind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import * as openpgp from 'openpgp';
import { CustodianError } from '../../../src-main/core/errors.js';
import { checkShareSheetOutput, writeShareSheets, type Slip39Sheet, type VaultShareSheet } from '../../../src-main/core/backup/sheets.js';
import { leakForms } from '../../support/openbao.js';
import { decodeSheetQr, pdfText, slip39, splitSlip39 } from '../../support/sheets.js';

let root: string;
const date = new Date('2026-11-30T15:04:05Z');
const keyId = 'K1-8KE1-QDS4-9W1J-7TKF';

before(async () => { root = await mkdtemp(join(tmpdir(), 'custodian-sheets-')); });
after(async () => { await rm(root, { recursive: true, force: true }); });

function slipSheets(mnemonics: string[], threshold: number, holders: string[], passphraseProtected = false): Slip39Sheet[] {
  return mnemonics.map((mnemonic, i) => ({
    kind: 'slip39', holder: holders[i] ?? '', index: i + 1, total: mnemonics.length, threshold, date,
    keyName: 'orders-db', keyId, words: mnemonic.split(' '), passphraseProtected,
  }));
}

function vaultSheet(share: string, index: number, total: number, holder: string, pgpEncrypted = false): VaultShareSheet {
  return { kind: 'vault-unseal', holder, index, total, threshold: Math.min(2, total), date, addresses: ['https://vault-1.example.com:8200', 'https://vault-2.example.com:8200'], share, pgpEncrypted };
}

const isCode = (code: string) => (e: unknown): boolean => e instanceof CustodianError && e.code === code;

/** The numbered words of a sheet's grid, read from its text: number -> word. */
function gridWords(text: string): Map<number, string> {
  const words = new Map<number, string>();
  for (const match of text.matchAll(/(?:^|\s)(\d{1,2})\.\s+([a-z]+)\b/gm)) {
    const n = Number(match[1]);
    assert.equal(words.has(n), false, `word number ${n} appears twice`);
    words.set(n, match[2]!);
  }
  return words;
}

test('a 3-of-5 SLIP-39 split: five sheets 0600 in a new 0700 directory; each QR decodes to exactly its mnemonic; three of them recover the key', async () => {
  const secret = randomBytes(32);
  const mnemonics = splitSlip39(secret, 3, 5);
  assert.equal(mnemonics[0]!.split(' ').length, 33, 'a 256-bit secret gives 33 words');
  const holders = ['Alice Müller', 'Bob', '', 'Dana', 'Eve'];
  const dir = join(root, 'new', 'sheets');
  const paths = await writeShareSheets(dir, 'orders-db', slipSheets(mnemonics, 3, holders));

  assert.deepEqual(paths, [1, 2, 3, 4, 5].map((k) => join(dir, `orders-db-share-${k}-of-5.pdf`)));
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.equal((await stat(join(root, 'new'))).mode & 0o777, 0o700, 'every directory it creates is 0700');
  assert.deepEqual((await readdir(dir)).sort(), paths.map((p) => p.slice(dir.length + 1)).sort());

  const decoded: string[] = [];
  for (const [i, path] of paths.entries()) {
    assert.equal((await stat(path)).mode & 0o777, 0o600, path);
    const codes = decodeSheetQr(path);
    assert.deepEqual(codes, [mnemonics[i]], `sheet ${i + 1}: one QR code holding exactly the mnemonic`);
    decoded.push(codes[0]!);

    const text = pdfText(path);
    const flat = text.replace(/\s+/g, ' ');
    assert.ok(flat.includes(i === 2 ? 'Holder 3' : holders[i]!), `sheet ${i + 1} names its holder`);
    assert.ok(flat.includes('orders-db'));
    assert.ok(flat.includes(keyId));
    assert.ok(flat.includes(`Share ${i + 1} of 5`));
    assert.ok(flat.includes('any 3 of the 5 shares restore the key'));
    assert.ok(flat.includes('2026-11-30'));
    assert.ok(flat.includes('custodian backup restore --name "orders-db"'));
    assert.ok(flat.includes(`custodian backup restore --check ${keyId}`));
    assert.ok(flat.includes('SLIP-39 standard (SLIP-0039'));
    assert.doesNotMatch(flat, /passphrase is also needed/);

    // The grid holds this holder's words, numbered in order, and nothing else that looks like a numbered word.
    const grid = gridWords(pdfText(path, true));
    assert.deepEqual([...grid.entries()].sort((a, b) => a[0] - b[0]), mnemonics[i]!.split(' ').map((w, n) => [n + 1, w]));

    // No other secret: not the key, not another holder's mnemonic, in the text or anywhere in the file's bytes.
    const raw = (await readFile(path)).toString('latin1');
    for (const form of leakForms(secret)) assert.ok(!raw.includes(form) && !text.includes(form), `sheet ${i + 1} holds the key itself`);
    for (const [j, other] of mnemonics.entries()) {
      if (j !== i) assert.ok(!raw.includes(other) && !flat.includes(other), `sheet ${i + 1} holds sheet ${j + 1}'s mnemonic`);
    }
  }
  const recovered = slip39.recoverSecret([decoded[4]!, decoded[0]!, decoded[2]!]);
  assert.deepEqual(Buffer.from(recovered), secret, 'three decoded QR codes recover the key');
});

test('a passphrase-protected split says a passphrase is also needed; 20-word (128-bit) mnemonics fit the grid too', async () => {
  const mnemonics = splitSlip39(randomBytes(16), 2, 3, 'correct horse');
  assert.equal(mnemonics[0]!.split(' ').length, 20);
  const paths = await writeShareSheets(join(root, 'pass'), 'legacy', slipSheets(mnemonics, 2, ['Ann', 'Ben', 'Cid'], true));
  for (const [i, path] of paths.entries()) {
    assert.deepEqual(decodeSheetQr(path), [mnemonics[i]]);
    const flat = pdfText(path).replace(/\s+/g, ' ');
    assert.ok(flat.includes('A passphrase is also needed to restore this key. It is not on this sheet.'));
    assert.ok(!flat.includes('correct horse'));
    assert.equal(gridWords(pdfText(path, true)).size, 20);
  }
});

test('Vault sheets: the share as printed and a QR of it, the cluster\'s addresses, T of N, `custodian vault unseal`; no other holder\'s share', async () => {
  const shares = [randomBytes(33), randomBytes(33), randomBytes(33)].map((s) => s.toString('base64'));
  const paths = await writeShareSheets(join(root, 'vault'), 'prod-unseal', shares.map((s, i) => vaultSheet(s, i + 1, 3, ['Alice', 'Bob', 'Carol'][i]!)));
  for (const [i, path] of paths.entries()) {
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(decodeSheetQr(path), [shares[i]]);
    const text = pdfText(path);
    const flat = text.replace(/\s+/g, ' ');
    for (const fact of [['Alice', 'Bob', 'Carol'][i]!, 'https://vault-1.example.com:8200', 'https://vault-2.example.com:8200', `Share ${i + 1} of 3`, 'any 2 of the 3 shares unseal the cluster', '2026-11-30', 'custodian vault unseal']) {
      assert.ok(flat.includes(fact), `sheet ${i + 1} shows ${fact}`);
    }
    assert.ok(text.split('\n').includes(shares[i]!), 'the share exactly as printed, on one line');
    const raw = (await readFile(path)).toString('latin1');
    for (const [j, other] of shares.entries()) {
      if (j !== i) for (const form of leakForms(Buffer.from(other, 'base64'))) assert.ok(!raw.includes(form) && !text.includes(form), `sheet ${i + 1} holds share ${j + 1}`);
    }
  }
});

test('a PGP-encrypted share goes on the sheet encrypted, as Vault prints it (base64), and its QR code decodes to it', async () => {
  const { publicKey } = await openpgp.generateKey({ userIDs: [{ name: 'carol' }], format: 'armored' });
  const plainShare = randomBytes(33);
  // What Vault/OpenBao does with pgp_keys: the share's hex text, encrypted, then base64 of the binary message.
  const message = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: Buffer.from(plainShare.toString('hex')) }), encryptionKeys: await openpgp.readKey({ armoredKey: publicKey }), format: 'binary' });
  const printed = Buffer.from(message as Uint8Array).toString('base64');
  // And an RSA-4096-sized one (about 750 characters), the largest common case.
  const large = randomBytes(560).toString('base64');
  const paths = await writeShareSheets(join(root, 'pgp'), 'pgp-unseal', [vaultSheet(printed, 1, 2, 'Carol', true), vaultSheet(large, 2, 2, 'Dave', true)]);
  for (const [i, expected] of [printed, large].entries()) {
    assert.deepEqual(decodeSheetQr(paths[i]!), [expected]);
    const text = pdfText(paths[i]!);
    assert.ok(text.replace(/\s+/g, ' ').includes('encrypted to your PGP key'));
    const lines = text.split('\n').filter((line) => /^[A-Za-z0-9+/=]{20,}$/.test(line));
    assert.equal(lines.join(''), expected, 'the printed lines join to the share as Vault printed it');
    const raw = (await readFile(paths[i]!)).toString('latin1');
    for (const form of leakForms(plainShare)) assert.ok(!raw.includes(form) && !text.includes(form), 'the decrypted share is not on the sheet');
  }
});

test('holder names: Latin-1 prints as given; a name the standard PDF fonts cannot print is INVALID_INPUT and nothing is written', async () => {
  const [mnemonic] = splitSlip39(randomBytes(32), 1, 1);
  const ok = await writeShareSheets(join(root, 'latin1'), 'k', slipSheets([mnemonic!], 1, ['José Ørsted-Çelik']));
  assert.ok(pdfText(ok[0]!).includes('José Ørsted-Çelik'));

  for (const name of ['Łukasz', 'Алиса', '山田', 'Bob\u0007']) {
    const dir = join(root, `refused-${name.length}-${name.charCodeAt(0)}`);
    await assert.rejects(writeShareSheets(dir, 'k', slipSheets([mnemonic!], 1, [name])), (e: unknown) => isCode('INVALID_INPUT')(e) && /standard PDF fonts cannot print/.test((e as Error).message));
    await assert.rejects(stat(dir), 'the directory was not even created');
  }
});

test('a secret of an unexpected form is INVALID_INPUT without quoting it', async () => {
  const [mnemonic] = splitSlip39(randomBytes(32), 1, 1);
  const words = mnemonic!.split(' ');
  const upper = [...words];
  upper[4] = upper[4]!.toUpperCase();
  await assert.rejects(writeShareSheets(join(root, 'bad1'), 'k', [{ ...slipSheets([mnemonic!], 1, ['A'])[0]!, words: upper }]),
    (e: unknown) => isCode('INVALID_INPUT')(e) && /Word 5/.test((e as Error).message) && !(e as Error).message.includes(upper[4]!));
  const share = `${randomBytes(33).toString('base64').slice(0, 40)}!?`;
  await assert.rejects(writeShareSheets(join(root, 'bad2'), 'k', [vaultSheet(share, 1, 1, 'A')]),
    (e: unknown) => isCode('INVALID_INPUT')(e) && !(e as Error).message.includes(share.slice(0, 20)));
  await assert.rejects(writeShareSheets(join(root, 'bad3'), '../escape', [vaultSheet(randomBytes(33).toString('base64'), 1, 1, 'A')]), isCode('INVALID_INPUT'));
  await assert.rejects(stat(join(root, 'bad1')));
});

test('OUTPUT_UNWRITABLE: the directory is a file, or under a file; nothing is written or changed', async () => {
  const file = join(root, 'a-file');
  await writeFile(file, 'keep me');
  const sheets = [vaultSheet(randomBytes(33).toString('base64'), 1, 1, 'A')];
  await assert.rejects(writeShareSheets(file, 'k', sheets), (e: unknown) => isCode('OUTPUT_UNWRITABLE')(e) && /Nothing was written/.test((e as Error).message));
  await assert.rejects(writeShareSheets(join(file, 'sub'), 'k', sheets), isCode('OUTPUT_UNWRITABLE'));
  assert.equal(await readFile(file, 'utf8'), 'keep me');
  await assert.rejects(checkShareSheetOutput(file, 'k', 1, []), isCode('OUTPUT_UNWRITABLE'));
});

test('OUTPUT_UNWRITABLE mid-way: a file in the way of sheet 3 removes sheets 1 and 2 and leaves the obstacle and other files alone', async () => {
  const dir = join(root, 'in-the-way');
  await mkdir(dir);
  await writeFile(join(dir, 'notes.txt'), 'unrelated');
  await writeFile(join(dir, 'k-share-3-of-4.pdf'), 'an older sheet');
  const mnemonics = splitSlip39(randomBytes(32), 2, 4);
  await assert.rejects(checkShareSheetOutput(dir, 'k', 4, [['holder name', 'A']]), (e: unknown) => isCode('OUTPUT_UNWRITABLE')(e) && /already exists/.test((e as Error).message));
  await assert.rejects(writeShareSheets(dir, 'k', slipSheets(mnemonics, 2, ['A', 'B', 'C', 'D'])), (e: unknown) => isCode('OUTPUT_UNWRITABLE')(e) && /k-share-3-of-4\.pdf already exists/.test((e as Error).message));
  assert.deepEqual((await readdir(dir)).sort(), ['k-share-3-of-4.pdf', 'notes.txt']);
  assert.equal(await readFile(join(dir, 'k-share-3-of-4.pdf'), 'utf8'), 'an older sheet');
});

test('OUTPUT_UNWRITABLE after nine sheets (the tenth file name is too long): the sheets and the directories it created are removed', async () => {
  const parent = join(root, 'long');
  await mkdir(parent);
  const base = 'n'.repeat(255 - '-share-1-of-10.pdf'.length); // names 1-9 are 255 bytes, the limit; name 10 is 256
  const mnemonics = splitSlip39(randomBytes(16), 2, 10);
  await assert.rejects(writeShareSheets(join(parent, 'a', 'b'), base, slipSheets(mnemonics, 2, [])), (e: unknown) => isCode('OUTPUT_UNWRITABLE')(e) && /too long/.test((e as Error).message));
  assert.deepEqual(await readdir(parent), [], 'nothing left: no sheet, no directory');
});

test('OUTPUT_UNWRITABLE in a directory the user may not write to (as an unprivileged user when the tests run as root)', async () => {
  const dir = join(root, 'locked');
  await mkdir(dir, { mode: 0o755 });
  const share = randomBytes(33).toString('base64');
  if (process.getuid?.() !== 0) {
    await chmod(dir, 0o500);
    await assert.rejects(writeShareSheets(dir, 'k', [vaultSheet(share, 1, 1, 'A')]), (e: unknown) => isCode('OUTPUT_UNWRITABLE')(e) && /permission denied/.test((e as Error).message));
    await assert.rejects(checkShareSheetOutput(join(dir, 'sub'), 'k', 1, []), isCode('OUTPUT_UNWRITABLE'));
  } else {
    // Root may write anywhere, so run the writer as "nobody" against root's 0755 directory.
    const module = pathToFileURL(join(import.meta.dirname, '..', '..', '..', 'src-main', 'core', 'backup', 'sheets.js')).href;
    const script = `const m = await import(${JSON.stringify(module)}); const share = (await new Promise((ok) => { let t = ''; process.stdin.on('data', (c) => { t += c; }).on('end', () => ok(t)); })).trim();
      const sheet = { kind: 'vault-unseal', holder: 'A', index: 1, total: 1, threshold: 1, date: new Date(), addresses: ['https://v:8200'], share, pgpEncrypted: false };
      for (const attempt of [() => m.writeShareSheets(${JSON.stringify(dir)}, 'k', [sheet]), () => m.checkShareSheetOutput(${JSON.stringify(join(dir, 'sub'))}, 'k', 1, [])]) {
        try { await attempt(); console.log('WRITTEN'); } catch (e) { console.log(e.code + ': ' + e.message); }
      }`;
    await chmod(root, 0o755); // let "nobody" reach the directory, so that what fails is writing into it
    const child = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e', script], { input: share, encoding: 'utf8', timeout: 30_000, cwd: '/' });
    await chmod(root, 0o700);
    assert.equal(child.status, 0, child.stderr);
    const lines = child.stdout.trim().split('\n');
    assert.match(lines[0]!, /^OUTPUT_UNWRITABLE: .*permission denied/);
    assert.match(lines[1]!, /^OUTPUT_UNWRITABLE: /);
    assert.ok(!child.stdout.includes(share));
  }
  assert.deepEqual(await readdir(dir), []);
});

test('checkShareSheetOutput creates nothing, and refuses unprintable public text before any irreversible step', async () => {
  const dir = join(root, 'planned', 'here');
  await checkShareSheetOutput(dir, 'prod-unseal', 3, [['holder name', 'Alice'], ['address', 'https://v:8200']]);
  await assert.rejects(stat(join(root, 'planned')));
  await assert.rejects(checkShareSheetOutput(dir, 'prod-unseal', 3, [['holder name', 'Łukasz']]), isCode('INVALID_INPUT'));
});
