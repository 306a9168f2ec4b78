/**
 * The files a receiver reads at start: its identity key (a file, or a systemd credential), the
 * authorized-custodians list (protocol §2), the custodian statements file (§12.5) and the identity hand-overs
 * file (§12.6). Errors name the file or the line, never what is in it.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
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
  return { privateKey: ed25519FromPem(pem, `the identity key file ${path}`), created: false };
}

/** Parses (and wipes) PKCS#8 PEM bytes of an Ed25519 private key. */
function ed25519FromPem(pem: Buffer, what: string): KeyObject {
  try {
    const privateKey = createPrivateKey({ key: pem, format: 'pem' });
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
    return privateKey;
  } catch {
    throw new ReceiverConfigError('INVALID_CONFIG', `${what} is not an Ed25519 private key in PKCS#8 PEM`);
  } finally {
    pem.fill(0);
  }
}

/**
 * The protected form of the identity key (issue 10 §5): read from `$CREDENTIALS_DIRECTORY/NAME`, where systemd
 * puts a credential it decrypted for this service (`LoadCredentialEncrypted=NAME:/etc/credstore.encrypted/...`,
 * sealed to the host's TPM and/or its credential secret with `systemd-creds encrypt`). The key then exists in
 * clear only in the service's private, non-swappable credential mount and this process's memory.
 * This never creates or writes the key: a missing variable or file is an error that says what to set up.
 */
export async function loadIdentityKeyCredential(name: string, env: NodeJS.ProcessEnv = process.env): Promise<KeyObject> {
  if (!/^[A-Za-z0-9_.-]{1,255}$/.test(name) || name === '.' || name === '..') {
    throw new ReceiverConfigError('INVALID_CONFIG', 'the --identity-key-credential name must be a plain credential name (letters, digits, . _ -)');
  }
  const directory = env['CREDENTIALS_DIRECTORY'];
  if (!directory) {
    throw new ReceiverConfigError('INVALID_CONFIG', 'CREDENTIALS_DIRECTORY is not set: --identity-key-credential needs the receiver to run as a systemd service with LoadCredentialEncrypted= (see DEPLOYMENT.md), or use --identity-key FILE');
  }
  const path = join(directory, name);
  let pem: Buffer;
  try {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) throw new ReceiverConfigError('INSECURE_FILE', `the credential ${name} is accessible by group or others`);
    pem = await readFile(path);
  } catch (error) {
    if (error instanceof ReceiverConfigError) throw error;
    throw new ReceiverConfigError('INVALID_CONFIG', `the credential ${name} is missing in $CREDENTIALS_DIRECTORY: check the LoadCredentialEncrypted=${name}:... line of the unit`);
  }
  return ed25519FromPem(pem, `the credential ${name}`);
}

/** Reads a file that must not be accessible by group or others; '' when it does not exist (and create is set). */
async function readPrivateFile(path: string, what: string, create: boolean): Promise<string> {
  try {
    const info = await stat(path);
    if ((info.mode & 0o077) !== 0) throw new ReceiverConfigError('INSECURE_FILE', `the ${what} ${path} is accessible by group or others; run: chmod 600 ${path}`);
    return await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof ReceiverConfigError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw new ReceiverConfigError('INVALID_CONFIG', `cannot read the ${what} ${path}`);
  }
  try {
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    await handle.close();
  } catch {
    throw new ReceiverConfigError('INVALID_CONFIG', `cannot create the ${what} ${path}`);
  }
  return '';
}

/**
 * The custodian statements file (--custodian-statements, protocol §12.5): created 0600 when missing, refused when
 * group or others can access it. Accepted statements are appended one per line and synced before they apply.
 */
export async function openStatementsFile(path: string): Promise<{ text: string; append(jws: string): Promise<void> }> {
  const text = await readPrivateFile(path, 'custodian statements file', true);
  return {
    text,
    async append(jws: string) {
      const handle = await open(path, constants.O_WRONLY | constants.O_APPEND);
      try {
        await handle.writeFile(`${jws}\n`, 'ascii');
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
  };
}

/** The identity hand-overs file's text (--identity-handovers, protocol §12.6); it is public, so any mode will do. */
export async function readIdentityHandovers(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new ReceiverConfigError('INVALID_CONFIG', `cannot read the identity hand-overs file ${path}`);
  }
}

export function ed25519PublicRaw(privateKey: KeyObject): Buffer {
  return Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x as string, 'base64url');
}
