/**
 * HPKE (RFC 9180) base mode, single-shot Open, for the one suite custodian-unlock/1 uses:
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM, with empty aad.
 *
 * Why not a library here: @hpke/core (used by the push client) runs on WebCrypto, whose asynchronous jobs cost
 * ~2 ms of CPU per Open on Node 20, the whole per-unlock budget. This is the RFC's key schedule written
 * out over node:crypto's X25519, HMAC-SHA256 and AES-256-GCM (all synchronous, ~0.2 ms), nothing more. It is
 * checked byte for byte against @hpke/core, against Python's `cryptography` HPKE, and against RFC 9180 A.1's
 * published values (test/unit/protocol/hpke.test.ts).
 */
import { createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';

const KEM_ID = 0x0020;
const KDF_ID = 0x0001;
const AEAD_ID = 0x0002;
const N_ENC = 32;
const N_K = 32;
const N_N = 12;
const N_T = 16;

const HPKE_V1 = Buffer.from('HPKE-v1', 'ascii');
const KEM_SUITE = Buffer.concat([Buffer.from('KEM', 'ascii'), u16(KEM_ID)]);
const HPKE_SUITE = Buffer.concat([Buffer.from('HPKE', 'ascii'), u16(KEM_ID), u16(KDF_ID), u16(AEAD_ID)]);

function u16(value: number): Buffer {
  const out = Buffer.alloc(2);
  out.writeUInt16BE(value);
  return out;
}

function labeledExtract(suite: Buffer, salt: Buffer, label: string, ikm: Uint8Array): Buffer {
  // HKDF-Extract(salt, ikm) = HMAC(salt, ikm); an empty salt is HashLen zeros, which HMAC treats identically.
  return createHmac('sha256', salt).update(HPKE_V1).update(suite).update(label, 'ascii').update(ikm).digest();
}

function labeledExpand(suite: Buffer, prk: Buffer, label: string, info: Uint8Array, length: number): Buffer {
  // Every length here is <= 32 = HashLen, so HKDF-Expand is its first block: T(1) = HMAC(prk, info' || 0x01).
  const full = createHmac('sha256', prk).update(u16(length)).update(HPKE_V1).update(suite).update(label, 'ascii').update(info).update(Uint8Array.of(1)).digest();
  const out = Buffer.from(full.subarray(0, length));
  full.fill(0);
  return out;
}

/** Raw 32-byte X25519 private key -> KeyObject (PKCS#8 DER around it). */
export function x25519PrivateKey(raw: Uint8Array): KeyObject {
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), raw]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

export function x25519PublicRaw(privateKey: KeyObject): Buffer {
  return Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x as string, 'base64url');
}

/**
 * Open(skR, enc || ct, info). Returns the plaintext, or null for any failure (bad length, small-order point,
 * authentication failure): callers only ever say "invalid token".
 */
export function hpkeOpen(recipientKey: KeyObject, recipientPublicRaw: Buffer, sealed: Uint8Array, info: Uint8Array): Buffer | null {
  if (sealed.length < N_ENC + N_T) return null;
  const enc = sealed.subarray(0, N_ENC);
  const ciphertext = sealed.subarray(N_ENC, sealed.length - N_T);
  const tag = sealed.subarray(sealed.length - N_T);
  let dh: Buffer;
  try {
    const senderKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(enc).toString('base64url') }, format: 'jwk' });
    dh = diffieHellman({ privateKey: recipientKey, publicKey: senderKey });
  } catch {
    return null;
  }
  if (dh.every((byte) => byte === 0)) return null; // RFC 9180 §7.1.4: reject the all-zero shared secret
  const kemContext = Buffer.concat([enc, recipientPublicRaw]);
  const eaePrk = labeledExtract(KEM_SUITE, Buffer.alloc(0), 'eae_prk', dh);
  const sharedSecret = labeledExpand(KEM_SUITE, eaePrk, 'shared_secret', kemContext, 32);
  dh.fill(0);
  eaePrk.fill(0);

  const pskIdHash = labeledExtract(HPKE_SUITE, Buffer.alloc(0), 'psk_id_hash', Buffer.alloc(0));
  const infoHash = labeledExtract(HPKE_SUITE, Buffer.alloc(0), 'info_hash', info);
  const context = Buffer.concat([Uint8Array.of(0x00), pskIdHash, infoHash]); // mode_base
  const secret = labeledExtract(HPKE_SUITE, sharedSecret, 'secret', Buffer.alloc(0));
  sharedSecret.fill(0);
  const key = labeledExpand(HPKE_SUITE, secret, 'key', context, N_K);
  const nonce = labeledExpand(HPKE_SUITE, secret, 'base_nonce', context, N_N); // sequence number 0
  secret.fill(0);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: N_T });
    decipher.setAuthTag(tag);
    const first = decipher.update(ciphertext);
    try {
      const last = decipher.final();
      const plaintext = Buffer.concat([first, last]);
      last.fill(0);
      return plaintext;
    } finally {
      first.fill(0);
    }
  } catch {
    return null;
  } finally {
    key.fill(0);
  }
}
