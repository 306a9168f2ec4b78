// The Node receiver's VaultLogin (docs/protocol.md §12.13) on its own: configuration from the environment (VAULT_TOKEN
// refused), the plaintext tail, renewal at two thirds of the lease, a login that completes after a lock, getSecret's
// name check, and a Vault that does not answer. Vault is a double at the network call (the real exchange is in
// test/integration/receiver-node-vault-login.test.ts), except for the unreachable case, which uses a closed port.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ReceiverConfigError, ReceiverError, VaultLogin, takeWrapToken, vaultLoginFromEnvironment, vaultSettingsFromEnvironment,
} from '../../../receivers/node/src/index.js';
import type { VaultAnswer } from '../../../receivers/node/src/vault-login.js';

const ROLE_ID = '0b7f2a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const base = { VAULT_ENABLED: 'true', VAULT_ADDR: 'https://vault.example:8200', VAULT_ROLE: 'mail-helper', VAULT_ROLE_ID: ROLE_ID };

class Double extends VaultLogin {
  readonly calls: string[] = [];
  lease = 3600;
  renewable = true;
  /** Resolves the login answer only when the test says so (a lock can happen meanwhile). */
  loginGate: Promise<void> = Promise.resolve();
  protected override async call(method: 'GET' | 'POST', path: string, token: string | undefined): Promise<VaultAnswer> {
    this.calls.push(`${method} ${path}${token ? ` as ${token}` : ''}`);
    if (path.endsWith('/unwrap')) return { status: 200, body: { data: { secret_id: 'sid' } } };
    if (path.endsWith('/login')) {
      await this.loginGate;
      return { status: 200, body: { auth: { client_token: `token-${this.calls.length}`, lease_duration: this.lease, renewable: this.renewable } } };
    }
    if (path.endsWith('/renew-self')) return { status: 200, body: { auth: { lease_duration: this.lease } } };
    if (path.includes('/data/')) return { status: 200, body: { data: { data: { password: 'pw', port: 5432 } } } };
    return { status: 204, body: null };
  }
}
const double = (now?: () => number) => new Double({ addr: 'http://127.0.0.1:9', role: 'mail-helper', roleId: ROLE_ID }, now ? { now } : {});

describe('receiver VaultLogin (§12.13)', () => {
  it('reads its settings from the environment and refuses VAULT_TOKEN, with or without VAULT_ENABLED', () => {
    assert.equal(vaultLoginFromEnvironment({}), undefined);
    assert.equal(vaultLoginFromEnvironment(base)?.role, 'mail-helper');
    for (const env of [{ ...base, VAULT_TOKEN: 's.secret-token-value' }, { VAULT_TOKEN: 's.secret-token-value' }]) {
      assert.throws(() => vaultLoginFromEnvironment(env), (error: unknown) => error instanceof ReceiverConfigError
        && /VAULT_TOKEN is set/.test(error.message) && !error.message.includes('secret-token-value'));
    }
    assert.throws(() => vaultLoginFromEnvironment({ ...base, VAULT_ROLE_ID: '' }), /set VAULT_ROLE_ID/);
    assert.throws(() => vaultLoginFromEnvironment({ ...base, VAULT_ADDR: 'ftp://x' }), /VAULT_ADDR must be an http\(s\):\/\/ URL/);
    assert.throws(() => vaultLoginFromEnvironment({ ...base, VAULT_ROLE: '-x' }), /role name/);
    assert.throws(() => vaultLoginFromEnvironment({ ...base, VAULT_CACERT: '/nonexistent/ca.pem' }), /VAULT_CACERT/);
    const dir = mkdtempSync(join(tmpdir(), 'custodian-vault-role-id-'));
    try {
      writeFileSync(join(dir, 'role-id'), `${ROLE_ID}\n`);
      const { VAULT_ROLE_ID: _omit, ...withoutRoleId } = base;
      assert.equal(vaultSettingsFromEnvironment({ ...withoutRoleId, VAULT_ROLE_ID_FILE: join(dir, 'role-id') }).roleId, ROLE_ID);
      assert.throws(() => vaultSettingsFromEnvironment({ ...withoutRoleId, VAULT_ROLE_ID_FILE: join(dir, 'missing') }), /VAULT_ROLE_ID_FILE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes the tail after the keys as the token and wipes it from the plaintext; a bad tail wipes everything', () => {
    const plaintext = Buffer.concat([Buffer.alloc(32, 7), Buffer.from('s.token')]);
    const token = takeWrapToken(plaintext, 1);
    assert.equal(token.toString('ascii'), 's.token');
    assert.ok(plaintext.subarray(32).every((b) => b === 0), 'the tail is wiped in the plaintext');
    assert.ok(plaintext.subarray(0, 32).every((b) => b === 7), 'the keys are left for their check');
    const bad = Buffer.concat([Buffer.alloc(32, 7), Buffer.from('s.to ken')]);
    assert.throws(() => takeWrapToken(bad, 1), (error: unknown) => error instanceof ReceiverError && error.code === 'BAD_PAYLOAD');
    assert.ok(bad.every((b) => b === 0));
  });

  it('delivers, wipes the wrapping token, reads secrets as strings, renews at two thirds of the lease', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const vault = double();
    vault.lease = 3;
    const wrap = Buffer.from('s.wrap');
    assert.equal(await vault.deliver(wrap, 'mail-helper', vault.generation()), 'delivered');
    assert.ok(wrap.every((b) => b === 0), 'the wrapping token bytes are wiped');
    assert.deepEqual(await vault.getSecret('postgresql'), { password: 'pw', port: '5432' });
    assert.ok(vault.calls.includes('GET /v1/secret/data/mail-helper/postgresql as token-2'));
    t.mock.timers.tick(1999);
    assert.ok(!vault.calls.some((c) => c.includes('renew-self')), 'not before two thirds');
    t.mock.timers.tick(1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(vault.calls.some((c) => c.includes('renew-self as token-2')), 'renewed at two thirds of 3 s');
    await assert.rejects(vault.getSecret('../x'), RangeError);
    vault.forget();
    await assert.rejects(vault.getSecret('postgresql'), { name: 'VaultLockedError', state: 'awaiting' });
    assert.ok(vault.calls.some((c) => c === 'POST /v1/auth/token/revoke-self as token-2'));
  });

  it('a token not renewed expires: VAULT_TOKEN_EXPIRED, getSecret refuses', async () => {
    let now = 0;
    const vault = double(() => now);
    vault.lease = 60;
    vault.renewable = false;
    assert.equal(await vault.deliver(Buffer.from('s.wrap'), 'mail-helper', vault.generation()), 'delivered');
    now = 60_001;
    assert.equal(vault.state, 'VAULT_TOKEN_EXPIRED');
    await assert.rejects(vault.getSecret('postgresql'), { name: 'VaultLockedError', state: 'VAULT_TOKEN_EXPIRED' });
  });

  it('a login that completes after a lock is revoked at once and never used', async () => {
    const vault = double();
    let open!: () => void;
    vault.loginGate = new Promise((resolve) => { open = resolve; });
    const pending = vault.deliver(Buffer.from('s.wrap'), 'mail-helper', vault.generation());
    await new Promise((resolve) => setImmediate(resolve));
    vault.forget(); // lock() while the login is under way
    open();
    assert.equal(await pending, 'awaiting');
    assert.equal(vault.state, 'awaiting');
    await vault.waitRevoked(1000);
    assert.ok(vault.calls.some((c) => c.startsWith('POST /v1/auth/token/revoke-self as token-')));
  });

  it('a Vault that refuses connections is VAULT_UNREACHABLE (real socket, nothing retried)', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const vault = new VaultLogin({ addr: `http://127.0.0.1:${port}`, role: 'mail-helper', roleId: ROLE_ID, timeoutMs: 2000 });
    assert.equal(await vault.deliver(Buffer.from('s.wrap'), 'mail-helper', vault.generation()), 'VAULT_UNREACHABLE');
    assert.equal(vault.state, 'VAULT_UNREACHABLE');
    assert.equal(await vault.deliver(Buffer.from('s.wrap'), 'other', vault.generation()), 'VAULT_ROLE_MISMATCH');
  });
});
