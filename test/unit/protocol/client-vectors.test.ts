// The push client (src-main/core/push) against the wire test vectors (revision 2): status checks (with the client
// nonce), the exact unlock, lock and statement JWS it builds from fixed keys and nonces, receipt and lock receipt
// checks, strict JSON, and the receiver identity hand-over chain of `custodian server accept-identity`.
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { compactVerify } from 'jose';
import { keyId } from '../../../src-main/core/crypto/index.js';
import { CustodianError } from '../../../src-main/core/errors.js';
import {
  buildHandover, buildLockRequest, buildRevocation, buildUnlockRequest, parseStrictJson, verifyIdentityChange, verifyLockReceipt, verifyReceipt, verifyStatus,
  type CustodianSigner,
} from '../../../src-main/core/push/index.js';
import { keyIdOf } from '../../../receivers/node/src/index.js';
import { ed25519FromSeed, loadProtocolVectors } from '../../support/protocol-vectors.js';

const vectors = loadProtocolVectors();
const signerOf = (identity: { seed: string; fingerprint: string }): CustodianSigner => {
  const privateKey = ed25519FromSeed(identity.seed);
  return { fingerprint: identity.fingerprint, privateKey, publicRaw: Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x as string, 'base64url') };
};
const signer = signerOf(vectors.identities.custodian);
const custodianKey = signer.privateKey;
const raw = (name: 'current' | 'previous' | 'attacker') => Buffer.from(vectors.keys[name].raw, 'base64url');

/** The protocol code a client-side refusal carries (IDENTITY_MISMATCH is its own CustodianError code). */
function protocolCodeOf(error: unknown): string {
  assert.ok(error instanceof CustodianError, `expected a CustodianError, got ${String(error)}`);
  if (error.code === 'IDENTITY_MISMATCH' || error.code === 'STALE_STATUS') return error.code;
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
      const run = verifyStatus(testCase.status_body, testCase.pinned_identity, testCase.pinned_server_id, undefined, testCase.client_nonce);
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

  it('reads the status answering a nonce, and refuses it as STALE_STATUS for any other nonce', async () => {
    const { body, client_nonce: nonce } = vectors.status.with_nonce;
    const status = await verifyStatus(body, vectors.receiver.identity, vectors.receiver.server_id, undefined, nonce);
    assert.equal(status.clientNonce, nonce);
    await assert.rejects(verifyStatus(body, vectors.receiver.identity, vectors.receiver.server_id, undefined, 'AAAAAAAAAAAAAAAAAAAAAA'), (e) => protocolCodeOf(e) === 'STALE_STATUS');
    await assert.rejects(verifyStatus(vectors.status.body, vectors.receiver.identity, vectors.receiver.server_id, undefined, nonce), (e) => protocolCodeOf(e) === 'STALE_STATUS');
  });

  it('builds exactly the vector lock request, and checks lock receipts', async () => {
    const status = await verifyStatus(vectors.status.body, vectors.receiver.identity, vectors.receiver.server_id);
    const request = buildLockRequest({ status, custodian: signer, issuedAt: vectors.lock.request.payload['issued_at'] as number });
    assert.equal(request.token, vectors.lock.request.jws);
    assert.equal(request.body, vectors.lock.request.body);
    for (const testCase of vectors.lock.client_receipt_cases) {
      const run = verifyLockReceipt(testCase.receipt_body, request, vectors.receiver.identity);
      if (testCase.expect_error === null) assert.equal((await run).lockedAt, vectors.lock.receipt.payload['locked_at'], testCase.name);
      else await assert.rejects(run, (error) => protocolCodeOf(error) === testCase.expect_error, testCase.name);
    }
  });

  it('builds exactly the vector hand-over and revocation statements', () => {
    const handover = vectors.statements.handover.payload;
    assert.equal(buildHandover(signer, handover['new_custodian'] as string, handover['label'] as string, handover['issued_at'] as number), vectors.statements.handover.jws);
    const revocation = vectors.statements.revocation.payload;
    const bob = signerOf(vectors.identities.second_custodian);
    assert.equal(revocation['custodian'], bob.fingerprint);
    assert.equal(buildRevocation(bob, revocation['revoked'] as string, revocation['issued_at'] as number), vectors.statements.revocation.jws);
  });

  for (const testCase of vectors.receiver_handover.cases) {
    it(`receiver identity hand-over case ${testCase.name} -> ${testCase.expect_error ?? testCase.expect_identity}`, async () => {
      const { pinned_identity: pinned, pinned_server_id: serverId, client_nonce: nonce } = vectors.receiver_handover;
      const run = verifyIdentityChange(testCase.status_body, testCase.identity_body, pinned, serverId, nonce, 'app-1');
      if (testCase.expect_error === null) assert.equal((await run).identity, testCase.expect_identity);
      else await assert.rejects(run, (error) => protocolCodeOf(error) === testCase.expect_error);
    });
  }

  it('parses JSON strictly: duplicates (also after unescaping), fractions, exponents, -0, negatives and big numbers are refused', () => {
    for (const text of ['{"a":1,"a":1}', '{"alg":1,"\\u0061lg":2}', '{"a":1e3}', '{"a":1000.0}', '{"a":-0}', '{"a":-1}', '{"a":9007199254740992}', '{"a":1} x', '{"a":01}', "{'a':1}"]) {
      assert.equal(parseStrictJson(text), null, text);
    }
    assert.deepEqual(parseStrictJson(' {"a":[1,"x",null,true,{"b":9007199254740991}]} ')?.value, { a: [1, 'x', null, true, { b: 9007199254740991 }] });
    assert.deepEqual(Object.keys(parseStrictJson('{"__proto__":1}')!.value as object), ['__proto__'], 'an own member, not the prototype');
  });
});
