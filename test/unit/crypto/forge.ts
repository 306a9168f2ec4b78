// Builds Fernet tokens independently of the code under test (node:crypto directly), so tests can make tokens
// that are authentic (correct HMAC) but break exactly one other rule, and so prove which check rejects them.
import { createCipheriv, createHmac } from 'node:crypto';

export interface ForgeParts {
  version?: number;
  /** seconds, or the 8 raw bytes */
  timestamp?: number | bigint;
  iv?: Buffer;
  /** Already-encrypted bytes to place as ciphertext (skips AES); otherwise `plaintext` is encrypted. */
  ciphertext?: Buffer;
  plaintext?: Buffer;
  /** Encrypt `plaintext` as given, without adding PKCS#7 padding (it must be a multiple of 16). */
  rawBlocks?: boolean;
}

export function forgeTokenBytes(rawKey: Buffer, parts: ForgeParts = {}): Buffer {
  const signingKey = rawKey.subarray(0, 16);
  const encryptionKey = rawKey.subarray(16);
  const iv = parts.iv ?? Buffer.alloc(16, 0xa5);
  let ciphertext = parts.ciphertext;
  if (!ciphertext) {
    const cipher = createCipheriv('aes-128-cbc', encryptionKey, iv);
    if (parts.rawBlocks) cipher.setAutoPadding(false);
    ciphertext = Buffer.concat([cipher.update(parts.plaintext ?? Buffer.from('hello')), cipher.final()]);
  }
  const header = Buffer.alloc(9);
  header[0] = parts.version ?? 0x80;
  header.writeBigUInt64BE(BigInt(parts.timestamp ?? 1_700_000_000), 1);
  const body = Buffer.concat([header, iv, ciphertext]);
  const mac = createHmac('sha256', signingKey).update(body).digest();
  return Buffer.concat([body, mac]);
}

/** Padded URL-safe base64 of token bytes, as a string (the reference spelling). */
export function tokenText(bytes: Buffer): string {
  const text = bytes.toString('base64url');
  return text + '='.repeat((4 - (text.length % 4)) % 4);
}

export function forgeToken(rawKey: Buffer, parts: ForgeParts = {}): string {
  return tokenText(forgeTokenBytes(rawKey, parts));
}

/** Asserts-friendly predicate for node:assert.throws. */
export function code(expected: string): (error: unknown) => boolean {
  return (error: unknown) => {
    if ((error as { code?: unknown })?.code !== expected) {
      throw new Error(`expected error code ${expected}, got ${(error as { code?: unknown })?.code ?? String(error)}`);
    }
    return true;
  };
}
