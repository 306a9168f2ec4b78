/**
 * The demo server: `npx custodian-receiver --identity-key FILE --authorized-custodians FILE --key-check K1-...`.
 * Flags and output are those of docs/protocol.md §10 and §12, shared with `python -m custodian_receiver`.
 * stdout: one JSON start line, then one JSON line per unlock, lock, statement and rekey attempt and per key-check
 * change (SIGHUP re-reads --key-check-file). Never key material.
 * `custodian-receiver rotate-identity ...` makes a receiver identity hand-over (§12.6) and prints its JWS.
 */
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { hostname } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { KeyObject } from 'node:crypto';
import { PROTOCOL, isServerId } from './encoding.js';
import { ReceiverConfigError } from './errors.js';
import { keyCheckSource } from './key-checks.js';
import {
  checkIdentityHandovers, checkReceiverSettings, createReceiver, createReceiverHandover, hardenServer, loadIdentityKeyCredential,
  loadOrCreateIdentityKey, openStatementsFile, readIdentityHandovers, receiverServerOptions, fingerprintOf, REQUEST_DEADLINE_MS, type Attempt,
} from './index.js';
import { vaultLoginFromEnvironment } from './vault-login.js';
import { ed25519PublicRaw } from './config-files.js';

const USAGE = `usage: custodian-receiver (--identity-key FILE | --identity-key-credential NAME) --authorized-custodians FILE
                          --key-check KEY_ID [--key-check KEY_ID]...   (newest key first)
                          [--host 127.0.0.1] [--port 8421] [--server-id ID] [--tls-cert FILE --tls-key FILE]
                          [--custodian-statements FILE] [--identity-handovers FILE] [--metrics]
                          [--allow-older-current-key]
       custodian-receiver rotate-identity (--identity-key OLD | --identity-key-credential NAME)
                          --new-identity-key NEW --server-id ID

A demo Key Custodian receiver: starts locked, waits for \`custodian push\`, keeps the key in memory only.
Prints one JSON line with "identity" (for \`custodian server add --identity\`) and "url" at start, then one
JSON line per unlock, lock and statement attempt.

  --identity-key FILE             the receiver's Ed25519 identity (PKCS#8 PEM), created 0600 if missing.
                                  As sensitive as the data key: whoever has it and the address can pose as it.
  --identity-key-credential NAME  the protected form: read $CREDENTIALS_DIRECTORY/NAME, as systemd's
                                  LoadCredentialEncrypted=NAME:... provides it (never created or written)
  --custodian-statements FILE     enables POST {base}/custodians: hand-overs and revocations are kept here
                                  (created 0600) and replayed at start
  --identity-handovers FILE       lines printed by rotate-identity, served at GET {base}/identity
  --metrics                       serve GET {base}/metrics (Prometheus text, nothing secret)
  --key-check-file FILE           more accepted key ids, one per line (after the --key-check flags); re-read on
                                  SIGHUP and at every status request (deploy a new key id without a restart)
  --allow-older-current-key       accept a push whose first key is not the first --key-check

Vault login delivered by push (docs/protocol.md §12.13), from the environment: VAULT_ENABLED=true, VAULT_ADDR,
VAULT_ROLE, VAULT_ROLE_ID (or VAULT_ROLE_ID_FILE), optional VAULT_CACERT, VAULT_KV_MOUNT, VAULT_SECRET_PREFIX.
The status then announces the login and \`custodian push --vault-role ROLE\` delivers it; VAULT_TOKEN is refused.

Example:
  custodian-receiver --identity-key ./receiver.key --authorized-custodians ./custodians --key-check K1-8KE1-QDS4-9W1J-7TKF`;

const ROTATE_USAGE = `usage: custodian-receiver rotate-identity (--identity-key OLD | --identity-key-credential NAME) --new-identity-key NEW --server-id ID

Creates NEW (0600) if missing and prints one line: a hand-over signed by the old identity. Append it to the
--identity-handovers file, restart the receiver with --identity-key NEW, then run
\`custodian server accept-identity NAME\` on the custodian's machine.`;

function defaultServerId(): string {
  const cleaned = hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return cleaned || 'server';
}

function fail(code: string, message: string): never {
  process.stderr.write(`error [${code}]: ${message}\n`);
  process.exit(2);
}

/**
 * parseArgs quotes what was typed. A stray argument may be a secret pasted in the wrong place (a Fernet key can
 * even start with "-"), so only a plain option name is ever repeated back.
 */
function usageProblem(error: NodeJS.ErrnoException): string {
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return 'unexpected argument (every value goes right after its --option)';
  const quoted = /'([^']*)'/.exec(error.message)?.[1];
  if (quoted !== undefined && !/^--?[a-z][a-z-]{0,30}( <value>)?$/.test(quoted)) return 'unknown option (the options are listed below)';
  return error.message;
}

async function identityKeyFrom(values: { 'identity-key'?: string; 'identity-key-credential'?: string }): Promise<KeyObject> {
  if (values['identity-key-credential']) return loadIdentityKeyCredential(values['identity-key-credential']);
  return (await loadOrCreateIdentityKey(values['identity-key']!)).privateKey;
}

function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>, usage: string): Record<string, unknown> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    fail('USAGE', `${usageProblem(error as NodeJS.ErrnoException)}\n${usage}`);
  }
}

/** `rotate-identity`: a receiver identity hand-over signed by the old key (protocol §12.6). */
async function rotateIdentity(argv: string[]): Promise<void> {
  const values = parse(argv, {
    'identity-key': { type: 'string' },
    'identity-key-credential': { type: 'string' },
    'new-identity-key': { type: 'string' },
    'server-id': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, ROTATE_USAGE);
  if (values['help']) {
    process.stdout.write(`${ROTATE_USAGE}\n`);
    return;
  }
  const old = values['identity-key'] as string | undefined;
  const credential = values['identity-key-credential'] as string | undefined;
  const fresh = values['new-identity-key'] as string | undefined;
  const serverId = values['server-id'] as string | undefined;
  if (Boolean(old) === Boolean(credential)) fail('USAGE', `give exactly one of --identity-key OLD and --identity-key-credential NAME\n${ROTATE_USAGE}`);
  if (!fresh) fail('USAGE', `--new-identity-key NEW is required\n${ROTATE_USAGE}`);
  if (!serverId) fail('USAGE', `--server-id ID is required (the id the custodian pinned)\n${ROTATE_USAGE}`);
  if (!isServerId(serverId)) fail('INVALID_CONFIG', 'the server id must be 1-64 characters of A-Z a-z 0-9 . _ - (starting with a letter or digit)');
  if (old && old === fresh) fail('USAGE', '--new-identity-key must be another file than --identity-key');
  try {
    // The old key must exist: rotating from a key that was just created would prove nothing.
    if (old) await readFile(old).then((b) => b.fill(0), () => { throw new ReceiverConfigError('INVALID_CONFIG', `cannot read the identity key file ${old}`); });
    const oldKey = await identityKeyFrom({ 'identity-key': old, 'identity-key-credential': credential });
    const { privateKey: newKey } = await loadOrCreateIdentityKey(fresh);
    if (fingerprintOf(ed25519PublicRaw(oldKey)) === fingerprintOf(ed25519PublicRaw(newKey))) throw new ReceiverConfigError('INVALID_CONFIG', 'the new identity key is the old one');
    process.stdout.write(`${createReceiverHandover(oldKey, newKey, serverId, Math.floor(Date.now() / 1000))}\n`);
  } catch (error) {
    if (error instanceof ReceiverConfigError) fail(error.code, error.message);
    throw error;
  }
}

export async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'rotate-identity') return rotateIdentity(argv.slice(1));
  if (argv[0] === 'agent') {
    // Node cannot check a Unix socket peer's credentials (SO_PEERCRED), which the agent must (docs/agent.md §1).
    fail('USAGE', 'there is no Node host key agent: run `python -m custodian_receiver agent` (docs/agent.md); '
      + 'Node apps subscribe to it with AgentClient from receivers/node');
  }
  const values = parse(argv, {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8421' },
    'identity-key': { type: 'string' },
    'identity-key-credential': { type: 'string' },
    'authorized-custodians': { type: 'string' },
    'key-check': { type: 'string', multiple: true },
    'key-check-file': { type: 'string' },
    'server-id': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'custodian-statements': { type: 'string' },
    'identity-handovers': { type: 'string' },
    metrics: { type: 'boolean' },
    'allow-older-current-key': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, USAGE) as unknown as {
    host: string; port: string; 'identity-key'?: string; 'identity-key-credential'?: string; 'authorized-custodians'?: string;
    'key-check'?: string[]; 'key-check-file'?: string; 'server-id'?: string; 'tls-cert'?: string; 'tls-key'?: string; 'custodian-statements'?: string;
    'identity-handovers'?: string; metrics?: boolean; 'allow-older-current-key'?: boolean; help?: boolean;
  };
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('USAGE', '--port must be a number from 0 to 65535');
  if (Boolean(values['identity-key']) === Boolean(values['identity-key-credential'])) {
    fail('USAGE', `give exactly one of --identity-key FILE and --identity-key-credential NAME\n${USAGE}`);
  }
  if (!values['authorized-custodians']) fail('USAGE', `--authorized-custodians FILE is required\n${USAGE}`);
  if (!values['key-check']?.length && !values['key-check-file']) fail('USAGE', `at least one --key-check KEY_ID (or --key-check-file FILE) is required\n${USAGE}`);
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) fail('USAGE', '--tls-cert and --tls-key go together');

  let receiver;
  try {
    let custodians: string;
    try {
      custodians = await readFile(values['authorized-custodians'], 'utf8');
    } catch {
      throw new ReceiverConfigError('INVALID_CONFIG', `cannot read the authorized-custodians file ${values['authorized-custodians']}`);
    }
    const settings = { serverId: values['server-id'] ?? defaultServerId(), authorizedCustodians: custodians, keyChecks: keyCheckSource(values['key-check'] ?? [], values['key-check-file']) };
    // Everything else is checked first: a refused start must not leave a new identity key file behind.
    checkReceiverSettings(settings);
    const vault = vaultLoginFromEnvironment(process.env);
    const handoversText = values['identity-handovers'] ? await readIdentityHandovers(values['identity-handovers']) : '';
    const identityKey = await identityKeyFrom(values);
    const identityHandovers = checkIdentityHandovers(handoversText, settings.serverId, fingerprintOf(ed25519PublicRaw(identityKey)));
    const statements = values['custodian-statements'] ? await openStatementsFile(values['custodian-statements']) : undefined;
    receiver = createReceiver({
      ...settings,
      identityKey,
      identityHandovers,
      allowOlderCurrentKey: values['allow-older-current-key'] ?? false,
      metrics: values.metrics ?? false,
      ...(statements ? { statements } : {}),
      ...(vault ? { vault } : {}),
    });
  } catch (error) {
    if (error instanceof ReceiverConfigError) fail(error.code, error.message);
    throw error;
  }

  let server: Server;
  if (values['tls-cert'] && values['tls-key']) {
    const [cert, key] = await Promise.all([readFile(values['tls-cert']), readFile(values['tls-key'])]).catch(() => fail('INVALID_CONFIG', 'cannot read the TLS certificate or key'));
    // A TLS handshake gets the same 10 s as a request (Node's default is 120 s: room for slow clients).
    server = createHttpsServer({ ...receiverServerOptions(), cert, key, handshakeTimeout: REQUEST_DEADLINE_MS }, receiver.handler);
  } else {
    server = createHttpServer(receiverServerOptions(), receiver.handler);
  }
  hardenServer(server);

  receiver.on('attempt', (attempt: Attempt) => {
    let line: Record<string, unknown>;
    if (!attempt.ok) line = { event: attempt.event, ok: false, error: attempt.error };
    else if (attempt.event === 'unlock') {
      line = { event: 'unlock', ok: true, key_ids: attempt.keyIds, custodian: attempt.custodian, ...(attempt.vaultLogin ? { vault_login: attempt.vaultLogin } : {}) };
    }
    else if (attempt.event === 'lock') line = { event: 'lock', ok: true, custodian: attempt.custodian, boot_id: attempt.bootId };
    else if (attempt.event === 'rekey') line = { event: 'rekey', ok: true, key_ids: attempt.keyIds, retired: attempt.retired, custodian: attempt.custodian };
    else line = { event: 'statement', ok: true, type: attempt.type, custodian: attempt.custodian, subject: attempt.subject, applied: attempt.applied };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  });

  const stop = () => {
    receiver.lock();
    // The Vault token (if any) is revoked before the process ends (bounded by the Vault deadline).
    const revoked = receiver.core.vault?.waitRevoked() ?? Promise.resolve();
    server.close(() => void revoked.then(() => process.exit(0)));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // §12.12: the operator deploys a new key id to --key-check-file, then SIGHUP (a status request re-reads it too).
  receiver.core.onKeyChecks((info) => {
    if (!info.ok) process.stdout.write(`${JSON.stringify({ event: 'key_checks', ok: false, error: info.error })}\n`);
    else if (info.changed) process.stdout.write(`${JSON.stringify({ event: 'key_checks', ok: true, key_checks: info.keyChecks })}\n`);
  });
  process.on('SIGHUP', () => receiver.core.reloadKeyChecks());

  server.once('error', (error: NodeJS.ErrnoException) => fail('LISTEN_FAILED', `cannot listen on ${values.host}:${port} (${error.code ?? 'error'})`));
  server.listen(port, values.host, () => {
    const address = server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    const scheme = values['tls-cert'] ? 'https' : 'http';
    const host = values.host.includes(':') ? `[${values.host}]` : values.host;
    process.stdout.write(`${JSON.stringify({
      event: 'listening',
      protocol: PROTOCOL,
      url: `${scheme}://${host}:${actualPort}/custodian`,
      identity: receiver.identity,
      server_id: receiver.serverId,
      boot_id: receiver.bootId,
      pid: process.pid,
    })}\n`);
  });
}
