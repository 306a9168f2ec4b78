/**
 * The age backup core over an in-memory keychain: key export/import round trips, the error each bad input gets
 * (and that nothing changes), recipient/identity parsing that never echoes input, the keychain age identity,
 * and the custodian state backup (all-or-nothing restore, --replace keeps the old state).
 * SSH recipients and identities are refused (typage does not implement age's SSH types), with the alternatives.
 * Interop with the `age` CLI and Python's Fernet, and the SSH refusal from real ssh-keygen keys through the CLI:
 * test/integration/backup-age-cli.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { MemoryAuditLog } from '../../../src-main/core/audit.js';
import { exportKeyBackup, importKeyBackup } from '../../../src-main/core/backup/age-backup.js';
import type { AgeKey, AgeTarget } from '../../../src-main/core/backup/age-file.js';
import { AGE_IDENTITY_ACCOUNT, loadAgeIdentity, loadOrCreateAgeIdentity } from '../../../src-main/core/backup/age-identity.js';
import { parseIdentityFile, parseRecipient, parseRecipientsFile } from '../../../src-main/core/backup/age-keys.js';
import { exportState, restoreState } from '../../../src-main/core/backup/state-backup.js';
import { encodeFernetKey } from '../../../src-main/core/crypto/index.js';
import { CustodianError, type ErrorCode } from '../../../src-main/core/errors.js';
import { KeyStore, MemorySecretStore, type SecretStore } from '../../../src-main/core/keystore/index.js';
import { IDENTITY_ACCOUNT, RETIRED_IDENTITY_ACCOUNT, loadOrCreateIdentity, loadRetiredIdentity } from '../../../src-main/core/push/identity.js';
import { ReceiptLog, type StoredReceipt } from '../../../src-main/core/push/receipts.js';
import { ServerRegistry } from '../../../src-main/core/push/servers.js';
import { StatementLog } from '../../../src-main/core/push/statements.js';
import { VaultProfiles } from '../../../src-main/core/vault/profiles.js';

const failsWith = (code: ErrorCode) => (error: unknown): boolean => {
  assert.ok(error instanceof CustodianError, `expected a CustodianError, got ${String(error)}`);
  assert.equal(error.code, code, `expected ${code}, got ${error.code}: ${error.message}`);
  assert.ok(error.hint, 'every error has a hint');
  return true;
};

let scratch: string;
let home: string;
let secrets: MemorySecretStore;
let audit: MemoryAuditLog;
let keys: KeyStore;

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'custodian-age-unit-'));
  home = join(scratch, 'home', 'key-custodian');
  secrets = new MemorySecretStore();
  audit = new MemoryAuditLog();
  keys = new KeyStore({ secrets, home, audit });
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function newIdentity(): Promise<{ identity: string; recipient: string; key: AgeKey; target: AgeTarget }> {
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  return {
    identity,
    recipient,
    key: { kind: 'identities', identities: await parseIdentityFile(Buffer.from(`# test\n${identity}\n`)) },
    target: { kind: 'recipients', recipients: [parseRecipient(recipient)] },
  };
}

async function snapshot(store: MemorySecretStore = secrets, dir: string = home): Promise<string> {
  const items = await Promise.all(store.accounts().sort().map(async (account) => `${account}=${(await store.get(account))?.toString('hex')}`));
  const files = await readdir(dir).catch(() => [] as string[]);
  const contents = await Promise.all(files.sort().map(async (name) => `${name}:${await readFile(join(dir, name), 'utf8').catch(() => '<dir>')}`));
  return JSON.stringify({ items, contents });
}

describe('key backups', () => {
  test('export writes an age file (0600) whose plaintext is the key text and a newline; import restores the same key', async () => {
    const { identity, key, target, recipient } = await newIdentity();
    const record = await keys.generate('orders-db');
    const out = join(scratch, 'orders-db.age');
    const result = await exportKeyBackup(keys, audit, 'orders-db', target, out);
    assert.deepEqual(result.recipients, [recipient]);
    assert.equal(result.record.lastBackup?.kind, 'age');
    assert.equal((await stat(out)).mode & 0o777, 0o600);

    const decrypter = new Decrypter();
    decrypter.addIdentity(identity);
    const plaintext = Buffer.from(await decrypter.decrypt(await readFile(out)));
    assert.equal(plaintext.length, 45);
    const exported = await keys.withKey(record.id, (raw) => encodeFernetKey(raw));
    assert.deepEqual(plaintext, Buffer.concat([exported, Buffer.from('\n')]));
    assert.deepEqual(audit.events.find((event) => event.action === 'backup.export'), { action: 'backup.export', outcome: 'ok', keyId: record.id, keyName: 'orders-db', recipients: [recipient], format: 'age' });

    await keys.delete(record.id);
    const restored = await importKeyBackup(keys, audit, 'orders-db-restored', await readFile(out), key);
    assert.equal(restored.id, record.id);
    assert.equal(restored.origin, 'restored');
  });

  test('export refuses to overwrite without force, and replaces with it', async () => {
    const { target } = await newIdentity();
    await keys.generate('k');
    const out = join(scratch, 'k.age');
    await writeFile(out, 'precious');
    await assert.rejects(exportKeyBackup(keys, audit, 'k', target, out), failsWith('CONFIRMATION_REQUIRED'));
    assert.equal(await readFile(out, 'utf8'), 'precious');
    await exportKeyBackup(keys, audit, 'k', target, out, { force: true });
    assert.notEqual(await readFile(out, 'utf8'), 'precious');
    assert.deepEqual((await readdir(scratch)).filter((name) => name.endsWith('.tmp')), [], 'no temp file left');
  });

  test('an unwritable output gives OUTPUT_UNWRITABLE and records no backup', async () => {
    const { target } = await newIdentity();
    const record = await keys.generate('k');
    await assert.rejects(exportKeyBackup(keys, audit, 'k', target, join(scratch, 'missing-dir', 'k.age')), failsWith('OUTPUT_UNWRITABLE'));
    assert.equal((await keys.resolve(record.id)).lastBackup, undefined);
  });

  test('bad files and wrong identities give the right code and change nothing', async () => {
    const right = await newIdentity();
    const wrong = await newIdentity();
    const record = await keys.generate('k');
    const out = join(scratch, 'k.age');
    await exportKeyBackup(keys, audit, 'k', right.target, out);
    const good = await readFile(out);
    await keys.delete(record.id);
    const before = await snapshot();

    const tampered = Buffer.from(good);
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] ?? 0) ^ 0x01;
    const headerTampered = Buffer.from(good.toString('latin1').replace('-> X25519 ', '-> X25519 A').slice(0), 'latin1');
    const notFernet = await new Encrypter();
    notFernet.addRecipient(right.recipient);
    const cases: Array<[string, Uint8Array, AgeKey, ErrorCode]> = [
      ['truncated', good.subarray(0, good.length - 20), right.key, 'BACKUP_CORRUPT'],
      ['cut in the header', good.subarray(0, 60), right.key, 'BACKUP_CORRUPT'],
      ['tampered payload', tampered, right.key, 'BACKUP_CORRUPT'],
      ['tampered header', headerTampered, right.key, 'BACKUP_CORRUPT'],
      ['not an age file', Buffer.from('hello, this is not age\n'), right.key, 'BACKUP_CORRUPT'],
      ['empty', Buffer.alloc(0), right.key, 'BACKUP_CORRUPT'],
      ['age, but not a Fernet key', await notFernet.encrypt('not a key at all\n'), right.key, 'BACKUP_CORRUPT'],
      ['age, a key with bad base64', await notFernet.encrypt(`${'!'.repeat(44)}\n`), right.key, 'BACKUP_CORRUPT'],
      ['wrong identity', good, wrong.key, 'BACKUP_DECRYPT_FAILED'],
    ];
    for (const [label, file, key, code] of cases) {
      await assert.rejects(importKeyBackup(keys, audit, 'again', file, key), failsWith(code), label);
      assert.equal(await snapshot(), before, `${label}: keychain and keys.json unchanged`);
    }
    assert.equal(audit.events.filter((event) => event.action === 'backup.import').length, 0);
  });

  test('an armored file (age -a) is read too', async () => {
    const { identity, recipient, key } = await newIdentity();
    const { armor } = await import('age-encryption');
    const encrypter = new Encrypter();
    encrypter.addRecipient(recipient);
    const text = encodeFernetKey(Buffer.alloc(32, 7));
    const file = Buffer.from(armor.encode(await encrypter.encrypt(Buffer.concat([text, Buffer.from('\r\n')]))));
    const record = await importKeyBackup(keys, audit, 'armored', file, key);
    assert.equal(record.origin, 'restored');
    assert.ok(identity.startsWith('AGE-SECRET-KEY-1'));
  });

  test('a passphrase backup opens with the passphrase only; a wrong one is BACKUP_DECRYPT_FAILED', async () => {
    await keys.generate('k');
    const out = join(scratch, 'k.age');
    await exportKeyBackup(keys, audit, 'k', { kind: 'passphrase', passphrase: Buffer.from('correct horse battery staple') }, out);
    assert.deepEqual(audit.events.find((event) => event.action === 'backup.export')?.['recipients'], ['passphrase']);
    const file = await readFile(out);
    await assert.rejects(exportKeyBackup(keys, audit, 'k', { kind: 'passphrase', passphrase: Buffer.from('too short') }, join(scratch, 'short.age')), failsWith('INVALID_INPUT'));
    await assert.rejects(stat(join(scratch, 'short.age')), 'a refused passphrase writes nothing');
    const other = await newIdentity();
    await assert.rejects(importKeyBackup(keys, audit, 'x', file, { kind: 'passphrase', passphrase: Buffer.from('correct horse battery stable') }), failsWith('BACKUP_DECRYPT_FAILED'));
    await assert.rejects(importKeyBackup(keys, audit, 'x', file, other.key), (error: unknown) => failsWith('BACKUP_DECRYPT_FAILED')(error) && /passphrase/.test((error as CustodianError).hint ?? ''));
    // The key is still in the keychain, so the right passphrase reports it as already stored.
    await assert.rejects(importKeyBackup(keys, audit, 'x', file, { kind: 'passphrase', passphrase: Buffer.from('correct horse battery staple') }), failsWith('KEY_EXISTS'));
  });
});

describe('recipients and identities', () => {
  test('recipients: age1 parses; private keys and garbage are refused without being echoed', async () => {
    const { identity, recipient } = await newIdentity();
    assert.equal(parseRecipient(recipient).kind, 'x25519');
    assert.equal(parseRecipient(`  ${recipient}\n`).text, recipient);
    const bad: Array<[string, RegExp]> = [
      [identity, /private key/],
      ['-----BEGIN OPENSSH PRIVATE KEY-----', /private key/],
      [`${recipient.slice(0, -1)}b`, /not an age X25519 recipient/],
      ['age1pq1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq', /not an age X25519 recipient/],
      ['orders-db', /not an age X25519 recipient/],
    ];
    for (const [text, message] of bad) {
      assert.throws(() => parseRecipient(text, 3), (error: unknown) => {
        assert.ok(failsWith('INVALID_INPUT')(error));
        const shown = `${(error as CustodianError).message} ${(error as CustodianError).hint}`;
        assert.match(shown, message);
        assert.match(shown, /Recipient 3/);
        assert.ok(!shown.includes(text.slice(4, 30)), 'the input is not echoed');
        return true;
      });
    }
    assert.equal(parseRecipientsFile(`# team\n\n${recipient}\n${(await newIdentity()).recipient}\n`).length, 2);
    assert.throws(() => parseRecipientsFile('# nothing\n'), failsWith('INVALID_INPUT'));
  });

  /** The refusal says why (the library lacks age's SSH types) and what to use instead, and never quotes the key. */
  function refusesSsh(error: unknown, input: string, side: RegExp): boolean {
    assert.ok(failsWith('INVALID_INPUT')(error));
    const { message, hint } = error as CustodianError;
    assert.match(message, side);
    assert.match(message, /SSH recipient types \(ssh-ed25519, ssh-rsa\) are not supported because the age library used here .* does not implement them/);
    assert.match(hint ?? '', /X25519/);
    assert.match(hint ?? '', /age-keygen/);
    assert.match(hint ?? '', /custodian identity show --age/);
    assert.match(hint ?? '', /ssh-to-age/);
    for (const part of input.split(/\s+/).filter((word) => word.length > 12)) {
      assert.ok(!`${message} ${hint}`.includes(part.slice(0, 24)), 'the key is not echoed');
    }
    assert.ok(!`${message} ${hint}`.includes('someone@host'), 'not even the key comment is echoed');
    return true;
  }

  test('SSH public keys (ssh-ed25519, ssh-rsa, and others) are refused as recipients, alone or in a recipients file', async () => {
    const { recipient } = await newIdentity();
    const sshKeys = [
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm8bWZ0eXtHMRvDn1YWKYSFhcyAA0nOhDtGAEdVRcAV someone@host',
      'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7vbqajDhA4QhA0d9Xq6R5lFq1eX3w0kd3HZ someone@host',
      'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmK someone@host',
      'sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIHz someone@host',
    ];
    for (const key of sshKeys) {
      assert.throws(() => parseRecipient(key, 2), (error: unknown) => refusesSsh(error, key, /^Recipient 2 is an SSH public key/), key.slice(0, 12));
    }
    // One SSH line among good ones refuses the whole file: no backup is made for only some of the listed people.
    assert.throws(() => parseRecipientsFile(`${recipient}\n# the ops laptop\n${sshKeys[0]}\n`), (error: unknown) => refusesSsh(error, sshKeys[0] as string, /^Recipient 2 /));
  });

  test('an SSH private key given as identity is refused before anything is decrypted', async () => {
    const body = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACBm';
    for (const pem of [`-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`, `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----\n`]) {
      await assert.rejects(parseIdentityFile(Buffer.from(pem)), (error: unknown) => refusesSsh(error, body, /^The identity file is an SSH private key/));
    }
  });

  test('identity files: comments allowed; plugins, encrypted files, garbage refused', async () => {
    const { identity, recipient } = await newIdentity();
    assert.deepEqual((await parseIdentityFile(Buffer.from(`# created: now\n# public key: ${recipient}\n${identity}\n`))).recipients, [recipient]);
    for (const text of ['AGE-PLUGIN-YUBIKEY-1QQQ', 'age-encryption.org/v1\n-> X25519 abc', 'hello', '', `${identity.slice(0, -2)}QQ`, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm8bWZ0eXtHMRvDn1YWKYSFhcyAA0nOhDtGAEdVRcAV']) {
      await assert.rejects(parseIdentityFile(Buffer.from(text)), failsWith('INVALID_INPUT'), text.slice(0, 20));
    }
  });

  test('the keychain age identity is created once, kept, and never replaced when damaged', async () => {
    assert.equal(await loadAgeIdentity(secrets), null);
    const first = await loadOrCreateAgeIdentity(secrets);
    assert.ok(first.created);
    assert.match(first.recipient, /^age1[a-z0-9]{58}$/);
    const again = await loadOrCreateAgeIdentity(secrets);
    assert.equal(again.created, false);
    assert.equal(again.recipient, first.recipient);
    await secrets.set(AGE_IDENTITY_ACCOUNT, Buffer.from('garbage'));
    await assert.rejects(loadOrCreateAgeIdentity(secrets), failsWith('IDENTITY_CORRUPT'));
    assert.equal((await secrets.get(AGE_IDENTITY_ACCOUNT))?.toString(), 'garbage');
  });

  test('moving a key to a second custodian: export to their keychain recipient, import with their keychain identity', async () => {
    const record = await keys.generate('shared');
    const otherSecrets = new MemorySecretStore();
    const otherHome = join(scratch, 'other');
    const other = new KeyStore({ secrets: otherSecrets, home: otherHome });
    const { recipient } = await loadOrCreateAgeIdentity(otherSecrets);
    const out = join(scratch, 'shared.age');
    await exportKeyBackup(keys, audit, 'shared', { kind: 'recipients', recipients: [parseRecipient(recipient)] }, out);
    const own = await loadAgeIdentity(otherSecrets);
    assert.ok(own);
    const moved = await importKeyBackup(other, audit, 'shared', await readFile(out), { kind: 'identities', identities: { identities: [own.identity], recipients: [own.recipient], dispose: () => undefined } });
    assert.equal(moved.id, record.id);
    // The sender's own keychain identity cannot open it.
    const mine = await loadOrCreateAgeIdentity(secrets);
    await assert.rejects(importKeyBackup(keys, audit, 'x', await readFile(out), { kind: 'identities', identities: { identities: [mine.identity], recipients: [mine.recipient], dispose: () => undefined } }), failsWith('BACKUP_DECRYPT_FAILED'));
  });
});

describe('the custodian state backup', () => {
  async function populated(): Promise<{ signing: string; age: string; keyId: string }> {
    const signing = (await loadOrCreateIdentity(secrets)).fingerprint;
    const age = (await loadOrCreateAgeIdentity(secrets)).recipient;
    const record = await keys.generate('orders-db');
    await new VaultProfiles(home).save('prod', { addresses: ['https://v1:8200', 'https://v2:8200'] });
    await new ServerRegistry(home).add({ name: 'app-1', url: 'http://10.0.0.5:8421/custodian', identity: `ed25519:${'A'.repeat(43)}`, serverId: 'app-1', added: new Date().toISOString() });
    await writeFile(join(home, 'settings.json'), JSON.stringify({ idleLockMinutes: 5 }));
    await writeFile(join(home, 'audit.log'), `${JSON.stringify({ time: 'x', action: 'key.generate', outcome: 'ok' })}\n`);
    return { signing, age, keyId: record.id };
  }

  test('restores identities, files and (with keys) keys on a fresh machine; without keys lists them as missing', async () => {
    const { signing, age, keyId } = await populated();
    const backup = await newIdentity();
    const out = join(scratch, 'state.age');
    const exported = await exportState({ home, secrets }, backup.target, out, { withKeys: true });
    assert.deepEqual(exported.keys, [keyId]);
    assert.ok(exported.signingIdentity && exported.ageIdentity);
    assert.equal((await keys.resolve(keyId)).lastBackup?.kind, 'state');

    const freshSecrets = new MemorySecretStore();
    const freshHome = join(scratch, 'fresh', 'key-custodian');
    const restored = await restoreState({ home: freshHome, secrets: freshSecrets }, await readFile(out), backup.key);
    assert.equal(restored.signingIdentity, signing);
    assert.equal(restored.ageRecipient, age);
    assert.deepEqual(restored.keys, [keyId]);
    assert.deepEqual(restored.keysNotInKeychain, []);
    assert.equal(restored.previousHome, null);
    assert.equal((await loadOrCreateIdentity(freshSecrets)).fingerprint, signing);
    assert.deepEqual((await new VaultProfiles(freshHome).list()).map((profile) => profile.name), ['prod']);
    assert.deepEqual((await new ServerRegistry(freshHome).list()).map((server) => server.name), ['app-1']);
    assert.equal((await new KeyStore({ secrets: freshSecrets, home: freshHome }).verify(keyId)).id, keyId);
    assert.match(await readFile(join(freshHome, 'audit.log'), 'utf8'), /state\.restore/);
    assert.deepEqual((await readdir(dirname(freshHome))).sort(), ['key-custodian'], 'no staging or aside directory left');

    const withoutKeys = join(scratch, 'state-nokeys.age');
    await exportState({ home, secrets }, backup.target, withoutKeys);
    const bareSecrets = new MemorySecretStore();
    const bare = await restoreState({ home: join(scratch, 'bare', 'kc'), secrets: bareSecrets }, await readFile(withoutKeys), backup.key);
    assert.deepEqual(bare.keys, []);
    assert.deepEqual(bare.keysNotInKeychain, [keyId]);
    // The restore's own audit entry made this machine's audit key and checkpoint (custodian-audit-*); no key came back.
    assert.deepEqual(bareSecrets.accounts().filter((a) => !a.startsWith('custodian-audit-')).sort(), [AGE_IDENTITY_ACCOUNT, IDENTITY_ACCOUNT].sort());
  });

  test('an existing state is replaced only with replace, and then kept aside', async () => {
    await populated();
    const backup = await newIdentity();
    const out = join(scratch, 'state.age');
    await exportState({ home, secrets }, backup.target, out, { withKeys: true });

    const targetSecrets = new MemorySecretStore();
    const targetHome = join(scratch, 'target', 'key-custodian');
    const previousSigning = (await loadOrCreateIdentity(targetSecrets)).fingerprint;
    await new VaultProfiles(targetHome).save('old', { addresses: ['https://old:8200'] });
    const before = await snapshot(targetSecrets, targetHome);
    await assert.rejects(restoreState({ home: targetHome, secrets: targetSecrets }, await readFile(out), backup.key), failsWith('CONFIRMATION_REQUIRED'));
    assert.equal(await snapshot(targetSecrets, targetHome), before);

    const result = await restoreState({ home: targetHome, secrets: targetSecrets }, await readFile(out), backup.key, { replace: true });
    assert.ok(result.previousHome);
    assert.deepEqual((await new VaultProfiles(result.previousHome).list()).map((profile) => profile.name), ['old']);
    assert.deepEqual((await new VaultProfiles(targetHome).list()).map((profile) => profile.name), ['prod']);
    const aside = targetSecrets.accounts().filter((account) => account.startsWith(`${IDENTITY_ACCOUNT}.before-restore-`));
    assert.equal(aside.length, 1, 'the replaced signing identity is kept in the keychain');
    assert.notEqual(result.signingIdentity, previousSigning);
  });

  test('a keychain failure mid-restore puts the keychain and the home back as they were', async () => {
    await populated();
    const backup = await newIdentity();
    const out = join(scratch, 'state.age');
    await exportState({ home, secrets }, backup.target, out, { withKeys: true });

    const inner = new MemorySecretStore();
    let sets = 0;
    const failing: SecretStore = {
      get: (account) => inner.get(account),
      delete: (account) => inner.delete(account),
      async set(account, secret) {
        sets += 1;
        if (sets === 3) throw new CustodianError('KEYCHAIN_LOCKED', 'The keychain was locked.', { hint: 'Unlock it.' });
        return inner.set(account, secret);
      },
    };
    const targetHome = join(scratch, 'target', 'key-custodian');
    await assert.rejects(restoreState({ home: targetHome, secrets: failing }, await readFile(out), backup.key), failsWith('KEYCHAIN_LOCKED'));
    assert.deepEqual(inner.accounts(), [], 'every item written was taken back');
    assert.deepEqual(await readdir(join(scratch, 'target')).catch(() => []), [], 'no home, staging or aside directory');
  });

  const receiptOf = (server: string): StoredReceipt => ({
    server, url: `http://10.0.0.5:8421/custodian`, serverId: server, identity: `ed25519:${'A'.repeat(43)}`, bootId: 'b'.repeat(22),
    custodian: `ed25519:${'C'.repeat(43)}`, keyIds: ['K1-AAAA-BBBB-CCCC-DDDD'], installedAt: 1_700_000_000, receivedAt: new Date(0).toISOString(), jws: `h.${server}.s`,
  });

  test('a pending identity hand-over travels with the state: the retired identity, statements.json and the receipt log', async () => {
    await populated();
    const retiredSeed = randomBytes(32);
    await secrets.set(RETIRED_IDENTITY_ACCOUNT, retiredSeed);
    const retired = (await loadRetiredIdentity(secrets))!.fingerprint;
    const current = (await loadOrCreateIdentity(secrets)).fingerprint;
    const handover = await new StatementLog(home).add({ type: 'handover', jws: 'h.handover.s', signer: retired, subject: current, issuedAt: 1_700_000_000 }, ['app-1']);
    await new ReceiptLog(home).add([receiptOf('app-1'), receiptOf('app-2')]);
    const backup = await newIdentity();
    const out = join(scratch, 'state.age');
    const exported = await exportState({ home, secrets }, backup.target, out);
    assert.ok(exported.retiredIdentity);
    assert.ok(exported.files.includes('receipts.jsonl') && exported.files.includes('statements.json'), exported.files.join(', '));

    const freshSecrets = new MemorySecretStore();
    const freshHome = join(scratch, 'fresh', 'key-custodian');
    const restored = await restoreState({ home: freshHome, secrets: freshSecrets }, await readFile(out), backup.key);
    assert.equal(restored.retiredIdentity, true);
    assert.equal((await loadRetiredIdentity(freshSecrets))?.fingerprint, retired, 'the old identity still signs for servers that have not applied the hand-over');
    assert.equal((await freshSecrets.get(RETIRED_IDENTITY_ACCOUNT))?.equals(retiredSeed), true);
    const statements = await new StatementLog(freshHome).list();
    assert.deepEqual(statements.map((st) => [st.id, st.type, st.servers['app-1']?.state]), [[handover.id, 'handover', 'pending']], 'still to be delivered');
    assert.deepEqual((await new ReceiptLog(freshHome).list()).map((r) => r.server), ['app-1', 'app-2']);

    // Replacing a state that has a hand-over of its own with one that has none: that retired identity is kept aside, not used.
    await rm(join(home, 'statements.json'));
    await secrets.delete(RETIRED_IDENTITY_ACCOUNT);
    const plain = join(scratch, 'plain.age');
    const noHandover = await exportState({ home, secrets }, backup.target, plain);
    assert.equal(noHandover.retiredIdentity, false);
    const replaced = await restoreState({ home: freshHome, secrets: freshSecrets }, await readFile(plain), backup.key, { replace: true });
    assert.equal(replaced.retiredIdentity, false);
    assert.equal(await loadRetiredIdentity(freshSecrets), null);
    const aside = freshSecrets.accounts().filter((account) => account.startsWith(`${RETIRED_IDENTITY_ACCOUNT}.before-restore-`));
    assert.equal(aside.length, 1);
    assert.equal((await freshSecrets.get(aside[0]!))?.equals(retiredSeed), true);
  });

  test('a backup made before the receipt log (receipts.json) still restores, and its receipts are read', async () => {
    const backup = await newIdentity();
    const encrypter = new Encrypter();
    encrypter.addRecipient(backup.recipient);
    const signingSeed = randomBytes(32);
    const document = {
      format: 'key-custodian-state', version: 1, created: new Date().toISOString(), withKeys: false,
      keychain: [{ account: IDENTITY_ACCOUNT, kind: 'signing-identity', value: signingSeed.toString('base64') }],
      files: { 'receipts.json': JSON.stringify({ version: 1, receipts: [receiptOf('old-1'), receiptOf('old-2')] }, null, 2) },
    };
    const freshSecrets = new MemorySecretStore();
    const freshHome = join(scratch, 'fresh', 'key-custodian');
    const restored = await restoreState({ home: freshHome, secrets: freshSecrets }, await encrypter.encrypt(JSON.stringify(document)), backup.key);
    assert.deepEqual(restored.files, ['receipts.json']);
    const log = new ReceiptLog(freshHome);
    assert.deepEqual((await log.list()).map((r) => r.server), ['old-1', 'old-2']);
    await log.add([receiptOf('new-1')]);
    assert.deepEqual((await log.list()).map((r) => r.server), ['old-1', 'old-2', 'new-1']);
  });

  test('a state backup is not a key backup and vice versa; a damaged document changes nothing', async () => {
    await populated();
    const backup = await newIdentity();
    const state = join(scratch, 'state.age');
    await exportState({ home, secrets }, backup.target, state);
    await assert.rejects(importKeyBackup(keys, audit, 'x', await readFile(state), backup.key), (error: unknown) => failsWith('BACKUP_CORRUPT')(error) && /restore-state/.test((error as CustodianError).hint ?? ''));
    const keyFile = join(scratch, 'key.age');
    await exportKeyBackup(keys, audit, 'orders-db', backup.target, keyFile);
    const freshHome = join(scratch, 'fresh', 'kc');
    await assert.rejects(restoreState({ home: freshHome, secrets: new MemorySecretStore() }, await readFile(keyFile), backup.key), (error: unknown) => failsWith('BACKUP_CORRUPT')(error) && /backup import/.test((error as CustodianError).hint ?? ''));

    const forge = async (document: unknown): Promise<Uint8Array> => {
      const encrypter = new Encrypter();
      encrypter.addRecipient(backup.recipient);
      return encrypter.encrypt(JSON.stringify(document));
    };
    const base = { format: 'key-custodian-state', version: 1, created: new Date().toISOString(), withKeys: true, keychain: [], files: {} };
    const damaged: Array<[string, unknown]> = [
      ['a newer version', { ...base, version: 2 }],
      ['an unknown file name', { ...base, files: { '../../etc/passwd': 'x' } }],
      ['a key under the wrong id', { ...base, keychain: [{ account: 'K1-AAAA-AAAA-AAAA-AAAA', kind: 'key', value: encodeFernetKey(Buffer.alloc(32, 1)).toString('base64') }] }],
      ['a short signing identity', { ...base, keychain: [{ account: IDENTITY_ACCOUNT, kind: 'signing-identity', value: Buffer.alloc(16).toString('base64') }] }],
      ['an unreadable keys.json', { ...base, files: { 'keys.json': '{"version": 1, "keys": [{"id": "nope"}]}' } }],
      ['a receipt log line that is not a receipt', { ...base, files: { 'receipts.jsonl': '{"server": 1}\n' } }],
      ['an unreadable statements.json', { ...base, files: { 'statements.json': '{"version": 1, "statements": [{"id": 1}]}' } }],
      ['a retired identity under the wrong account', { ...base, keychain: [{ account: IDENTITY_ACCOUNT, kind: 'retired-signing-identity', value: Buffer.alloc(32).toString('base64') }] }],
      ['a short retired identity', { ...base, keychain: [{ account: RETIRED_IDENTITY_ACCOUNT, kind: 'retired-signing-identity', value: Buffer.alloc(16).toString('base64') }] }],
    ];
    for (const [label, document] of damaged) {
      const freshSecrets = new MemorySecretStore();
      await assert.rejects(restoreState({ home: freshHome, secrets: freshSecrets }, await forge(document), backup.key), failsWith('BACKUP_CORRUPT'), label);
      assert.deepEqual(freshSecrets.accounts(), [], `${label}: keychain untouched`);
      assert.deepEqual(await readdir(dirname(freshHome)).catch(() => []), [], `${label}: nothing on disk`);
    }
  });
});
