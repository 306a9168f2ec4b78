import type * as OpenPgp from 'openpgp';
import { CustodianError } from '../errors.js';
import { decodeShare } from './shares.js';

/** openpgp.js is large; load it only when a PGP key or message is actually handled (keeps the CLI quick). */
const loadOpenPgp = (): Promise<typeof OpenPgp> => import('openpgp');

/** A holder's public key, checked with openpgp.js, in the form Vault's API wants (base64 of the binary key). */
export interface PgpRecipient {
  fingerprint: string;      // lowercase hex, as Vault reports pgp_fingerprints
  base64Key: string;
  label: string;            // file name or user id, for messages
}

/**
 * Parses an ASCII-armoured (or binary) OpenPGP public key and checks it can encrypt: Vault encrypts each share
 * to the key's encryption subkey, so a signing-only, expired or revoked key would fail later, at init, for
 * everybody. A private key is refused: only the public half should travel.
 */
export async function readRecipient(content: Uint8Array, label: string): Promise<PgpRecipient> {
  const text = Buffer.from(content).toString('utf8');
  const openpgp = await loadOpenPgp();
  let key: OpenPgp.Key;
  try {
    key = text.includes('-----BEGIN PGP')
      ? await openpgp.readKey({ armoredKey: text })
      : await openpgp.readKey({ binaryKey: content });
  } catch {
    throw pgpInvalid(`${label} is not an OpenPGP public key.`);
  }
  if (key.isPrivate()) {
    throw pgpInvalid(`${label} is a PRIVATE key. Give only the public key (gpg --export --armor).`);
  }
  try {
    await key.getEncryptionKey();
  } catch {
    throw pgpInvalid(`${label} has no usable encryption key (expired, revoked or signing-only).`);
  }
  return {
    fingerprint: key.getFingerprint().toLowerCase(),
    base64Key: Buffer.from(key.toPublic().write()).toString('base64'),
    label,
  };
}

export interface PgpPrivateKeySource {
  /** The armoured or binary private key. */
  key: Uint8Array;
  /** Passphrase if the key is protected. openpgp.js takes it as a string; it is dropped right after use. */
  passphrase?: Uint8Array;
  label: string;
}

/**
 * Decrypts a share that Vault encrypted to a holder's PGP key at init or rekey (base64 of the binary message,
 * as in `keys_base64`, or an armoured message). Vault encrypts the share's hex text; the result is checked and
 * returned as share bytes. Everything happens in memory; the decrypted text is wiped.
 */
export async function decryptShare(encrypted: Uint8Array, keys: PgpPrivateKeySource[]): Promise<Buffer> {
  const openpgp = await loadOpenPgp();
  const message = await readEncryptedMessage(encrypted);
  const wanted = new Set(message.getEncryptionKeyIDs().map((id) => id.toHex()));
  const privateKeys: OpenPgp.PrivateKey[] = [];
  for (const source of keys) {
    const key = await readPrivate(source);
    if (key.getKeyIDs().some((id) => wanted.has(id.toHex()))) privateKeys.push(key);
  }
  if (privateKeys.length === 0) {
    throw pgpInvalid('None of the private keys given can open this encrypted share.', 'Give the private key of the holder the share was encrypted to at init.');
  }
  let plaintext: Uint8Array;
  try {
    const result = await openpgp.decrypt({ message, decryptionKeys: privateKeys, format: 'binary' });
    plaintext = result.data as Uint8Array;
  } catch {
    throw pgpInvalid('The encrypted share could not be decrypted.', 'Check that this is the share printed for this holder and the right key.');
  }
  try {
    return decodeShare(plaintext);
  } finally {
    plaintext.fill(0);
  }
}

/** True if the typed text looks like a PGP-encrypted share rather than a plain one (far longer than 33 bytes). */
export function looksPgpEncrypted(text: Uint8Array): boolean {
  const trimmed = Buffer.from(text).subarray(0, 40).toString('latin1').trim();
  if (trimmed.startsWith('-----BEGIN PGP MESSAGE')) return true;
  // A plain share is 44 base64 or 66 hex characters; an encrypted one is hundreds.
  let length = 0;
  for (const b of text) if (b > 0x20) length++;
  return length > 120;
}

async function readEncryptedMessage(encrypted: Uint8Array): Promise<OpenPgp.Message<Uint8Array>> {
  const openpgp = await loadOpenPgp();
  const text = Buffer.from(encrypted).toString('latin1').trim();
  try {
    if (text.startsWith('-----BEGIN PGP MESSAGE')) {
      return (await openpgp.readMessage({ armoredMessage: text })) as unknown as OpenPgp.Message<Uint8Array>;
    }
    const binary = Buffer.from(text.replace(/\s+/g, ''), /^[0-9a-fA-F]+$/.test(text) ? 'hex' : 'base64');
    return await openpgp.readMessage({ binaryMessage: new Uint8Array(binary) });
  } catch {
    throw pgpInvalid('The encrypted share is not an OpenPGP message.', 'Paste the encrypted share exactly as printed (keys_base64 from init or rekey).');
  }
}

async function readPrivate(source: PgpPrivateKeySource): Promise<OpenPgp.PrivateKey> {
  const openpgp = await loadOpenPgp();
  const text = Buffer.from(source.key).toString('utf8');
  let key: OpenPgp.PrivateKey;
  try {
    key = text.includes('-----BEGIN PGP')
      ? await openpgp.readPrivateKey({ armoredKey: text })
      : await openpgp.readPrivateKey({ binaryKey: source.key });
  } catch {
    throw pgpInvalid(`${source.label} is not an OpenPGP private key.`, 'Export it with `gpg --export-secret-keys --armor KEYID`.');
  }
  if (key.isDecrypted()) return key;
  if (!source.passphrase) {
    throw pgpInvalid(`${source.label} is protected by a passphrase.`, 'Give the passphrase (prompted on a terminal, or --pgp-passphrase-file).');
  }
  try {
    return await openpgp.decryptKey({ privateKey: key, passphrase: Buffer.from(source.passphrase).toString('utf8') });
  } catch {
    throw pgpInvalid(`Wrong passphrase for ${source.label}.`, 'Type the passphrase again.');
  }
}

function pgpInvalid(message: string, hint = 'Check the key file.'): CustodianError {
  return new CustodianError('PGP_INVALID', message, { hint });
}
