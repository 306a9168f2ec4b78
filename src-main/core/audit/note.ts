/**
 * C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys, the format golang.org/x/mod/sumdb/note
 * reads: the note text (ending in a newline), a blank line, then one line per signature:
 * "— <key name> <base64(key hash[4] || signature)>". The key hash is the first four bytes of
 * SHA-256(<key name> || "\n" || 0x01 || public key), 0x01 being the Ed25519 algorithm byte; the verifier key is
 * "<name>+<hex key hash>+<base64(0x01 || public key)>".
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

const ALG_ED25519 = 0x01;
const SIGNATURE_PREFIX = '\u2014 ';

export interface NoteSigner {
  name: string;
  privateKey: KeyObject;
  publicRaw: Buffer;
}

export interface NoteVerifierKey {
  name: string;
  keyHash: Buffer;
  publicRaw: Buffer;
}

export function keyHashOf(name: string, publicRaw: Uint8Array): Buffer {
  return createHash('sha256').update(name).update('\n').update(Buffer.from([ALG_ED25519])).update(publicRaw).digest().subarray(0, 4);
}

/** The verifier key line Go's note.NewVerifier accepts. */
export function verifierKeyText(name: string, publicRaw: Uint8Array): string {
  return `${name}+${keyHashOf(name, publicRaw).toString('hex')}+${Buffer.concat([Buffer.from([ALG_ED25519]), publicRaw]).toString('base64')}`;
}

export function parseVerifierKey(text: string): NoteVerifierKey | null {
  const match = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(text.trim());
  if (!match) return null;
  const key = Buffer.from(match[3]!, 'base64');
  if (key.length !== 33 || key[0] !== ALG_ED25519) return null;
  const publicRaw = key.subarray(1);
  const keyHash = Buffer.from(match[2]!, 'hex');
  if (!keyHash.equals(keyHashOf(match[1]!, publicRaw))) return null;
  return { name: match[1]!, keyHash, publicRaw };
}

/** Signs `text` (which must end in a newline) and returns the whole note. */
export function signNote(text: string, signer: NoteSigner): string {
  if (!text.endsWith('\n')) throw new TypeError('note text must end with a newline');
  const signature = sign(null, Buffer.from(text, 'utf8'), signer.privateKey);
  const blob = Buffer.concat([keyHashOf(signer.name, signer.publicRaw), signature]).toString('base64');
  return `${text}\n${SIGNATURE_PREFIX}${signer.name} ${blob}\n`;
}

export interface OpenedNote {
  text: string;
  /** Whether a signature by `key` verified. */
  verified: boolean;
  /** Names of the keys that signed (verified or not). */
  signers: string[];
}

/** Splits a note and checks its signature by `key`; null when it is not a well-formed note. */
export function openNote(note: string, key: NoteVerifierKey | null): OpenedNote | null {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return null;
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  const signers: string[] = [];
  let verified = false;
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) return null;
    const [name, blobText, extra] = line.slice(SIGNATURE_PREFIX.length).split(' ');
    if (!name || !blobText || extra !== undefined) return null;
    const blob = Buffer.from(blobText, 'base64');
    if (blob.length < 5) return null;
    signers.push(name);
    if (key && name === key.name && blob.subarray(0, 4).equals(key.keyHash)) {
      verified ||= verify(null, Buffer.from(text, 'utf8'), ed25519PublicKey(key.publicRaw), blob.subarray(4));
    }
  }
  return { text, verified, signers };
}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function ed25519PublicKey(publicRaw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicRaw]), format: 'der', type: 'spki' });
}
