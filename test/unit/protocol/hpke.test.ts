// The HPKE of the receiver (Open, receivers/node/src/hpke.ts) and of the push client (Seal,
// src-main/core/push/hpke.ts), both on the `hpke` library, against a second library (@hpke/core) and against
// Python's `cryptography` HPKE, in both directions where the APIs allow.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { createRecipientKey, hpkeOpen } from '../../../receivers/node/src/hpke.js';
import { deriveEphemeralKey, hpkeSeal } from '../../../src-main/core/push/hpke.js';
import { loadProtocolVectors } from '../../support/protocol-vectors.js';

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });

async function sealWithLibrary(recipientRaw: Buffer, info: Buffer, plaintext: Buffer): Promise<Buffer> {
  const sealed = await suite.seal({ recipientPublicKey: await suite.kem.deserializePublicKey(recipientRaw), info }, plaintext);
  return Buffer.concat([Buffer.from(sealed.enc), Buffer.from(sealed.ct)]);
}

describe('HPKE base mode X25519/HKDF-SHA256/AES-256-GCM', () => {
  it('opens the vector request', async () => {
    const vectors = loadProtocolVectors();
    const key = createRecipientKey(Buffer.from(vectors.receiver.ephemeral_private_key, 'base64url'));
    assert.equal(key.publicRaw.toString('base64url'), vectors.receiver.ephemeral_public_key);
    const sealed = Buffer.concat([Buffer.from(vectors.request.hpke_enc, 'base64url'), Buffer.from(vectors.request.hpke_ciphertext, 'base64url')]);
    const plaintext = await hpkeOpen(key, sealed, Buffer.from(vectors.request.hpke_info_hex, 'hex'));
    assert.equal(plaintext?.toString('hex'), vectors.request.plaintext_hex);
  });

  it('opens 200 random messages sealed by @hpke/core, and refuses each with one bit flipped or other info', async () => {
    for (let i = 0; i < 200; i++) {
      const recipient = createRecipientKey();
      const info = randomBytes(i % 50);
      const plaintext = randomBytes(i % 300);
      const sealed = await sealWithLibrary(recipient.publicRaw, info, plaintext);
      assert.deepEqual(await hpkeOpen(recipient, sealed, info), plaintext);
      const flipped = Buffer.from(sealed);
      flipped[i % flipped.length]! ^= 1 << (i % 8);
      assert.equal(await hpkeOpen(recipient, flipped, info), null, `flip at ${i % flipped.length}`);
      assert.equal(await hpkeOpen(recipient, sealed, Buffer.concat([info, Buffer.from([0])])), null);
    }
  });

  it('the client\'s Seal is opened by @hpke/core (200 random messages) and by the receiver\'s Open', async () => {
    for (let i = 0; i < 200; i++) {
      const { privateKey } = generateKeyPairSync('x25519');
      const secret = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
      const recipient = createRecipientKey(Buffer.from(secret));
      const info = randomBytes(i % 50);
      const plaintext = randomBytes(i % 300);
      const sealed = await hpkeSeal(recipient.publicRaw, info, plaintext);
      const recipientKey = await suite.kem.deserializePrivateKey(secret);
      const opened = await suite.open({ recipientKey, enc: sealed.subarray(0, 32), info }, sealed.subarray(32));
      assert.deepEqual(Buffer.from(opened), plaintext);
      assert.deepEqual(await hpkeOpen(recipient, sealed, info), plaintext);
    }
  });

  it('the client\'s DeriveKeyPair and Seal reproduce @hpke/core\'s output for a fixed ikmE, byte for byte', async () => {
    for (let i = 0; i < 20; i++) {
      const { publicRaw } = createRecipientKey();
      const ikmE = randomBytes(32);
      const info = randomBytes(20);
      const plaintext = randomBytes(64);
      const library = await suite.seal({ recipientPublicKey: await suite.kem.deserializePublicKey(publicRaw), info, ekm: ikmE }, plaintext);
      const ours = await hpkeSeal(publicRaw, info, plaintext, await deriveEphemeralKey(ikmE));
      assert.deepEqual(ours, Buffer.concat([Buffer.from(library.enc), Buffer.from(library.ct)]));
    }
  });

  it('refuses short input and the all-zero (small order) ephemeral key', async () => {
    const recipient = createRecipientKey();
    assert.equal(await hpkeOpen(recipient, Buffer.alloc(47), Buffer.alloc(0)), null);
    assert.equal(await hpkeOpen(recipient, Buffer.alloc(80), Buffer.alloc(0)), null);
  });

  it('the client\'s Seal refuses a small-order (all-zero) receiver key', async () => {
    await assert.rejects(hpkeSeal(Buffer.alloc(32), Buffer.alloc(0), randomBytes(32)));
  });

  it('interoperates with Python cryptography HPKE (Python seals, the receiver opens; the client seals, Python opens)', async () => {
    const python = process.env['CUSTODIAN_TEST_PYTHON'];
    assert.ok(python, 'CUSTODIAN_TEST_PYTHON is not set: run through `npm test` or export the variables of scripts/setup.mjs');
    const { privateKey } = generateKeyPairSync('x25519');
    const secret = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
    const recipient = createRecipientKey(Buffer.from(secret));
    const publicRaw = recipient.publicRaw;
    const info = Buffer.from('custodian-unlock/1\0interop', 'utf8');
    const plaintext = randomBytes(64);
    const fromNode = await hpkeSeal(publicRaw, info, plaintext);
    const script = `
import sys, json
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
a = json.loads(sys.stdin.read())
s = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
sk = X25519PrivateKey.from_private_bytes(bytes.fromhex(a["sk"]))
opened = s.decrypt(bytes.fromhex(a["sealed"]), sk, info=bytes.fromhex(a["info"]))
sealed = s.encrypt(bytes.fromhex(a["pt"]), sk.public_key(), info=bytes.fromhex(a["info"]))
print(json.dumps({"opened": opened.hex(), "sealed": sealed.hex()}))`;
    const out = JSON.parse(execFileSync(python, ['-c', script], {
      input: JSON.stringify({ sk: secret.toString('hex'), sealed: fromNode.toString('hex'), info: info.toString('hex'), pt: plaintext.toString('hex') }),
      encoding: 'utf8',
    })) as { opened: string; sealed: string };
    assert.equal(out.opened, plaintext.toString('hex'));
    assert.deepEqual(await hpkeOpen(recipient, Buffer.from(out.sealed, 'hex'), info), plaintext);
  });
});
