// The Node receiver's core against the §12.13 wire vectors (test/vectors/protocol/vault-login-v1.json): the status
// announcing the Vault login, the request whose sealed plaintext carries the wrapping token after the keys, the
// exact receipts, and the bad tails. Vault itself is replaced by a double at the VaultLogin's network call only, so
// the parsing, the exactly-once unwrap, the login and the receipt/state logic are the real ones.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ReceiverCore, VaultLogin, type Answer } from '../../../receivers/node/src/index.js';
import type { VaultAnswer } from '../../../receivers/node/src/vault-login.js';
import { ed25519FromSeed, loadProtocolVectors, repoRoot, type VectorRequest } from '../../support/protocol-vectors.js';

interface VaultVectorCase {
  name: string; description: string; vault_configured: boolean; requests: VectorRequest[];
  expect_wrap_token: string | null; expect_vault_login: string | null;
}
interface VaultVectors {
  vault_role: string; wrap_token: string; wrap_token_ascii: string;
  status: { payload: Record<string, unknown>; jws: string; body: string };
  request: { plaintext_hex: string; keys_bytes: number; payload: Record<string, unknown>; body: string; jws: string };
  receipt: { now: number; body: string }; other_role_receipt: { now: number; body: string };
  request_cases: VaultVectorCase[];
}

const base = loadProtocolVectors();
const vectors = JSON.parse(readFileSync(join(repoRoot(), 'test', 'vectors', 'protocol', 'vault-login-v1.json'), 'utf8')) as VaultVectors;

/** Vault as the receiver sees it: unwrap answers a SecretID once per wrapping token, login answers a token. */
class VaultDouble extends VaultLogin {
  readonly unwrapped: string[] = [];
  readonly calls: string[] = [];
  protected override call(method: 'GET' | 'POST', path: string, token: string | undefined, body: Record<string, unknown> | undefined): Promise<VaultAnswer> {
    this.calls.push(`${method} ${path}`);
    if (path === '/v1/sys/wrapping/unwrap') {
      if (this.unwrapped.includes(token ?? '')) return Promise.resolve({ status: 400, body: { errors: ['wrapping token is not valid or does not exist'] } });
      this.unwrapped.push(token ?? '');
      return Promise.resolve({ status: 200, body: { data: { secret_id: 'secret-id-of-the-double', secret_id_accessor: 'a' } } });
    }
    if (path === '/v1/auth/approle/login') {
      assert.deepEqual(body, { role_id: 'role-id-of-the-double', secret_id: 'secret-id-of-the-double' });
      return Promise.resolve({ status: 200, body: { auth: { client_token: 'client-token-of-the-double', lease_duration: 3600, renewable: false } } });
    }
    return Promise.resolve({ status: 200, body: {} });
  }
}

function receiver(configured = true, nonce?: string): { core: ReceiverCore; vault: VaultDouble; clock: { value: number } } {
  const clock = { value: base.status.now * 1000 };
  const vault = new VaultDouble({ addr: 'http://127.0.0.1:9', role: vectors.vault_role, roleId: 'role-id-of-the-double' });
  const core = new ReceiverCore({
    serverId: base.receiver.server_id,
    identityKey: ed25519FromSeed(base.receiver.identity_seed),
    authorizedCustodians: base.receiver.authorized_custodians,
    keyChecks: base.receiver.key_checks,
    now: () => clock.value,
    ...(nonce ? { randomBytes: () => Buffer.from(nonce, 'base64url') } : {}),
    newRekeyKey: () => Buffer.from(base.receiver.rekey_ephemeral_private_keys[0]!, 'base64url'),
    boot: {
      bootId: base.receiver.boot_id,
      ephemeralPrivateKey: Buffer.from(base.receiver.ephemeral_private_key, 'base64url'),
      challengeSecret: Buffer.from(base.receiver.challenge_secret, 'base64url'),
      spent: base.receiver.spent,
    },
    ...(configured ? { vault } : {}),
  });
  return { core, vault, clock };
}

const errorOf = (answer: Answer) => (answer.body['error'] as { code?: string } | undefined)?.code ?? null;
const receiptPayload = (answer: Answer) => JSON.parse(Buffer.from(String(answer.body['receipt']).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('receiver core: §12.13 Vault login vectors (vault-login-v1.json)', () => {
  it('the plaintext layout is the keys, then the wrapping token, nothing else', () => {
    const plaintext = Buffer.from(vectors.request.plaintext_hex, 'hex');
    assert.equal(plaintext.subarray(0, 32).toString('base64url'), base.keys.current.raw);
    assert.equal(plaintext.subarray(32, 64).toString('base64url'), base.keys.previous.raw);
    assert.equal(plaintext.subarray(vectors.request.keys_bytes).toString('ascii'), vectors.wrap_token_ascii);
    assert.equal(Object.keys(vectors.request.payload).at(-1), 'vault_role');
  });

  it('signs the status with the vault_login member exactly as the vector (awaiting), and without it when not configured', () => {
    assert.equal(JSON.stringify(receiver(true, base.status.challenge_nonce).core.status().body), vectors.status.body);
    assert.equal(JSON.stringify(receiver(false, base.status.challenge_nonce).core.status().body), base.status.body, 'unlock-v1.json unchanged');
  });

  it('accepts the valid request: keys installed, the token unwrapped once, the receipt exactly the vector, status delivered', async () => {
    const { core, vault, clock } = receiver();
    clock.value = vectors.receipt.now * 1000;
    const answer = await core.unlock(Buffer.from(vectors.request.body), 'application/json');
    assert.equal(JSON.stringify(answer.body), vectors.receipt.body);
    assert.deepEqual(core.installedKeys().map((k) => k.toString('base64url')), [base.keys.current.raw, base.keys.previous.raw]);
    assert.deepEqual(vault.unwrapped, [vectors.wrap_token_ascii]);
    assert.equal(vault.state, 'delivered');
    assert.equal(answer.outcome?.ok && answer.outcome.event === 'unlock' ? answer.outcome.unlocked.vaultLogin : null, 'delivered');
    // lock() forgets the token at once and revokes it
    core.lock();
    assert.equal(vault.state, 'awaiting');
    await vault.waitRevoked(1000);
    assert.ok(vault.calls.includes('POST /v1/auth/token/revoke-self'));
    await assert.rejects(vault.getSecret('postgresql'), { name: 'VaultLockedError', state: 'awaiting' });
  });

  it('another role: keys installed, nothing unwrapped, the receipt says VAULT_ROLE_MISMATCH exactly as the vector', async () => {
    const { core, vault, clock } = receiver();
    clock.value = vectors.other_role_receipt.now * 1000;
    const body = vectors.request_cases.find((c) => c.name === 'other-role')!.requests[0]!.body;
    const answer = await core.unlock(Buffer.from(body), 'application/json');
    assert.equal(JSON.stringify(answer.body), vectors.other_role_receipt.body);
    assert.deepEqual(vault.calls, []);
    assert.equal(vault.state, 'VAULT_ROLE_MISMATCH');
  });

  for (const testCase of vectors.request_cases) {
    it(`${testCase.name}: ${testCase.description}`, async () => {
      const { core, vault, clock } = receiver(testCase.vault_configured);
      for (const request of testCase.requests) {
        clock.value = request.now * 1000;
        const answer = await core.unlock(Buffer.from(request.body), request.content_type);
        assert.equal(errorOf(answer), request.expect_error);
        assert.equal(answer.httpStatus, request.expect_status);
        if (request.expect_error !== null) {
          assert.equal(core.state, 'locked', 'a refused request installs nothing');
          assert.deepEqual(vault.calls, [], 'and never calls Vault');
          assert.equal(vault.state, 'awaiting');
        } else {
          assert.equal(core.state, 'unlocked');
          assert.equal(receiptPayload(answer)['vault_login'], testCase.expect_vault_login);
        }
      }
      const expected = testCase.expect_wrap_token === null ? [] : [Buffer.from(testCase.expect_wrap_token, 'base64url').toString('ascii')];
      assert.deepEqual(vault.unwrapped, expected, 'the wrapping token handed to Vault, exactly once');
    });
  }

  it('a wrapping token Vault no longer knows is VAULT_WRAP_USED in receipt and status; the data keys install anyway', async () => {
    const { core, vault, clock } = receiver();
    vault.unwrapped.push(vectors.wrap_token_ascii); // somebody unwrapped it first
    clock.value = vectors.receipt.now * 1000;
    const answer = await core.unlock(Buffer.from(vectors.request.body), 'application/json');
    assert.equal(answer.httpStatus, 200);
    assert.equal(receiptPayload(answer)['vault_login'], 'VAULT_WRAP_USED');
    assert.equal(core.state, 'unlocked');
    assert.equal(vault.state, 'VAULT_WRAP_USED');
    assert.ok(!vault.calls.includes('POST /v1/auth/approle/login'), 'no login without a SecretID');
    const status = JSON.parse(Buffer.from(String(core.status().body['status']).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    assert.deepEqual(status['vault_login'], { role: vectors.vault_role, state: 'VAULT_WRAP_USED' });
  });
});
