// The Node receiver's core against every wire test vector of docs/protocol.md (fixed keys, nonces and clock).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReceiverCore, type ReceiverCoreOptions } from '../../../receivers/node/src/index.js';
import { ed25519FromSeed, loadProtocolVectors, type VectorCase } from '../../support/protocol-vectors.js';

const vectors = loadProtocolVectors();
const base = vectors.receiver;

function receiverFor(testCase?: VectorCase, now = { value: vectors.status.now * 1000 }, random?: () => Buffer): ReceiverCore {
  const overrides = testCase?.receiver ?? {};
  const options: ReceiverCoreOptions = {
    serverId: base.server_id,
    identityKey: ed25519FromSeed(base.identity_seed),
    authorizedCustodians: base.authorized_custodians,
    keyChecks: base.key_checks,
    now: () => now.value,
    boot: {
      bootId: overrides.boot_id ?? base.boot_id,
      ephemeralPrivateKey: Buffer.from(overrides.ephemeral_private_key ?? base.ephemeral_private_key, 'base64url'),
      challenges: (overrides.challenges ?? base.challenges).map((c) => ({ challenge: c.challenge, expiresAt: c.expires_at })),
    },
  };
  if (random) options.randomBytes = random;
  return new ReceiverCore(options);
}

describe('receiver core: custodian-unlock/1 vectors', () => {
  it('has the fixed identity of the vectors', () => {
    const core = receiverFor();
    assert.equal(core.identity, base.identity);
    assert.equal(core.bootId, base.boot_id);
    assert.equal(core.state, 'locked');
  });

  it('signs the status exactly as the vector (challenge from its random source)', () => {
    const challenge = Buffer.from(vectors.status.payload['challenge'] as string, 'base64url');
    const core = receiverFor(undefined, { value: vectors.status.now * 1000 }, () => Buffer.from(challenge));
    const answer = core.status();
    assert.equal(answer.httpStatus, 200);
    assert.equal(JSON.stringify(answer.body), vectors.status.body);
  });

  it('accepts the valid request, installs both keys and signs the receipt exactly as the vector', async () => {
    const clock = { value: vectors.receipt.now * 1000 };
    const core = receiverFor(undefined, clock);
    const answer = await core.unlock(Buffer.from(vectors.request.body), 'application/json');
    assert.equal(answer.httpStatus, 200, JSON.stringify(answer.body));
    assert.equal(JSON.stringify(answer.body), vectors.receipt.body);
    assert.equal(core.state, 'unlocked');
    assert.deepEqual(core.installedKeys().map((k) => k.toString('base64url')), [vectors.keys.current.raw, vectors.keys.previous.raw]);
    clock.value = (vectors.receipt.now + 1) * 1000;
    assert.equal(core.status().body['status'], vectors.status.unlocked_jws);
  });

  for (const testCase of vectors.request_cases) {
    it(`${testCase.name}: ${testCase.description}`, async () => {
      const clock = { value: 0 };
      const core = receiverFor(testCase, clock);
      for (const [index, request] of testCase.requests.entries()) {
        clock.value = request.now * 1000;
        const before = core.state;
        const answer = await core.unlock(Buffer.from(request.body), request.content_type);
        const error = (answer.body['error'] as { code?: string } | undefined)?.code ?? null;
        assert.equal(error, request.expect_error, `request ${index}`);
        assert.equal(answer.httpStatus, request.expect_status, `request ${index}`);
        if (request.expect_error === null) {
          assert.equal(core.state, 'unlocked');
          assert.equal(typeof answer.body['receipt'], 'string');
        } else {
          assert.equal(core.state, before, 'a refused request changes nothing');
          assert.equal(answer.body['receipt'], undefined);
        }
      }
    });
  }
});
