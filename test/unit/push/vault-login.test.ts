// The client's decisions for `push --vault-role` (docs/protocol.md §12.13), without I/O: which servers get a
// SecretID minted, what a failed mint means, and the status member's shape. The whole exchange against a real
// OpenBao and the real Python receiver is test/integration/push-vault-login.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CustodianError } from '../../../src-main/core/errors.js';
import type { ReceiverStatus } from '../../../src-main/core/push/messages.js';
import { parseStatusVaultLogin, vaultLoginFor } from '../../../src-main/core/push/vault-login.js';

const status = (vaultLogin?: { role: string; state: string }): ReceiverStatus => ({
  serverId: 'mail-1', identity: 'ed25519:x', bootId: 'b', state: 'locked', issuedAt: 1, clientNonce: null, challenge: 'c',
  challengeExpiresAt: 61, ephemeralKey: 'e', keyChecks: ['K1-AAAA-AAAA-AAAA-AAAA'], installedKeyIds: [], tokensUnderPrevious: null, ...(vaultLogin ? { vaultLogin } : {}),
});

describe('push --vault-role: per-server decisions', () => {
  it('mints nothing for a server without a Vault login, or one that expects another role', async () => {
    let minted = 0;
    const mint = async (): Promise<Buffer> => { minted++; return Buffer.from('s.token'); };
    const none = await vaultLoginFor(status(), { role: 'mail-helper', mint });
    assert.ok('result' in none);
    assert.deepEqual([none.result.state, none.result.delivered], ['VAULT_NOT_CONFIGURED', false]);
    const other = await vaultLoginFor(status({ role: 'billing', state: 'awaiting' }), { role: 'mail-helper', mint });
    assert.equal('result' in other && other.result.state, 'VAULT_ROLE_MISMATCH');
    assert.equal(minted, 0);
  });

  it('mints for the announced role and hands back the bytes', async () => {
    const got = await vaultLoginFor(status({ role: 'mail-helper', state: 'awaiting' }), { role: 'mail-helper', mint: async (role) => Buffer.from(`s.for-${role}`) });
    assert.ok('wrap' in got);
    assert.equal(got.wrap.toString(), 's.for-mail-helper');
  });

  it('a sealed or unreachable Vault, or a strange answer, becomes a state with a hint (the keys still go)', async () => {
    const announced = status({ role: 'r', state: 'awaiting' });
    const fail = (code: 'VAULT_SEALED' | 'VAULT_UNREACHABLE' | 'VAULT_REQUEST_FAILED') => async (): Promise<Buffer> => { throw new CustodianError(code, 'x'); };
    for (const [code, state] of [['VAULT_SEALED', 'VAULT_SEALED'], ['VAULT_UNREACHABLE', 'VAULT_UNREACHABLE'], ['VAULT_REQUEST_FAILED', 'VAULT_MINT_FAILED']] as const) {
      const got = await vaultLoginFor(announced, { role: 'r', mint: fail(code) });
      assert.ok('result' in got);
      assert.equal(got.result.state, state);
      assert.equal(got.result.delivered, false);
      assert.ok(got.result.hint, `${state} has a hint`);
    }
    const spaced = Buffer.from('not a token');
    const bad = await vaultLoginFor(announced, { role: 'r', mint: async () => spaced });
    assert.ok('result' in bad && bad.result.state === 'VAULT_MINT_FAILED');
    assert.ok(spaced.every((b) => b === 0), 'a refused token is wiped');
  });

  it('the status member is exactly {role, state}', () => {
    assert.equal(parseStatusVaultLogin(undefined), undefined);
    assert.deepEqual(parseStatusVaultLogin({ role: 'mail-helper', state: 'delivered' }), { role: 'mail-helper', state: 'delivered' });
    for (const bad of [null, [], 'x', { role: 'mail-helper' }, { role: '../x', state: 'awaiting' }, { role: 'a', state: 'awaiting', extra: 1 }, { role: 'a', state: 'has space' }]) {
      assert.equal(parseStatusVaultLogin(bad), null, JSON.stringify(bad));
    }
  });
});
