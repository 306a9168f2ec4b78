// The Vault module's local logic (no server): share decoding and repeat checks, ceremony fingerprints,
// connection settings precedence, OTP and root-token decoding. Server behaviour is in test/integration/vault-*.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CustodianError } from '../../../src-main/core/errors.js';
import {
  assertSameCeremony, ceremonyFingerprint, decodeRootToken, decodeShare, generateOtp, normaliseAddress, parseVaultBool,
  resolveConnection, ShareLedger, splitShareLines, VaultProfiles,
} from '../../../src-main/core/vault/index.js';

const isCode = (code: string) => (e: unknown): boolean => e instanceof CustodianError && e.code === code;

function share(x: number): Buffer {
  const bytes = randomBytes(33);
  bytes[32] = x;
  return bytes;
}

test('a share decodes from hex or standard base64, as the server does (hex first), with surrounding whitespace', () => {
  const s = share(7);
  assert.deepEqual(decodeShare(Buffer.from(s.toString('hex'))), s);
  assert.deepEqual(decodeShare(Buffer.from(s.toString('hex').toUpperCase())), s);
  assert.deepEqual(decodeShare(Buffer.from(` ${s.toString('base64')}\r\n`)), s);
});

test('implausible shares are refused locally: not hex/base64, wrong length, zero x-coordinate, lenient base64', () => {
  assert.throws(() => decodeShare(Buffer.from('')), isCode('SHARE_INVALID'));
  assert.throws(() => decodeShare(Buffer.from('zz!!')), isCode('SHARE_INVALID'));
  assert.throws(() => decodeShare(Buffer.from(randomBytes(32).toString('base64'))), /decodes to 32 bytes/);
  assert.throws(() => decodeShare(Buffer.from(share(0).toString('base64'))), /zero x-coordinate/);
  const b64 = share(9).toString('base64');
  assert.throws(() => decodeShare(Buffer.from(b64.replace(/^./, '-'))), isCode('SHARE_INVALID'), 'base64url is not what the server accepts');
  assert.throws(() => decodeShare(Buffer.from(`${b64.slice(0, 20)} ${b64.slice(20)}`)), isCode('SHARE_INVALID'));
});

test('the ledger refuses a repeat by bytes and by x-coordinate, and forgets everything when wiped', () => {
  const ledger = new ShareLedger();
  const a = share(1);
  ledger.admit(a);
  assert.throws(() => ledger.admit(Buffer.from(a)), (e: unknown) => isCode('SHARE_REPEATED')(e) && /already given/.test((e as Error).message));
  assert.throws(() => ledger.admit(share(1)), (e: unknown) => isCode('SHARE_REPEATED')(e) && /x-coordinate/.test((e as Error).message));
  ledger.admit(share(2));
  assert.equal(ledger.count, 2);
  const kept = ledger.get(0);
  ledger.wipe();
  assert.equal(ledger.count, 0);
  assert.ok(kept.every((b) => b === 0), 'the ledger\'s copies are zeroed');
  ledger.admit(Buffer.from(a));
});

test('a shares file: one per line, blank lines and # comments skipped', () => {
  const lines = splitShareLines(Buffer.from('# holders\nAAAA\n\n  BBBB  \r\n#x\nCCCC'));
  assert.deepEqual(lines.map((l) => l.toString()), ['AAAA', 'BBBB', 'CCCC']);
});

test('the ceremony fingerprint is stable, short, and changes with the nonce or any parameter', () => {
  const base = { operation: 'rekey' as const, nonce: 'a1b2c3d4-0000-1111-2222-333344445555', newShares: 3, newThreshold: 2, pgpFingerprints: [] };
  const fp = ceremonyFingerprint(base);
  assert.match(fp, /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
  assert.equal(ceremonyFingerprint({ ...base }), fp);
  for (const changed of [{ ...base, nonce: 'other' }, { ...base, newShares: 4 }, { ...base, newThreshold: 3 }, { ...base, pgpFingerprints: ['abcd'] }, { ...base, operation: 'generate-root' as const }]) {
    assert.notEqual(ceremonyFingerprint(changed), fp);
    assert.throws(() => assertSameCeremony(base, changed), isCode('CEREMONY_CHANGED'));
  }
  assert.doesNotThrow(() => assertSameCeremony(base, { ...base }));
});

test('OTP: base62 of the requested length; the encoded token (base64 raw of token XOR OTP) decodes back', () => {
  const otp = generateOtp(28);
  assert.match(otp.toString('latin1'), /^[0-9A-Za-z]{28}$/);
  assert.notDeepEqual(generateOtp(28), otp);
  const token = Buffer.from('s.ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  const encoded = Buffer.from(token.map((b, i) => b ^ otp[i]!)).toString('base64').replace(/=+$/, '');
  assert.deepEqual(decodeRootToken(encoded, otp, 28), token);
  assert.throws(() => decodeRootToken(encoded, generateOtp(20), 20), (e: unknown) => isCode('INVALID_TOKEN')(e) && (e as Error).message === 'invalid token');
});

test('connection settings: explicit options beat VAULT_* variables; VAULT_SKIP_VERIFY parses like Go and warns loudly', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vault-settings-'));
  const ca = join(dir, 'ca.pem');
  await writeFile(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const env = { VAULT_ADDR: 'https://env.example:8200/', VAULT_CACERT: ca, VAULT_TOKEN: 'env-token', VAULT_NAMESPACE: 'team', VAULT_TLS_SERVER_NAME: 'vault.internal' };
  const fromEnv = resolveConnection({}, env);
  assert.deepEqual(fromEnv.addresses, ['https://env.example:8200']);
  assert.equal(fromEnv.tls.servername, 'vault.internal');
  assert.equal(fromEnv.namespace, 'team');
  assert.equal(fromEnv.token?.toString(), 'env-token');
  assert.equal(fromEnv.tls.rejectUnauthorized, true);
  assert.equal(fromEnv.warnings.length, 0);
  const explicit = resolveConnection({ addresses: ['https://a:1', 'https://b:2', 'https://a:1'], tlsServerName: 'other', token: Buffer.from('mine') }, env);
  assert.deepEqual(explicit.addresses, ['https://a:1', 'https://b:2']);
  assert.equal(explicit.tls.servername, 'other');
  assert.equal(explicit.token?.toString(), 'mine');
  assert.equal(resolveConnection({}, {}).addresses[0], 'https://127.0.0.1:8200');

  const skip = resolveConnection({}, { VAULT_SKIP_VERIFY: 'true' });
  assert.equal(skip.tls.rejectUnauthorized, false);
  assert.match(skip.warnings[0] ?? '', /^WARNING: TLS certificate verification is OFF/);
  assert.equal(parseVaultBool('X', 'false'), false);
  assert.equal(parseVaultBool('X', '1'), true);
  assert.throws(() => parseVaultBool('VAULT_SKIP_VERIFY', 'yes'), isCode('INVALID_INPUT'));
  assert.throws(() => resolveConnection({}, { VAULT_CACERT: join(dir, 'missing.pem') }), isCode('INVALID_INPUT'));
  assert.throws(() => resolveConnection({}, { VAULT_CLIENT_CERT: ca }), /both VAULT_CLIENT_CERT and VAULT_CLIENT_KEY/);
  assert.throws(() => normaliseAddress('https://user:pass@vault:8200'), isCode('INVALID_INPUT'));
  assert.throws(() => normaliseAddress('ftp://vault'), isCode('INVALID_INPUT'));
  assert.match(resolveConnection({ addresses: ['http://127.0.0.1:8200'] }, {}).warnings[0] ?? '', /plain http/);
});

test('profiles: saved under the custodian home, validated, listed and deleted; unknown names are PROFILE_NOT_FOUND', async () => {
  const home = await mkdtemp(join(tmpdir(), 'vault-profiles-'));
  const profiles = new VaultProfiles(home);
  await profiles.save('prod', { addresses: ['https://v1:8200/', 'https://v2:8200'], caCert: '/etc/ca.pem' });
  assert.deepEqual(await profiles.get('prod'), { addresses: ['https://v1:8200', 'https://v2:8200'], caCert: '/etc/ca.pem' });
  assert.deepEqual((await profiles.list()).map((p) => p.name), ['prod']);
  await assert.rejects(profiles.get('staging'), isCode('PROFILE_NOT_FOUND'));
  await assert.rejects(profiles.get('__proto__'), isCode('PROFILE_NOT_FOUND'));
  await assert.rejects(profiles.save('../evil', { addresses: ['https://x:1'] }), isCode('INVALID_INPUT'));
  assert.equal(await profiles.delete('prod'), true);
  assert.equal(await profiles.delete('prod'), false);
});

test('the leak scan used by the Vault integration tests finds a share or token in any common encoding', async () => {
  const { assertNoSecrets } = await import('../../support/openbao.js');
  const s = share(3);
  const token = Buffer.from('s.AbCdEfGhIjKlMnOpQrStUvWx');
  for (const text of [s.toString('base64'), s.toString('hex'), s.toString('base64').replace(/=+$/, ''), `token=${token.toString()}`]) {
    assert.throws(() => assertNoSecrets([s, token], { texts: { output: `before ${text} after` } }), /leaked into output/);
  }
  assert.doesNotThrow(() => assertNoSecrets([s, token], { texts: { output: 'nothing secret here' } }));
});
