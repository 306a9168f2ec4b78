// The push client (src-main/core/push) against the wire test vectors: status checks, the exact request it
// builds from fixed keys and nonces, and receipt checks.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { compactVerify } from 'jose';
import { keyId } from '../../../src-main/core/crypto/index.js';
import { CustodianError } from '../../../src-main/core/errors.js';
import { buildUnlockRequest, verifyReceipt, verifyStatus, type CustodianSigner } from '../../../src-main/core/push/index.js';
import { keyIdOf } from '../../../receivers/node/src/index.js';
import { ed25519FromSeed, loadProtocolVectors } from '../../support/protocol-vectors.js';

const vectors = loadProtocolVectors();
const custodianKey = ed25519FromSeed(vectors.identities.custodian.seed);
const signer: CustodianSigner = {
  fingerprint: vectors.identities.custodian.fingerprint,
  privateKey: custodianKey,
  publicRaw: Buffer.from(createPublicKey(custodianKey).export({ format: 'jwk' }).x as string, 'base64url'),
};
const raw = (name: 'current' | 'previous' | 'attacker') => Buffer.from(vectors.keys[name].raw, 'base64url');

/** The protocol code a client-side refusal carries (IDENTITY_MISMATCH is its own CustodianError code). */
function protocolCodeOf(error: unknown): string {
  assert.ok(error instanceof CustodianError, `expected a CustodianError, got ${String(error)}`);
  if (error.code === 'IDENTITY_MISMATCH') return 'IDENTITY_MISMATCH';
  assert.equal(error.code, 'PROTOCOL_ERROR');
  return String(error.details?.['protocol_code']);
}

async function validRequest() {
  const status = await verifyStatus(vectors.status.body, vectors.receiver.identity, vectors.receiver.server_id);
  return buildUnlockRequest({
    status, custodian: signer, keys: [raw('current'), raw('previous')],
    issuedAt: vectors.request.payload['issued_at'] as number, ikmE: Buffer.from(vectors.request.hpke_ikm_e, 'base64url'),
  });
}

describe('push client: custodian-unlock/1 vectors', () => {
  it('computes the same key ids as the vectors, the core and the receiver', () => {
    for (const name of ['current', 'previous', 'attacker'] as const) {
      assert.equal(keyId(raw(name)), vectors.keys[name].key_id);
      assert.equal(keyIdOf(raw(name)), vectors.keys[name].key_id);
    }
  });

  it('reads the locked status of the vector', async () => {
    const status = await verifyStatus(vectors.status.body, vectors.receiver.identity, vectors.receiver.server_id);
    assert.equal(status.state, 'locked');
    assert.equal(status.bootId, vectors.receiver.boot_id);
    assert.equal(status.ephemeralKey, vectors.receiver.ephemeral_public_key);
    assert.deepEqual(status.keyChecks, vectors.receiver.key_checks);
  });

  it('builds exactly the vector request from the fixed ephemeral input (HPKE via @hpke/core, JWS via jose)', async () => {
    const request = await validRequest();
    assert.equal(request.token, vectors.request.jws);
    assert.equal(request.body, vectors.request.body);
  });

  it('its JWS verifies with jose (the reference JWS implementation)', async () => {
    const request = await validRequest();
    const { payload, protectedHeader } = await compactVerify(request.token, createPublicKey(custodianKey), { algorithms: ['EdDSA'] });
    assert.equal(protectedHeader.typ, 'custodian-unlock+jws');
    assert.deepEqual(JSON.parse(Buffer.from(payload).toString()), vectors.request.payload);
  });

  it('leaves the key buffers it was given intact (the caller owns and wipes them)', async () => {
    const keys = [raw('current')];
    const status = await verifyStatus(vectors.status.body, vectors.receiver.identity, vectors.receiver.server_id);
    await buildUnlockRequest({ status, custodian: signer, keys, issuedAt: 1 });
    assert.equal(keys[0]!.toString('base64url'), vectors.keys.current.raw);
  });

  for (const testCase of vectors.client_status_cases) {
    it(`status case ${testCase.name} -> ${testCase.expect_error ?? 'accepted'}`, async () => {
      const run = verifyStatus(testCase.status_body, testCase.pinned_identity, testCase.pinned_server_id);
      if (testCase.expect_error === null) {
        await run;
      } else {
        await assert.rejects(run, (error) => protocolCodeOf(error) === testCase.expect_error);
      }
    });
  }

  for (const testCase of vectors.client_receipt_cases) {
    it(`receipt case ${testCase.name} -> ${testCase.expect_error ?? 'accepted'}`, async () => {
      const request = await validRequest();
      const run = verifyReceipt(testCase.receipt_body, request, vectors.receiver.identity);
      if (testCase.expect_error === null) {
        const receipt = await run;
        assert.deepEqual(receipt.keyIds, [vectors.keys.current.key_id, vectors.keys.previous.key_id]);
        assert.equal(receipt.installedAt, vectors.receipt.payload['installed_at']);
      } else {
        await assert.rejects(run, (error) => protocolCodeOf(error) === testCase.expect_error);
      }
    });
  }
});
