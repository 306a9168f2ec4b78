/**
 * HPKE (RFC 9180) base mode, single-shot Seal, for the one suite of custodian-unlock/1:
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM, empty aad.
 *
 * The whole RFC 9180 machinery (encapsulation, key schedule, AEAD) is the `hpke` library's (Filip Skokan, the
 * author of jose; WebCrypto underneath): no key schedule is written here. It was picked over @hpke/core because
 * it measured faster on Node 20 (docs/benchmarks.md). It is checked against @hpke/core byte for byte (fixed
 * ikmE wire vector) and against Python's `cryptography` HPKE through the receivers.
 */
import type { CipherSuite, KeyPair } from 'hpke';

type Hpke = typeof import('hpke');

// Loaded on the first seal, not at import: the CLI imports the core for every command (start-up time).
let hpke: Promise<{ lib: Hpke; suite: CipherSuite }> | undefined;
function library(): Promise<{ lib: Hpke; suite: CipherSuite }> {
  return hpke ??= import('hpke').then((lib) => ({
    lib, suite: new lib.CipherSuite(lib.KEM_DHKEM_X25519_HKDF_SHA256, lib.KDF_HKDF_SHA256, lib.AEAD_AES_256_GCM),
  }));
}

/** A sender ephemeral key pair, as the library holds it (non-extractable private key). */
export type EphemeralKeyPair = KeyPair;

/** RFC 9180 §7.1.3 DeriveKeyPair (the library's), used only to reproduce the wire vectors from their ikmE. */
export async function deriveEphemeralKey(ikm: Uint8Array): Promise<EphemeralKeyPair> {
  const { suite } = await library();
  return await suite.DeriveKeyPair(ikm);
}

/**
 * The same suite, but whose KEM "generates" the given ephemeral key pair: the library's documented extension
 * point (a KEM object), used so the vectors' fixed ephemeral key goes through the library's own Encap.
 */
function suiteWithEphemeral(lib: Hpke, ephemeral: EphemeralKeyPair): CipherSuite {
  const kem = () => ({ ...lib.KEM_DHKEM_X25519_HKDF_SHA256(), GenerateKeyPair: () => Promise.resolve(ephemeral) });
  return new lib.CipherSuite(kem, lib.KDF_HKDF_SHA256, lib.AEAD_AES_256_GCM);
}

/** Seal(pkR, info, aad = "", plaintext) -> enc || ciphertext. `ephemeral` is for the vectors only. */
export async function hpkeSeal(recipientPublicRaw: Uint8Array, info: Uint8Array, plaintext: Uint8Array, ephemeral?: EphemeralKeyPair): Promise<Buffer> {
  const { lib, suite } = await library();
  const sealer = ephemeral ? suiteWithEphemeral(lib, ephemeral) : suite;
  const recipient = await sealer.DeserializePublicKey(recipientPublicRaw);
  const { encapsulatedSecret, ciphertext } = await sealer.Seal(recipient, plaintext, { info });
  return Buffer.concat([encapsulatedSecret, ciphertext]);
}
