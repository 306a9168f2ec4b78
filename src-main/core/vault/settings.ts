import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CustodianError } from '../errors.js';

/**
 * How to reach a Vault/OpenBao cluster, resolved the way Vault's own CLI does: explicit options win over the
 * VAULT_* environment variables, which win over the defaults. The token is a secret and stays a Buffer.
 */
export interface ConnectionOptions {
  /** Node addresses (https://host:port). Several for a cluster. */
  addresses?: string[];
  caCert?: string;            // VAULT_CACERT: a PEM file
  caPath?: string;            // VAULT_CAPATH: a directory of PEM files
  clientCert?: string;        // VAULT_CLIENT_CERT
  clientKey?: string;         // VAULT_CLIENT_KEY
  tlsServerName?: string;     // VAULT_TLS_SERVER_NAME
  skipVerify?: boolean;       // VAULT_SKIP_VERIFY
  namespace?: string;         // VAULT_NAMESPACE
  token?: Uint8Array;         // VAULT_TOKEN
  /** Per-request timeout in milliseconds (default 10 s). */
  timeoutMs?: number;
}

export interface ConnectionSettings {
  addresses: string[];
  tls: {
    ca?: Buffer[];
    cert?: Buffer;
    key?: Buffer;
    servername?: string;
    rejectUnauthorized: boolean;
  };
  namespace?: string;
  token?: Buffer;
  timeoutMs: number;
  /** Things the user must see (for example: certificate verification is off). Never secret. */
  warnings: string[];
}

export const DEFAULT_VAULT_ADDR = 'https://127.0.0.1:8200';

export const SKIP_VERIFY_WARNING =
  'WARNING: TLS certificate verification is OFF (VAULT_SKIP_VERIFY / --tls-skip-verify). Anyone on the network path '
  + 'can impersonate the Vault server and capture every key share you type. Use VAULT_CACERT instead.';

/** Resolves explicit options over VAULT_* variables. Reads the certificate files now, so errors surface early. */
export function resolveConnection(options: ConnectionOptions = {}, env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const warnings: string[] = [];
  const fromEnv = (name: string): string | undefined => (env[name] ? env[name] : undefined);

  const addresses = (options.addresses && options.addresses.length > 0 ? options.addresses : [fromEnv('VAULT_ADDR') ?? DEFAULT_VAULT_ADDR])
    .map(normaliseAddress);
  const unique = [...new Set(addresses)];

  const skipVerify = options.skipVerify ?? parseVaultBool('VAULT_SKIP_VERIFY', fromEnv('VAULT_SKIP_VERIFY')) ?? false;
  if (skipVerify) warnings.push(SKIP_VERIFY_WARNING);
  if (unique.some((a) => a.startsWith('http://'))) {
    warnings.push('WARNING: plain http:// address: key shares and tokens would cross the network unencrypted.');
  }

  const caCert = options.caCert ?? fromEnv('VAULT_CACERT');
  const caPath = options.caPath ?? fromEnv('VAULT_CAPATH');
  const ca: Buffer[] = [];
  if (caCert) ca.push(readPem(caCert, 'CA certificate (VAULT_CACERT / --ca-cert)'));
  if (caPath) ca.push(...readPemDirectory(caPath));

  const clientCert = options.clientCert ?? fromEnv('VAULT_CLIENT_CERT');
  const clientKey = options.clientKey ?? fromEnv('VAULT_CLIENT_KEY');
  if (Boolean(clientCert) !== Boolean(clientKey)) {
    throw new CustodianError('INVALID_INPUT', 'A client certificate needs both VAULT_CLIENT_CERT and VAULT_CLIENT_KEY.', {
      hint: 'Give both files (or --client-cert and --client-key), or neither.',
    });
  }

  const tokenText = fromEnv('VAULT_TOKEN');
  const token = options.token ? Buffer.from(options.token) : tokenText ? Buffer.from(tokenText.trim(), 'utf8') : undefined;

  const settings: ConnectionSettings = {
    addresses: unique,
    tls: { rejectUnauthorized: !skipVerify },
    timeoutMs: options.timeoutMs ?? 10_000,
    warnings,
  };
  if (ca.length > 0) settings.tls.ca = ca;
  if (clientCert && clientKey) {
    settings.tls.cert = readPem(clientCert, 'client certificate (VAULT_CLIENT_CERT)');
    settings.tls.key = readPem(clientKey, 'client key (VAULT_CLIENT_KEY)');
  }
  const servername = options.tlsServerName ?? fromEnv('VAULT_TLS_SERVER_NAME');
  if (servername) settings.tls.servername = servername;
  const namespace = options.namespace ?? fromEnv('VAULT_NAMESPACE');
  if (namespace) settings.namespace = namespace;
  if (token && token.length > 0) settings.token = token;
  return settings;
}

/** Go's strconv.ParseBool, which Vault uses for VAULT_SKIP_VERIFY. An unknown value is an error, not "false". */
export function parseVaultBool(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new CustodianError('INVALID_INPUT', `${name} must be true or false.`, { hint: `Unset ${name} or set it to "true" or "false".` });
}

export function normaliseAddress(address: string): string {
  let url: URL;
  try {
    url = new URL(address.trim());
  } catch {
    throw new CustodianError('INVALID_INPUT', `"${address}" is not a Vault address.`, { hint: 'Use a URL such as https://vault-1.example.com:8200.' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CustodianError('INVALID_INPUT', `"${address}" is not an http(s) address.`, { hint: 'Use a URL such as https://vault-1.example.com:8200.' });
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new CustodianError('INVALID_INPUT', 'A Vault address must not contain credentials, a query or a fragment.', {
      hint: 'Give only scheme, host and port; use VAULT_TOKEN for the token.',
    });
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new CustodianError('INVALID_INPUT', `Cannot read the ${what} at ${path}.`, { hint: 'Check the path and its permissions.' });
  }
}

function readPemDirectory(dir: string): Buffer[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    throw new CustodianError('INVALID_INPUT', `Cannot read the CA directory at ${dir} (VAULT_CAPATH / --ca-path).`, { hint: 'Check the path and its permissions.' });
  }
  const pems = names
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => readFileSync(path))
    .filter((content) => content.includes('-----BEGIN CERTIFICATE-----'));
  if (pems.length === 0) {
    throw new CustodianError('INVALID_INPUT', `The CA directory ${dir} holds no PEM certificate.`, { hint: 'Point VAULT_CAPATH at a directory of PEM files.' });
  }
  return pems;
}
