/**
 * HPKE (RFC 9180) base mode, single-shot Open, for the one suite custodian-unlock/1 uses:
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM, with empty aad.
 *
 * The RFC 9180 machinery (decapsulation, key schedule, AEAD) is the `hpke` npm library's (by the author of jose;
 * WebCrypto underneath, no dependencies): nothing of it is written here. This module only holds the per-boot
 * ephemeral key: generated (or, for the wire vectors, given) once per boot and imported into the library once,
 * so an unlock request costs one Open and no key import. Checked against the wire vectors, @hpke/core and
 * Python's `cryptography` HPKE (test/unit/protocol/hpke.test.ts).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { AEAD_AES_256_GCM, CipherSuite, KDF_HKDF_SHA256, KEM_DHKEM_X25519_HKDF_SHA256, type CryptoKey, type KeyPair } from 'hpke';

const N_ENC = 32;
const N_T = 16;
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

const suite = new CipherSuite(KEM_DHKEM_X25519_HKDF_SHA256, KDF_HKDF_SHA256, AEAD_AES_256_GCM);

/** A boot's ephemeral X25519 key: the raw public key for the status, and the library's key pair for Open. */
export interface RecipientKey {
  readonly publicRaw: Buffer;
  /** Imported once; null if the import failed (then every Open fails, as "invalid token"). */
  readonly keyPair: Promise<KeyPair<CryptoKey> | null>;
}

/**
 * A new random ephemeral key, or the given raw 32-byte X25519 private key (the wire vectors' boot state).
 * The public key is known at once (the status needs it synchronously); the import into the library runs in the
 * background and the raw private bytes are wiped once it is done. The library keeps the private key
 * non-extractable.
 */
export function createRecipientKey(privateRaw?: Uint8Array): RecipientKey {
  const pkcs8 = privateRaw
    ? Buffer.concat([X25519_PKCS8_PREFIX, privateRaw])
    : generateKeyPairSync('x25519', { publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'der' } }).privateKey;
  const secret = pkcs8.subarray(pkcs8.length - 32);
  const spki = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'der' });
  const publicRaw = Buffer.from(spki.subarray(spki.length - 32));
  const keyPair = Promise.all([suite.DeserializePrivateKey(secret), suite.DeserializePublicKey(publicRaw)])
    .then(([privateKey, publicKey]): KeyPair<CryptoKey> | null => ({ privateKey, publicKey }), () => null)
    .finally(() => pkcs8.fill(0));
  return { publicRaw, keyPair };
}

/**
 * Open(skR, enc || ct, info). Returns the plaintext (in its own buffer, which the caller wipes), or null for any
 * failure (bad length, small-order point, authentication failure): callers only ever say "invalid token".
 */
export async function hpkeOpen(recipient: RecipientKey, sealed: Uint8Array, info: Uint8Array): Promise<Buffer | null> {
  if (sealed.length < N_ENC + N_T) return null;
  const keyPair = await recipient.keyPair;
  if (!keyPair) return null;
  try {
    const plaintext = await suite.Open(keyPair, sealed.subarray(0, N_ENC), sealed.subarray(N_ENC), { info });
    return Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  } catch {
    return null;
  }
}
