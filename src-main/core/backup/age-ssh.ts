/**
 * age's `ssh-ed25519` recipient type (age-encryption.org/v1, as the `age` CLI implements it in agessh), which the
 * age-encryption library (typage 0.3) does not ship. Built only from library primitives: Ed25519 -> X25519 and
 * X25519 from @noble/curves (the curve library typage itself uses), HKDF-SHA-256 and ChaCha20-Poly1305 from
 * node:crypto. The construction, per the age specification:
 *
 *   tag    = base64(SHA-256(ssh public key in SSH wire format)[:4])
 *   share  = X25519(ephemeral, basepoint)
 *   shared = X25519(ephemeral, montgomery(ed25519 public key))
 *   tweak  = HKDF-SHA-256(ikm = "", salt = ssh wire key, info = LABEL, 32)
 *   shared = X25519(tweak, shared)
 *   key    = HKDF-SHA-256(ikm = shared, salt = share || montgomery(pk), info = LABEL, 32)
 *   body   = ChaCha20-Poly1305(key, nonce 0, file key)
 *
 * Stanza: `-> ssh-ed25519 TAG SHARE` with body. The identity's X25519 scalar is SHA-512(seed)[:32].
 * Interoperability is tested both ways against Debian's `age` CLI (test/integration/backup-age-cli.test.ts).
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { Stanza, type Identity, type Recipient } from 'age-encryption';

const LABEL = 'age-encryption.org/v1/ssh-ed25519';
const KEY_TYPE = 'ssh-ed25519';

/** An `ssh-ed25519 AAAA... comment` line as age's -R/-r take it. Throws a plain Error on anything else. */
export class SshEd25519Recipient implements Recipient {
  private readonly wire: Buffer;
  private readonly montgomery: Uint8Array;

  constructor(line: string) {
    const [type, body] = line.trim().split(/\s+/);
    if (type !== KEY_TYPE || !body) throw new Error('not an ssh-ed25519 public key');
    this.wire = Buffer.from(body, 'base64');
    const publicKey = parseWirePublicKey(this.wire);
    // toMontgomery decodes the Edwards point first, so a string that is not a point on the curve is refused here.
    this.montgomery = ed25519.utils.toMontgomery(publicKey);
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const ephemeral = randomBytes(32);
    try {
      const share = x25519.getPublicKey(ephemeral);
      const shared = x25519.getSharedSecret(ephemeral, this.montgomery);
      const key = wrappingKey(this.wire, shared, share, this.montgomery);
      try {
        return [new Stanza([KEY_TYPE, tagOf(this.wire), b64(share)], seal(key, fileKey))];
      } finally {
        key.fill(0);
      }
    } finally {
      ephemeral.fill(0);
    }
  }
}

/**
 * The decrypting half, from the 32-byte Ed25519 seed of an OpenSSH private key. The caller wipes `seed`; this
 * keeps only the derived X25519 scalar (wipe it with `dispose()`).
 */
export class SshEd25519Identity implements Identity {
  private readonly scalar: Uint8Array;
  private readonly montgomery: Uint8Array;
  private readonly wire: Buffer;

  constructor(seed: Uint8Array) {
    const publicKey = ed25519.getPublicKey(seed);
    this.wire = wireOf(publicKey);
    this.montgomery = ed25519.utils.toMontgomery(publicKey);
    const digest = createHash('sha512').update(seed).digest();
    this.scalar = Uint8Array.from(digest.subarray(0, 32));
    digest.fill(0);
  }

  /** The matching recipient line (`ssh-ed25519 AAAA...`). */
  get recipient(): string {
    return `${KEY_TYPE} ${this.wire.toString('base64')}`;
  }

  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    const tag = tagOf(this.wire);
    for (const stanza of stanzas) {
      if (stanza.args[0] !== KEY_TYPE) continue;
      if (stanza.args.length !== 3) throw new Error('invalid ssh-ed25519 stanza');
      if (stanza.args[1] !== tag) continue; // made for another ssh key
      const share = fromB64(stanza.args[2] ?? '');
      if (share.length !== 32 || stanza.body.length !== 32) throw new Error('invalid ssh-ed25519 stanza');
      let shared: Uint8Array;
      try {
        shared = x25519.getSharedSecret(this.scalar, share);
      } catch {
        throw new Error('invalid ssh-ed25519 stanza');
      }
      const key = wrappingKey(this.wire, shared, share, this.montgomery);
      try {
        const fileKey = open(key, stanza.body);
        if (fileKey) return fileKey;
      } finally {
        key.fill(0);
      }
    }
    return null;
  }

  dispose(): void {
    this.scalar.fill(0);
  }
}

/** HKDF tweak, the second X25519, then the wrapping key (see the file comment). Wipes `shared`. */
function wrappingKey(wire: Buffer, shared: Uint8Array, share: Uint8Array, montgomery: Uint8Array): Buffer {
  const tweak = Buffer.from(hkdfSync('sha256', Buffer.alloc(0), wire, LABEL, 32));
  let tweaked: Uint8Array;
  try {
    tweaked = x25519.getSharedSecret(tweak, shared);
  } finally {
    tweak.fill(0);
    shared.fill(0);
  }
  try {
    return Buffer.from(hkdfSync('sha256', tweaked, Buffer.concat([share, montgomery]), LABEL, 32));
  } finally {
    tweaked.fill(0);
  }
}

function seal(key: Buffer, fileKey: Uint8Array): Uint8Array {
  const cipher = createCipheriv('chacha20-poly1305', key, Buffer.alloc(12), { authTagLength: 16 });
  return Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
}

function open(key: Buffer, body: Uint8Array): Uint8Array | null {
  const decipher = createDecipheriv('chacha20-poly1305', key, Buffer.alloc(12), { authTagLength: 16 });
  decipher.setAuthTag(body.subarray(16));
  try {
    return Buffer.concat([decipher.update(body.subarray(0, 16)), decipher.final()]);
  } catch {
    return null;
  }
}

function tagOf(wire: Buffer): string {
  return b64(createHash('sha256').update(wire).digest().subarray(0, 4));
}

/** age's base64: standard alphabet, no padding. */
function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

function fromB64(text: string): Buffer {
  if (!/^[A-Za-z0-9+/]*$/.test(text)) return Buffer.alloc(0);
  return Buffer.from(text, 'base64');
}

/** SSH wire format: string "ssh-ed25519", string key (each a uint32 length, then the bytes). */
function wireOf(publicKey: Uint8Array): Buffer {
  const type = Buffer.from(KEY_TYPE);
  const out = Buffer.alloc(4 + type.length + 4 + publicKey.length);
  out.writeUInt32BE(type.length, 0);
  type.copy(out, 4);
  out.writeUInt32BE(publicKey.length, 4 + type.length);
  Buffer.from(publicKey).copy(out, 8 + type.length);
  return out;
}

function parseWirePublicKey(wire: Buffer): Uint8Array {
  const reader = new SshReader(wire);
  if (reader.string().toString() !== KEY_TYPE) throw new Error('not an ssh-ed25519 public key');
  const key = reader.string();
  if (key.length !== 32 || !reader.done()) throw new Error('not an ssh-ed25519 public key');
  return Uint8Array.from(key);
}

const OPENSSH_MAGIC = Buffer.from('openssh-key-v1\0');

/** Why an OpenSSH private key file cannot be used (kept apart from parse failures for a precise message). */
export type SshKeyProblem = 'encrypted' | 'not-ed25519' | 'malformed';

/**
 * The Ed25519 seed of an unencrypted OpenSSH private key file (`-----BEGIN OPENSSH PRIVATE KEY-----`), or the
 * reason it cannot be read. A passphrase-protected key is not decrypted here (that would need bcrypt-pbkdf):
 * the caller tells the user to decrypt a copy with `ssh-keygen -p`. The caller wipes the returned seed.
 */
export function parseOpenSshEd25519(pem: Buffer): { seed: Buffer } | { problem: SshKeyProblem } {
  const text = pem.toString('latin1');
  const match = /-----BEGIN OPENSSH PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!match?.[1]) return { problem: 'malformed' };
  const blob = Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
  try {
    if (!blob.subarray(0, OPENSSH_MAGIC.length).equals(OPENSSH_MAGIC)) return { problem: 'malformed' };
    const reader = new SshReader(blob.subarray(OPENSSH_MAGIC.length));
    const cipher = reader.string().toString();
    const kdf = reader.string().toString();
    reader.string(); // kdf options
    if (cipher !== 'none' || kdf !== 'none') return { problem: 'encrypted' };
    if (reader.uint32() !== 1) return { problem: 'malformed' };
    const publicWire = reader.string();
    const secret = new SshReader(reader.string());
    if (secret.uint32() !== secret.uint32()) return { problem: 'malformed' }; // check ints differ: wrong passphrase/corrupt
    if (secret.string().toString() !== KEY_TYPE) return { problem: 'not-ed25519' };
    const publicKey = secret.string();
    const both = secret.string(); // seed || public key
    if (publicKey.length !== 32 || both.length !== 64 || !both.subarray(32).equals(publicKey)) return { problem: 'malformed' };
    if (!publicWire.equals(wireOf(publicKey))) return { problem: 'malformed' };
    return { seed: Buffer.from(both.subarray(0, 32)) };
  } catch {
    return { problem: 'malformed' };
  } finally {
    blob.fill(0);
  }
}

class SshReader {
  private offset = 0;
  constructor(private readonly bytes: Buffer) {}

  uint32(): number {
    if (this.offset + 4 > this.bytes.length) throw new Error('truncated');
    const value = this.bytes.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  string(): Buffer {
    const length = this.uint32();
    if (this.offset + length > this.bytes.length) throw new Error('truncated');
    const value = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  done(): boolean {
    return this.offset === this.bytes.length;
  }
}
