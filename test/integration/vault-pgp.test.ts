// PGP-protected ceremonies against a real OpenBao node: init encrypts each share to its holder's public key
// (made here with openpgp.js, one of them passphrase-protected); the holders' encrypted shares are decrypted
// in memory by the app and unseal the node. Bad keys are refused before anything reaches the server.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as openpgp from 'openpgp';
import { decryptShare, readRecipient } from '../../src-main/core/vault/index.js';
import { CustodianError } from '../../src-main/core/errors.js';
import { assertNoSecrets, custodianEnv, filesUnder, startSingleNode, type BaoCluster } from '../support/openbao.js';
import { jsonError, jsonOf, runCustodian, type CliRun } from '../support/run-cli.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';

interface Holder { name: string; publicFile: string; privateFile: string; privateArmored: string; passphrase?: string; fingerprint: string }

let server: BaoCluster;
let home: string;
let env: Record<string, string>;
const holders: Holder[] = [];
let rootHolder: Holder;
const secrets: Buffer[] = [];
const outputs: Record<string, string> = {};

async function makeHolder(name: string, passphrase?: string): Promise<Holder> {
  const key = await openpgp.generateKey({ userIDs: [{ name, email: `${name}@custodian.test` }], format: 'armored', ...(passphrase ? { passphrase } : {}) });
  const publicFile = join(home, `${name}.pub.asc`);
  const privateFile = join(home, `${name}.key.asc`);
  await writeFile(publicFile, key.publicKey);
  await writeFile(privateFile, key.privateKey, { mode: 0o600 });
  const fingerprint = (await openpgp.readKey({ armoredKey: key.publicKey })).getFingerprint();
  return { name, publicFile, privateFile, privateArmored: key.privateKey, fingerprint, ...(passphrase ? { passphrase } : {}) };
}

let auditKeyring: KeyringSession | undefined;

before(async () => {
  server = await startSingleNode();
  home = await mkdtemp(join(tmpdir(), 'custodian-vault-pgp-'));
  // The audit log's signing key and latest checkpoint live in the OS keychain: the CLI needs one to record.
  auditKeyring = await startKeyring();
  env = { ...auditKeyring.env, ...custodianEnv(home) };
  holders.push(await makeHolder('alice'), await makeHolder('bob', 'correct horse battery staple'), await makeHolder('carol'));
  rootHolder = await makeHolder('ops');
});

after(async () => {
  await auditKeyring?.stop();
  await server?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

async function cli(name: string, args: string[], input?: string, printsSecrets = false): Promise<CliRun> {
  const run = await runCustodian(args, { env, ...(input !== undefined ? { input } : {}), timeoutMs: 90_000 });
  assert.equal(run.timedOut, false, `${name} timed out`);
  if (!printsSecrets) outputs[`${name} stdout`] = run.stdout.toString('latin1');
  outputs[`${name} stderr`] = run.stderr;
  return run;
}

const conn = (): string[] => ['--addr', server.addresses[0]!, '--ca-cert', server.ca.caCert];

test('a private key, a non-key or the wrong number of keys is refused before init; the node stays uninitialised', async () => {
  const wrongKind = await cli('init-private', ['--json', 'vault', 'init', ...conn(), '--shares', '3', '--threshold', '2', '--pgp-keys', `${holders[0]!.privateFile},${holders[1]!.publicFile},${holders[2]!.publicFile}`]);
  assert.equal(wrongKind.status, 5);
  assert.equal(jsonError(wrongKind).code, 'PGP_INVALID');
  assert.match(jsonError(wrongKind).message, /PRIVATE key/);

  const garbage = join(home, 'garbage.asc');
  await writeFile(garbage, '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n');
  const notKey = await cli('init-garbage', ['--json', 'vault', 'init', ...conn(), '--shares', '1', '--threshold', '1', '--pgp-keys', garbage]);
  assert.equal(jsonError(notKey).code, 'PGP_INVALID');

  const count = await cli('init-count', ['--json', 'vault', 'init', ...conn(), '--shares', '3', '--threshold', '2', '--pgp-keys', `${holders[0]!.publicFile},${holders[1]!.publicFile}`]);
  assert.equal(jsonError(count).code, 'INVALID_INPUT');
  assert.equal((await server.nodes[0]!.get<{ initialized: boolean }>('/sys/init')).body.initialized, false);
});

test('init with per-holder PGP keys; encrypted shares are decrypted in memory (one key with a passphrase) and unseal', async () => {
  const init = await cli('init', ['--json', 'vault', 'init', ...conn(), '--shares', '3', '--threshold', '2',
    '--pgp-keys', holders.map((h) => h.publicFile).join(','), '--root-token-pgp-key', rootHolder.publicFile], undefined, true);
  assert.equal(init.status, 0, init.stderr);
  const result = jsonOf(init);
  assert.equal(result['shares_encrypted'], true);
  assert.deepEqual(result['pgp_fingerprints'], holders.map((h) => h.fingerprint));
  const encrypted = result['keys_b64'] as string[];

  // What each holder would do by hand: decrypt with their key. Used here only to know the plaintext shares
  // the leak scan must look for.
  for (const [i, holder] of holders.entries()) {
    const privateKey = await openpgp.readPrivateKey({ armoredKey: holder.privateArmored });
    const key = holder.passphrase ? await openpgp.decryptKey({ privateKey, passphrase: holder.passphrase }) : privateKey;
    const message = await openpgp.readMessage({ binaryMessage: Buffer.from(encrypted[i]!, 'base64') });
    const { data } = await openpgp.decrypt({ message, decryptionKeys: key, format: 'binary' });
    const share = Buffer.from(Buffer.from(data as Uint8Array).toString('latin1'), 'hex');
    assert.equal(share.length, 33, 'OpenBao encrypts the share\'s hex text');
    secrets.push(share);
  }
  const rootKey = await openpgp.readPrivateKey({ armoredKey: rootHolder.privateArmored });
  const rootMessage = await openpgp.readMessage({ binaryMessage: Buffer.from(result['root_token'] as string, 'base64') });
  const rootToken = Buffer.from((await openpgp.decrypt({ message: rootMessage, decryptionKeys: rootKey, format: 'binary' })).data as Uint8Array);
  secrets.push(rootToken);

  // The core decrypts a share with the matching key among several, and says so when no key fits.
  const bobKey = { key: Buffer.from(holders[1]!.privateArmored), passphrase: Buffer.from(holders[1]!.passphrase!), label: 'bob.key.asc' };
  const aliceKey = { key: Buffer.from(holders[0]!.privateArmored), label: 'alice.key.asc' };
  const decrypted = await decryptShare(Buffer.from(encrypted[1]!), [aliceKey, bobKey]);
  assert.deepEqual(decrypted, secrets[1]);
  await assert.rejects(decryptShare(Buffer.from(encrypted[2]!), [aliceKey, bobKey]), (e: unknown) => e instanceof CustodianError && e.code === 'PGP_INVALID' && /None of the private keys/.test(e.message));
  await assert.rejects(decryptShare(Buffer.from(encrypted[1]!), [{ ...bobKey, passphrase: Buffer.from('wrong') }]), (e: unknown) => e instanceof CustodianError && e.code === 'PGP_INVALID' && /Wrong passphrase/.test(e.message));

  // Holders bob (passphrase) and carol hand their encrypted shares to the CLI with their private keys.
  const passphraseFile = join(home, 'bob.pass');
  await writeFile(passphraseFile, `${holders[1]!.passphrase}\n`, { mode: 0o600 });
  const withoutKey = await cli('unseal-nokey', ['--json', 'vault', 'unseal', ...conn(), '--shares-file', '-'], `${encrypted[1]}\n`);
  assert.equal(jsonError(withoutKey).code, 'PGP_INVALID');
  const run = await cli('unseal', ['--json', 'vault', 'unseal', ...conn(), '--shares-file', '-', '--pgp-key', holders[1]!.privateFile, '--pgp-key', holders[2]!.privateFile, '--pgp-passphrase-file', passphraseFile],
    `${encrypted[1]}\n${encrypted[2]}\n`);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(jsonOf(run)['complete'], true);
  assert.equal((await server.nodes[0]!.get<{ sealed: boolean }>('/sys/seal-status')).body.sealed, false);
  assert.equal((await server.nodes[0]!.get('/auth/token/lookup-self', rootToken.toString())).status, 200, 'the PGP-encrypted root token works');

  const files = filesUnder(join(home, 'custodian'));
  assert.ok(files.some((f) => f.endsWith('audit.log')));
  assertNoSecrets(secrets, { files, texts: outputs });
});

test('readRecipient gives Vault the binary key in base64 and the fingerprint it will report', async () => {
  const recipient = await readRecipient(await readFile(holders[0]!.publicFile), 'alice.pub.asc');
  assert.equal(recipient.fingerprint, holders[0]!.fingerprint);
  const parsed = await openpgp.readKey({ binaryKey: Buffer.from(recipient.base64Key, 'base64') });
  assert.equal(parsed.getFingerprint(), holders[0]!.fingerprint);
  assert.equal(parsed.isPrivate(), false);
});
