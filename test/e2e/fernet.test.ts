/**
 * End-to-end: the Keys screen's "Encrypt and decrypt files" (the desktop face of `custodian fernet`) in Debian's
 * Chromium against the real core (test bridge, the handler table Electron registers), a real gnome-keyring and
 * the real CLI for interoperability. Files are "chosen" by the bridge's test dialogs; the files to open live in
 * a directory of their own, so an output never lands on an input. Screenshots: test-results/screenshots/fernet-*.png.
 *
 * One officer's session, in order: a file is encrypted and decrypted back byte for byte (decrypt asks for
 * presence); a token file holding a token made by the app and one made by the CLI is rotated to the new key, each
 * line decrypts back to its original under the new key and no longer under the old one (a clear INVALID_TOKEN);
 * a damaged file is refused with a sentence and nothing written; the section passes axe; nothing of the content
 * reaches the window, the audit log or the bridge's output.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { assertNoSecrets, filesUnder } from '../support/openbao.js';
import { ok as cliOk, runCustodian } from '../support/run-cli.js';
import { expectAxeCleanBothSchemes } from './specs/accessibility.js';
import { decryptSpec, encryptSpec, fernetForm, rotateSpec } from './specs/fernet.js';
import { alertWithCode, E2E_UNLOCK_PASSPHRASE, withDiagnostics, type SpecContext } from './specs/helpers.js';
import { generateKey } from './specs/keys.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { openWindow, screenshot, type Window } from './support/browser.js';

let keyring: KeyringSession;
let bridge: Bridge;
let window: Window;
let context: SpecContext;
/** Where the save dialog answers (the bridge's test directory), and where the files to open are made. */
let saved: string;
let inputs: string;
const OLD = { name: 'orders-2025', id: '' };
const NEW = { name: 'orders-2026', id: '' };
/** A recognisable marker inside random bytes: it must never show up outside the files. */
const MARKER = 'quarterly payroll 7F3A';
const REPORT = Buffer.concat([randomBytes(200_000), Buffer.from(`\n${MARKER}\r\n`), Buffer.from([0, 255, 10, 13])]);
const CLI_PLAINTEXT = Buffer.from(`made by the CLI: ${MARKER}`);
let reportToken: string;

before(async () => {
  keyring = await startKeyring();
  saved = mkdtempSync(join(tmpdir(), 'custodian-e2e-fernet-saved-'));
  inputs = mkdtempSync(join(tmpdir(), 'custodian-e2e-fernet-inputs-'));
  const env = { ...keyring.env, CUSTODIAN_E2E_FILES: saved };
  // Setting the unlock passphrase counts as presence for a minute; a second bridge process (the passphrase kept
  // in the keyring) starts with none, so the first decrypt must ask for it, as an officer's next session would.
  await (await startBridge(env)).stop();
  bridge = await startBridge(env, { unlockPassphrase: null });
  window = await openWindow(bridge);
  context = { page: window.page, env, shot: (name) => screenshot(window.page, name), passphrase: E2E_UNLOCK_PASSPHRASE };
});

after(async () => {
  await window?.close();
  await bridge?.stop();
  await keyring?.stop();
  for (const dir of [saved, inputs]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const queue = (path: string) => () => bridge.queueOpenFile(path);
const input = (name: string, content: Buffer | string): string => {
  const path = join(inputs, name);
  writeFileSync(path, content);
  return path;
};

test('encrypt a file, then decrypt it back byte for byte (after presence); the CLI opens the app\'s token', () => withDiagnostics(context, 'fernet-roundtrip', async () => {
  OLD.id = await generateKey(context, OLD.name);
  NEW.id = await generateKey(context, NEW.name);
  const encrypted = await encryptSpec(context, OLD, queue(input('report.bin', REPORT)));
  assert.equal(encrypted.output, join(saved, 'report.bin.token'), 'saved where the save dialog answered, with the suggested name');
  assert.match(encrypted.summary, new RegExp(`\\(${REPORT.length} bytes\\) with`));
  assert.equal(statSync(encrypted.output).mode & 0o777, 0o600);
  reportToken = readFileSync(encrypted.output, 'latin1');
  assert.match(reportToken, /^gAAAAA[A-Za-z0-9_-]+=*\n$/, 'one token and a newline');
  await context.shot('fernet-encrypted');
  const asked = await bridge.dialogs();
  assert.deepEqual(asked.slice(-2).map((d) => d.kind), ['open', 'save'], 'main opened its own dialogs');

  // The real CLI decrypts the token the app wrote.
  const cli = cliOk(await runCustodian(['fernet', 'decrypt', '--key', OLD.name], { env: context.env, input: reportToken }));
  assert.deepEqual(cli.stdout, REPORT);

  // Decrypt with "any key": main tries the keychain's keys and names the one that opened it.
  const decrypted = await decryptSpec(context, undefined, queue(encrypted.output));
  assert.ok(decrypted.askedPresence, 'decrypt asked "Confirm it is you" first: it writes plaintext');
  assert.ok(decrypted.output, 'decrypted');
  assert.match(decrypted.summary!, new RegExp(`with ${OLD.name} \\(${OLD.id}\\) into ${join(saved, 'report.bin')} \\(${REPORT.length} bytes\\)`));
  assert.deepEqual(readFileSync(decrypted.output), REPORT, 'byte for byte');
  assert.equal(statSync(decrypted.output).mode & 0o777, 0o600);
  await context.shot('fernet-decrypted');
  assert.ok(!(await context.page.content()).includes(MARKER), 'the window never holds the file\'s content');
}));

test('rotate a token file (one line from the app, one from the CLI) to the new key; each line decrypts back under it, not under the old key', () => withDiagnostics(context, 'fernet-rotate', async () => {
  const cliToken = cliOk(await runCustodian(['fernet', 'encrypt', '--key', OLD.name], { env: context.env, input: CLI_PLAINTEXT })).stdout.toString('latin1');
  const tokens = input('tokens.token', `${reportToken.trim()}\n${cliToken.trim()}\n`);
  const rotated = await rotateSpec(context, NEW, queue(tokens));
  assert.equal(rotated.output, join(saved, 'tokens.rotated.token'));
  assert.match(rotated.summary, /Re-encrypted 2 tokens from/);
  assert.deepEqual(rotated.openedBy, [`${OLD.name} (${OLD.id}): 2 tokens`]);
  assert.equal(statSync(rotated.output).mode & 0o777, 0o600);
  await context.shot('fernet-rotated');
  const lines = readFileSync(rotated.output, 'latin1').split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, 2);
  assert.notEqual(lines[0], reportToken.trim(), 'a new token');

  // Line 1, on its own, decrypts under the new key to the original report, byte for byte.
  const first = input('first-rotated.token', `${lines[0]}\n`);
  const back = await decryptSpec(context, NEW, queue(first));
  assert.match(back.summary!, new RegExp(`with ${NEW.name} \\(${NEW.id}\\)`));
  assert.deepEqual(readFileSync(back.output!), REPORT);
  // Line 2 too, through the CLI.
  const second = cliOk(await runCustodian(['fernet', 'decrypt', '--key', NEW.name], { env: context.env, input: `${lines[1]}\n` }));
  assert.deepEqual(second.stdout, CLI_PLAINTEXT);

  // Under the old key, the rotated token is refused: a sentence with the code, and nothing written.
  const before = readdirSync(saved).sort();
  const refused = await decryptSpec(context, OLD, queue(first));
  assert.ok(refused.refused, 'refused');
  const text = await alertWithCode(refused.refused, 'INVALID_TOKEN');
  assert.match(text, new RegExp(`The file is not a Fernet token made with ${OLD.name}, or it was changed; nothing was written\\.`));
  assert.deepEqual(readdirSync(saved).sort(), before, 'nothing was written');
}));

test('a damaged file: a clear INVALID_TOKEN, no save dialog, nothing written; the section passes axe in both schemes', () => withDiagnostics(context, 'fernet-corrupt', async () => {
  const middle = Math.floor(reportToken.length / 2);
  const damaged = input('damaged.token', reportToken.slice(0, middle) + (reportToken[middle] === 'A' ? 'B' : 'A') + reportToken.slice(middle + 1));
  const before = readdirSync(saved).sort();
  const dialogsBefore = (await bridge.dialogs()).length;
  const refused = await decryptSpec(context, undefined, queue(damaged));
  assert.ok(refused.refused, 'refused');
  const text = await alertWithCode(refused.refused, 'INVALID_TOKEN');
  assert.match(text, /No key in the keychain opens this file: it is not a Fernet token made with one of them, or it was changed; nothing was written\./);
  assert.match(text, /Error code: INVALID_TOKEN/);
  assert.deepEqual((await bridge.dialogs()).slice(dialogsBefore).map((d) => d.kind), ['open'], 'only the open dialog: no save dialog');
  assert.deepEqual(readdirSync(saved).sort(), before, 'nothing was written');
  await context.shot('fernet-corrupt');
  await expectAxeCleanBothSchemes(context.page, 'keys-fernet-error', context.shot);

  // A maximum age of 0 is refused by the contract, under its field, before presence or a dialog.
  const form = await fernetForm(context.page, 'Decrypt');
  await form.getByLabel('Maximum token age in seconds (optional)').fill('0');
  await form.getByRole('button', { name: 'Choose a token file and decrypt…' }).click();
  await alertWithCode(form, 'INVALID_INPUT');
  assert.match(await form.locator('.field-error').innerText(), /Maximum token age: give a whole number of seconds greater than 0\./);
  // The rotate form: axe on it as well.
  await fernetForm(context.page, 'Rotate');
  await expectAxeCleanBothSchemes(context.page, 'keys-fernet-rotate', context.shot);
}));

test('no content of the files in the audit log, the custodian home or the bridge\'s output; the audit log records each operation; no CSP violation', () => {
  const problems = window.console.filter((line) => /Content Security Policy|pageerror|Refused to/i.test(line));
  assert.deepEqual(problems, []);
  const home = keyring.env['CUSTODIAN_HOME']!;
  const homeFiles = filesUnder(home);
  assertNoSecrets([Buffer.from(MARKER), REPORT.subarray(0, 64)], { files: homeFiles, texts: { 'bridge stderr': bridge.stderr() } });
  const log = readFileSync(homeFiles.find((f) => f.endsWith('audit.log'))!, 'utf8');
  assert.match(log, new RegExp(`"action":"fernet.encrypt"[^\\n]*"keyId":"${OLD.id}"[^\\n]*"outcome":"ok"`));
  assert.match(log, new RegExp(`"action":"fernet.decrypt"[^\\n]*"keyId":"${NEW.id}"[^\\n]*"outcome":"ok"`));
  assert.match(log, new RegExp(`"action":"fernet.rotate"[^\\n]*"keyId":"${NEW.id}"[^\\n]*"outcome":"ok"`));
  assert.match(log, /"action":"fernet.decrypt"[^\n]*"code":"INVALID_TOKEN"[^\n]*"outcome":"error"/); // canonical JSON: members sorted
});
