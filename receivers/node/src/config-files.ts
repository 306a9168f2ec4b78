/** The two files a receiver reads at start: its identity key and the authorized-custodians list (protocol §2). */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { isFingerprint } from './encoding.js';
import { ReceiverConfigError } from './errors.js';

export interface AuthorizedCustodian {
  fingerprint: string;
  name: string;
}

/** One fingerprint per line, then an optional name; '#' comments and blank lines ignored; anything else is an error. */
export function parseAuthorizedCustodians(text: string): AuthorizedCustodian[] {
  const custodians: AuthorizedCustodian[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(\S+)(?:\s+(.*))?$/.exec(line);
    if (!match || !isFingerprint(match[1])) {
      throw new ReceiverConfigError('INVALID_CONFIG', `authorized-custodians line ${index + 1} does not start with an ed25519: fingerprint`);
    }
    custodians.push({ fingerprint: match[1]!, name: (match[2] ?? '').trim() });
  });
  if (custodians.length === 0) throw new ReceiverConfigError('INVALID_CONFIG', 'the authorized-custodians file lists no custodian');
  return custodians;
}

/**
 * Loads the Ed25519 identity key (PKCS#8 PEM), or creates it with mode 0600 when the file does not exist.
 * An existing file that group or others can read or write is refused, like ssh does with private keys.
 */
export async function loadOrCreateIdentityKey(path: string): Promise<{ privateKey: KeyObject; created: boolean }> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ReceiverConfigError('INVALID_CONFIG', `cannot read the identity key file ${path}`);
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    let handle;
    try {
      handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      await handle.writeFile(pem, 'ascii');
      await handle.sync();
    } catch {
      throw new ReceiverConfigError('INVALID_CONFIG', `cannot create the identity key file ${path}`);
    } finally {
      await handle?.close();
    }
    return { privateKey, created: true };
  }
  if ((info.mode & 0o077) !== 0) {
    throw new ReceiverConfigError('INSECURE_FILE', `the identity key file ${path} is accessible by group or others; run: chmod 600 ${path}`);
  }
  const handle = await open(path, 'r');
  let pem: Buffer;
  try {
    pem = await handle.readFile();
  } finally {
    await handle.close();
  }
  try {
    const privateKey = createPrivateKey({ key: pem, format: 'pem' });
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
    return { privateKey, created: false };
  } catch {
    throw new ReceiverConfigError('INVALID_CONFIG', `the identity key file ${path} is not an Ed25519 private key in PKCS#8 PEM`);
  } finally {
    pem.fill(0);
  }
}

export function ed25519PublicRaw(privateKey: KeyObject): Buffer {
  return Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x as string, 'base64url');
}
