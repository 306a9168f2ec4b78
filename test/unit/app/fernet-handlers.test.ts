/**
 * The Keys screen's Fernet file actions through the contract's own validation (invokeAction), on an in-memory
 * keychain and real files in a temp directory: encrypt and decrypt round-trip byte for byte, decrypt names the
 * key that opened the token, rotate re-encrypts every line under the new key (keeping timestamps) and says which
 * key opened how many, and every failure (unknown key, damaged file, expired token, a bad line, a cancelled
 * dialog, an unwritable or self-overwriting output) writes nothing. Decrypt needs presence; the others do not.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import type { ErrorView, FernetDecrypted, FernetEncrypted, FernetRotated } from '../../../src-shared/contract.js';
import type { DialogPort } from '../../../src-main/app/dialogs.js';
import { invokeAction, type HandlerTable } from '../../../src-main/app/dispatch.js';
import { guardTable, NEEDS_PRESENCE } from '../../../src-main/app/guard.js';
import { fernetHandlers } from '../../../src-main/app/handlers/fernet.js';
import { MAX_PLAINTEXT_BYTES, suggestedName } from '../../../src-main/app/handlers/fernet-files.js';
import { MemoryVerifierStore, Presence } from '../../../src-main/app/presence/presence.js';
import { SessionLock } from '../../../src-main/app/presence/session-lock.js';
import { AttemptThrottle, MemoryThrottleStore } from '../../../src-main/app/presence/throttle.js';
import { MemoryAuditLog } from '../../../src-main/core/audit.js';
import { encodeFernetKey, Fernet } from '../../../src-main/core/crypto/index.js';
import { KeyStore, MemorySecretStore, type KeyRecord } from '../../../src-main/core/keystore/index.js';

let home: string;
let files: string;
let out: string;
let audit: MemoryAuditLog;
let secrets: MemorySecretStore;
let store: KeyStore;
let table: HandlerTable;
/** What the next open / save dialog answers (undefined: the officer cancels), and what was asked. */
let opens: Array<string | undefined>;
let saves: Array<string | undefined>;
let asked: Array<{ kind: 'open' | 'save'; title: string; defaultName?: string }>;

const dialogs: DialogPort = {
  chooseDirectory: async () => undefined,
  chooseOpenFile: async ({ title }) => { asked.push({ kind: 'open', title }); return opens.shift(); },
  chooseSaveFile: async ({ title, defaultName }) => { asked.push({ kind: 'save', title, defaultName }); return saves.shift(); },
};

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'custodian-fernet-handlers-'));
  files = join(home, 'in');
  out = join(home, 'out');
  await mkdir(files);
  await mkdir(out);
  audit = new MemoryAuditLog();
  secrets = new MemorySecretStore();
  store = new KeyStore({ secrets, home, audit });
  opens = [];
  saves = [];
  asked = [];
  table = fernetHandlers({ keys: () => store, audit, dialogs }) as unknown as HandlerTable;
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

async function ok<T>(action: string, request: unknown): Promise<T> {
  const result = await invokeAction(table, action as never, request);
  assert.ok(result.ok, `${action} failed: ${JSON.stringify(result.ok ? undefined : result.error)}`);
  return result.value as T;
}
async function fails(action: string, request: unknown, code: string): Promise<ErrorView> {
  const result = await invokeAction(table, action as never, request);
  assert.ok(!result.ok, `${action} should have failed with ${code}`);
  assert.equal(result.error.code, code, result.error.message);
  return result.error;
}

/** The raw key bytes of a stored key (as the test's own check, outside the handlers). */
async function rawKey(record: KeyRecord): Promise<Buffer> {
  return store.withKey(record.id, (raw) => Buffer.from(raw));
}

async function encryptFile(key: string, name: string, content: Buffer): Promise<{ result: FernetEncrypted & { saved: true }; token: string }> {
  const input = join(files, name);
  await writeFile(input, content);
  opens.push(input);
  saves.push(join(out, `${name}.token`));
  const result = await ok<FernetEncrypted>('fernetEncrypt', { key });
  assert.ok(result.saved);
  return { result, token: await readFile(result.output, 'latin1') };
}

async function outFiles(): Promise<string[]> {
  return (await readdir(out)).sort();
}

const BINARY = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\r\n\n end without newline')]);

test('encrypt, then decrypt: the same bytes back; a 0600 token file of one line; summaries name sizes and key ids', async () => {
  const key = await store.generate('orders-db');
  const { result, token } = await encryptFile('orders-db', 'report.bin', BINARY);
  assert.equal(result.input, join(files, 'report.bin'));
  assert.equal(result.inputBytes, BINARY.length);
  assert.equal(result.outputBytes, Buffer.byteLength(token));
  assert.deepEqual(result.key, { id: key.id, name: 'orders-db' });
  assert.match(token, /^gAAAAA[A-Za-z0-9_-]+=*\n$/, 'one Fernet token and a newline, as the CLI writes it');
  assert.equal((await stat(result.output)).mode & 0o777, 0o600);
  assert.deepEqual(asked.map((a) => a.kind), ['open', 'save']);
  assert.equal(asked[1]!.defaultName, 'report.bin.token');
  // A Fernet token any implementation opens with the key.
  const raw = await rawKey(key);
  assert.deepEqual(new Fernet(raw).decrypt(token.trim()), BINARY);

  opens.push(result.output);
  saves.push(join(out, 'report.bin'));
  const started = Math.floor(Date.now() / 1000);
  const decrypted = await ok<FernetDecrypted>('fernetDecrypt', { key: key.id });
  assert.ok(decrypted.saved);
  assert.deepEqual(await readFile(decrypted.output), BINARY, 'byte for byte');
  assert.equal((await stat(decrypted.output)).mode & 0o777, 0o600);
  assert.deepEqual(decrypted.decryptedBy, { id: key.id, name: 'orders-db' });
  assert.equal(decrypted.outputBytes, BINARY.length);
  assert.equal(decrypted.inputBytes, Buffer.byteLength(token));
  assert.ok(Math.abs(Date.parse(decrypted.created) / 1000 - started) <= 5, decrypted.created);
  assert.equal(asked[3]!.defaultName, 'report.bin', 'decrypt suggests the name without .token');

  // Nothing of the content or the key in the audit log; the outcome with the key id is there.
  const log = JSON.stringify(audit.events);
  assert.ok(!log.includes(encodeFernetKey(raw).toString('ascii')), 'no key text in the audit log');
  assert.ok(!log.includes('end without newline'), 'no content in the audit log');
  assert.ok(audit.events.some((e) => e['action'] === 'fernet.encrypt' && e['outcome'] === 'ok' && e['keyId'] === key.id));
  assert.ok(audit.events.some((e) => e['action'] === 'fernet.decrypt' && e['outcome'] === 'ok' && e['keyId'] === key.id));
  raw.fill(0);
});

test('decrypt without a chosen key tries the keychain\'s keys and names the one that opened the token', async () => {
  await store.generate('first');
  const second = await store.generate('second');
  await store.generate('third');
  const { result } = await encryptFile('second', 'a.txt', Buffer.from('made with the second key'));
  opens.push(result.output);
  saves.push(join(out, 'a.txt'));
  const decrypted = await ok<FernetDecrypted>('fernetDecrypt', {});
  assert.ok(decrypted.saved);
  assert.deepEqual(decrypted.decryptedBy, { id: second.id, name: 'second' });
  assert.equal(await readFile(decrypted.output, 'utf8'), 'made with the second key');
  // The keys were loaded one at a time, and the third was never needed.
  const tried = audit.events.filter((e) => e['action'] === 'key.use' && e['purpose'] === 'fernet.decrypt').map((e) => e['keyName']);
  assert.deepEqual(tried, ['first', 'second']);
});

test('decrypt under an unknown key, or of a damaged file: INVALID_TOKEN in a sentence, no save dialog, nothing written', async () => {
  await store.generate('orders-db');
  await store.generate('other');
  const { result, token } = await encryptFile('orders-db', 'secret.txt', Buffer.from('top secret'));
  const before = await outFiles();
  asked = [];

  opens.push(result.output);
  saves.push(join(out, 'never.txt'));
  const wrongKey = await fails('fernetDecrypt', { key: 'other' }, 'INVALID_TOKEN');
  assert.match(wrongKey.message, /^The file is not a Fernet token made with other, or it was changed; nothing was written\.$/);
  assert.ok(wrongKey.hint);

  // One character changed in the middle of the token.
  const damaged = join(files, 'damaged.token');
  const middle = Math.floor(token.length / 2);
  await writeFile(damaged, token.slice(0, middle) + (token[middle] === 'A' ? 'B' : 'A') + token.slice(middle + 1));
  opens.push(damaged);
  const anyKey = await fails('fernetDecrypt', {}, 'INVALID_TOKEN');
  assert.match(anyKey.message, /No key in the keychain opens this file.*nothing was written/);

  // Not a token at all, and an empty file.
  for (const content of ['this is not a token\n', '']) {
    await writeFile(damaged, content);
    opens.push(damaged);
    await fails('fernetDecrypt', { key: 'orders-db' }, 'INVALID_TOKEN');
  }
  assert.deepEqual(asked.map((a) => a.kind), ['open', 'open', 'open', 'open'], 'the save dialog never opened');
  assert.deepEqual(await outFiles(), before, 'nothing was written');
  assert.ok(!JSON.stringify(wrongKey).includes(token.trim().slice(0, 20)), 'the error does not quote the token');
  assert.ok(audit.events.some((e) => e['action'] === 'fernet.decrypt' && e['outcome'] === 'error' && e['code'] === 'INVALID_TOKEN'));
});

test('decrypt with a maximum age: an older authentic token is TOKEN_EXPIRED and nothing is written; without it, it opens', async () => {
  const key = await store.generate('orders-db');
  const raw = await rawKey(key);
  const old = join(files, 'old.token');
  const dayAgo = Math.floor(Date.now() / 1000) - 86_400;
  await writeFile(old, Buffer.concat([new Fernet(raw).encrypt(Buffer.from('yesterday'), { time: dayAgo }), Buffer.from('\r\n')]));
  raw.fill(0);
  opens.push(old);
  saves.push(join(out, 'old'));
  const expired = await fails('fernetDecrypt', { key: 'orders-db', ttl: 3600 }, 'TOKEN_EXPIRED');
  assert.match(expired.message, /made with orders-db but is older than 3600 seconds; nothing was written/);
  assert.deepEqual(await outFiles(), []);
  // A whole day is allowed; a CRLF after the token is fine too.
  opens.push(old);
  const opened = await ok<FernetDecrypted>('fernetDecrypt', { key: 'orders-db', ttl: 90_000 });
  assert.ok(opened.saved);
  assert.equal(await readFile(opened.output, 'utf8'), 'yesterday');
  assert.equal(Date.parse(opened.created) / 1000, dayAgo);
  // The contract refuses a maximum age of 0 or a fraction before anything runs.
  await fails('fernetDecrypt', { ttl: 0 }, 'INVALID_INPUT');
  await fails('fernetDecrypt', { ttl: 1.5 }, 'INVALID_INPUT');
});

test('rotate: every line re-encrypted under the new key with its timestamp kept; which key opened how many', async () => {
  const oldA = await store.generate('orders-2024');
  const oldB = await store.generate('orders-2025');
  const next = await store.generate('orders-2026');
  const [rawA, rawB, rawNext] = await Promise.all([rawKey(oldA), rawKey(oldB), rawKey(next)]);
  const times = [1_700_000_000, 1_710_000_000, 1_720_000_000, 1_730_000_000];
  const plaintexts = ['one', 'two', 'three', 'four'].map((text) => Buffer.from(text));
  const makers = [rawA, rawB, rawA, rawNext];
  const lines = plaintexts.map((p, i) => new Fernet(makers[i]!).encrypt(p, { time: times[i] }).toString('latin1'));
  const input = join(files, 'tokens.token');
  await writeFile(input, `${lines[0]}\n${lines[1]}\r\n${lines[2]}\n${lines[3]}`);
  opens.push(input);
  saves.push(join(out, 'tokens.rotated.token'));
  const rotated = await ok<FernetRotated>('fernetRotate', { key: 'orders-2026' });
  assert.ok(rotated.saved);
  assert.equal(asked[1]!.defaultName, 'tokens.rotated.token');
  assert.equal(rotated.tokens, 4);
  assert.deepEqual(rotated.key, { id: next.id, name: 'orders-2026' });
  assert.deepEqual(rotated.decryptedBy, [
    { id: next.id, name: 'orders-2026', tokens: 1 },
    { id: oldA.id, name: 'orders-2024', tokens: 2 },
    { id: oldB.id, name: 'orders-2025', tokens: 1 },
  ]);
  assert.equal((await stat(rotated.output)).mode & 0o777, 0o600);
  const written = (await readFile(rotated.output, 'latin1')).split('\n');
  assert.equal(written.pop(), '', 'every token ends with a newline');
  assert.equal(written.length, 4);
  const newFernet = new Fernet(rawNext);
  for (const [i, token] of written.entries()) {
    assert.deepEqual(newFernet.decrypt(token), plaintexts[i], `line ${i + 1} opens with the new key`);
    assert.equal(newFernet.extractTimestamp(token), times[i], `line ${i + 1} keeps its timestamp`);
    assert.throws(() => new Fernet(rawA).decrypt(token), /invalid token/);
  }
  // Only the chosen previous key: the lines made with orders-2025 are not opened, and nothing is written.
  opens.push(input);
  saves.push(join(out, 'again.token'));
  const before = await outFiles();
  const refused = await fails('fernetRotate', { key: 'orders-2026', previous: ['orders-2024'] }, 'INVALID_TOKEN');
  assert.match(refused.message, /^Line 2 is not a Fernet token made with orders-2026, orders-2024, or it was changed; nothing was written\.$/);
  assert.deepEqual(refused.details, { line: 2 });
  assert.deepEqual(await outFiles(), before);
  for (const raw of [rawA, rawB, rawNext]) raw.fill(0);
});

test('rotate needs a key to rotate from, and a file with tokens', async () => {
  await store.generate('only');
  const refused = await fails('fernetRotate', { key: 'only' }, 'INVALID_INPUT');
  assert.match(refused.message, /previous key other than the new one/);
  await fails('fernetRotate', { key: 'only', previous: ['only'] }, 'INVALID_INPUT');
  await fails('fernetRotate', { key: 'only', previous: [] }, 'INVALID_INPUT');
  assert.deepEqual(asked, [], 'no dialog opened');
  await store.generate('older');
  const empty = join(files, 'empty.token');
  await writeFile(empty, '');
  opens.push(empty);
  const none = await fails('fernetRotate', { key: 'only' }, 'INVALID_INPUT');
  assert.match(none.message, /holds no tokens/);
  await fails('fernetRotate', { key: 'nope', previous: ['only'] }, 'KEY_NOT_FOUND');
});

test('a cancelled dialog writes nothing; an unknown key is refused before any dialog', async () => {
  await store.generate('orders-db');
  await fails('fernetEncrypt', { key: 'unknown' }, 'KEY_NOT_FOUND');
  assert.deepEqual(asked, []);
  opens.push(undefined);
  assert.deepEqual(await ok('fernetEncrypt', { key: 'orders-db' }), { saved: false });
  const input = join(files, 'plain.txt');
  await writeFile(input, 'plain');
  opens.push(input);
  saves.push(undefined);
  assert.deepEqual(await ok('fernetEncrypt', { key: 'orders-db' }), { saved: false });
  assert.deepEqual(await outFiles(), []);
  assert.deepEqual(await readdir(files), ['plain.txt'], 'no temp file left anywhere');
});

test('the output: an existing file chosen in the save dialog is replaced (0600); the input itself and an unwritable place are refused', async () => {
  await store.generate('orders-db');
  const input = join(files, 'data.txt');
  await writeFile(input, 'data');
  const existing = join(out, 'existing.token');
  await writeFile(existing, 'old content', { mode: 0o644 });
  opens.push(input);
  saves.push(existing);
  const replaced = await ok<FernetEncrypted>('fernetEncrypt', { key: 'orders-db' });
  assert.ok(replaced.saved);
  assert.match(await readFile(existing, 'utf8'), /^gAAAAA/);
  assert.equal((await stat(existing)).mode & 0o777, 0o600);

  opens.push(input);
  saves.push(input);
  const self = await fails('fernetEncrypt', { key: 'orders-db' }, 'OUTPUT_UNWRITABLE');
  assert.match(self.message, /would replace the file being read/);
  assert.equal(await readFile(input, 'utf8'), 'data', 'the input is untouched');

  opens.push(input);
  saves.push(join(out, 'missing-dir', 'x.token'));
  const missing = await fails('fernetEncrypt', { key: 'orders-db' }, 'OUTPUT_UNWRITABLE');
  assert.match(missing.message, /cannot be written there; nothing was written/);

  if (process.getuid?.() !== 0) {
    // A directory without write permission (root ignores the mode, so this part runs for other users only).
    const locked = join(home, 'locked');
    await mkdir(locked, { mode: 0o500 });
    opens.push(input);
    saves.push(join(locked, 'x.token'));
    await fails('fernetEncrypt', { key: 'orders-db' }, 'OUTPUT_UNWRITABLE');
    await chmod(locked, 0o700);
    assert.deepEqual(await readdir(locked), []);
  }
  assert.deepEqual(await outFiles(), ['existing.token'], 'no partial or temp file');
});

test('a file larger than the limit is refused without being read', async () => {
  await store.generate('orders-db');
  const big = join(files, 'big.bin');
  await writeFile(big, '');
  await truncate(big, MAX_PLAINTEXT_BYTES + 1);
  opens.push(big);
  const refused = await fails('fernetEncrypt', { key: 'orders-db' }, 'INVALID_INPUT');
  assert.match(refused.message, /larger than 64 MiB/);
  opens.push(files);
  const directory = await fails('fernetEncrypt', { key: 'orders-db' }, 'INVALID_INPUT');
  assert.match(directory.message, /cannot be read/);
  assert.deepEqual(await outFiles(), []);
});

test('suggested names: .token added on encrypt, taken off on decrypt, .rotated before it on rotate', () => {
  assert.equal(suggestedName('/a/report.pdf', 'encrypt'), 'report.pdf.token');
  assert.equal(suggestedName('/a/report.pdf.token', 'decrypt'), 'report.pdf');
  assert.equal(suggestedName('/a/blob', 'decrypt'), 'blob.decrypted');
  assert.equal(suggestedName('/a/.token', 'decrypt'), '.token.decrypted');
  assert.equal(suggestedName('/a/tokens.token', 'rotate'), 'tokens.rotated.token');
  assert.equal(suggestedName('/a/tokens.txt', 'rotate'), 'tokens.txt.rotated');
});

test('guard: decrypt (it writes plaintext) needs presence; encrypt and rotate do not', async () => {
  assert.ok(NEEDS_PRESENCE.has('fernetDecrypt'));
  assert.ok(!NEEDS_PRESENCE.has('fernetEncrypt') && !NEEDS_PRESENCE.has('fernetRotate'));
  const presence = new Presence({ verifiers: new MemoryVerifierStore(), throttle: new AttemptThrottle(new MemoryThrottleStore()), cost: { log2N: 10, r: 8, p: 1 } });
  await presence.setPassphrase(Buffer.from('the right passphrase'), undefined);
  presence.forget();
  const guarded = guardTable(table, new SessionLock(presence, async () => {}), presence);
  await store.generate('orders-db');
  const result = await invokeAction(guarded, 'fernetDecrypt', { key: 'orders-db' });
  assert.ok(!result.ok && result.error.code === 'PRESENCE_REQUIRED');
  assert.deepEqual(asked, [], 'no dialog before presence');
  opens.push(undefined);
  assert.deepEqual(await invokeAction(guarded, 'fernetEncrypt', { key: 'orders-db' }), { ok: true, value: { saved: false } });
  await presence.confirm(Buffer.from('the right passphrase'), 'test');
  opens.push(undefined);
  assert.deepEqual(await invokeAction(guarded, 'fernetDecrypt', { key: 'orders-db' }), { ok: true, value: { saved: false } });
});
