/**
 * HPKE (RFC 9180) base mode, single-shot Seal, for the one suite of custodian-unlock/1:
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM, empty aad.
 *
 * Written out over node:crypto's X25519, HMAC-SHA256 and AES-256-GCM because the WebCrypto-based library
 * (@hpke/core) costs ~3 ms of CPU per Seal on Node 20, which alone would blow the 100-servers-in-1-s goal.
 * It is the RFC's key schedule and nothing else, and it is checked against @hpke/core (the reference in the
 * tests: both directions, random inputs, and the fixed-ikmE wire vector byte for byte) and against Python's
 * `cryptography` HPKE through the receivers.
 */
import { createCipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';

const N_K = 32;
const N_N = 12;
const HPKE_V1 = Buffer.from('HPKE-v1', 'ascii');
const KEM_SUITE = Buffer.from([0x4b, 0x45, 0x4d, 0x00, 0x20]); // "KEM" || 0x0020
const HPKE_SUITE = Buffer.from([0x48, 0x50, 0x4b, 0x45, 0x00, 0x20, 0x00, 0x01, 0x00, 0x02]); // "HPKE" || kem || kdf || aead
const EMPTY = Buffer.alloc(0);

function labeledExtract(suite: Buffer, salt: Buffer, label: string, ikm: Uint8Array): Buffer {
  // HKDF-Extract = HMAC(salt, ikm); an empty salt acts as HashLen zero bytes in HMAC.
  return createHmac('sha256', salt).update(HPKE_V1).update(suite).update(label, 'ascii').update(ikm).digest();
}

function labeledExpand(suite: Buffer, prk: Buffer, label: string, info: Uint8Array, length: number): Buffer {
  // length <= 32 everywhere here, so HKDF-Expand is its first block T(1) = HMAC(prk, info' || 0x01).
  const lengthBytes = Buffer.from([length >> 8, length & 0xff]);
  const block = createHmac('sha256', prk).update(lengthBytes).update(HPKE_V1).update(suite).update(label, 'ascii').update(info).update(Uint8Array.of(1)).digest();
  const out = Buffer.from(block.subarray(0, length));
  block.fill(0);
  return out;
}

function x25519FromRaw(secret: Uint8Array): KeyObject {
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), secret]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** RFC 9180 §7.1.3 DeriveKeyPair for X25519 (used only to reproduce the wire vectors from their ikmE). */
export function deriveEphemeralKey(ikm: Uint8Array): KeyObject {
  const prk = labeledExtract(KEM_SUITE, EMPTY, 'dkp_prk', ikm);
  const secret = labeledExpand(KEM_SUITE, prk, 'sk', EMPTY, 32);
  prk.fill(0);
  try {
    return x25519FromRaw(secret);
  } finally {
    secret.fill(0);
  }
}

/** Seal(pkR, info, aad = "", plaintext) -> enc || ciphertext. `ephemeral` is for the vectors only. */
export function hpkeSeal(recipientPublicRaw: Uint8Array, info: Uint8Array, plaintext: Uint8Array, ephemeral?: KeyObject): Buffer {
  const recipient = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(recipientPublicRaw).toString('base64url') }, format: 'jwk' });
  const senderKey = ephemeral ?? generateKeyPairSync('x25519').privateKey;
  const enc = Buffer.from(createPublicKey(senderKey).export({ format: 'jwk' }).x as string, 'base64url');
  const dh = diffieHellman({ privateKey: senderKey, publicKey: recipient });
  if (dh.every((byte) => byte === 0)) throw new Error('invalid receiver key');
  const eaePrk = labeledExtract(KEM_SUITE, EMPTY, 'eae_prk', dh);
  const sharedSecret = labeledExpand(KEM_SUITE, eaePrk, 'shared_secret', Buffer.concat([enc, recipientPublicRaw]), 32);
  dh.fill(0);
  eaePrk.fill(0);
  const context = Buffer.concat([Uint8Array.of(0x00), labeledExtract(HPKE_SUITE, EMPTY, 'psk_id_hash', EMPTY), labeledExtract(HPKE_SUITE, EMPTY, 'info_hash', info)]);
  const secret = labeledExtract(HPKE_SUITE, sharedSecret, 'secret', EMPTY);
  sharedSecret.fill(0);
  const key = labeledExpand(HPKE_SUITE, secret, 'key', context, N_K);
  const nonce = labeledExpand(HPKE_SUITE, secret, 'base_nonce', context, N_N);
  secret.fill(0);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    return Buffer.concat([enc, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  } finally {
    key.fill(0);
  }
}
