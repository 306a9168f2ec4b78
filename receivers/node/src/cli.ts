/**
 * The demo server: `npx custodian-receiver --identity-key FILE --authorized-custodians FILE --key-check K1-...`.
 * Flags and output are those of docs/protocol.md §10, shared with `python -m custodian_receiver`.
 * stdout: one JSON start line, then one JSON line per unlock attempt. Never key material.
 */
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { PROTOCOL } from './encoding.js';
import { ReceiverConfigError } from './errors.js';
import { checkReceiverSettings, createReceiver, loadOrCreateIdentityKey, type UnlockAttempt } from './index.js';

const USAGE = `usage: custodian-receiver --identity-key FILE --authorized-custodians FILE --key-check KEY_ID [--key-check KEY_ID]...
                          [--host 127.0.0.1] [--port 8421] [--server-id ID] [--tls-cert FILE --tls-key FILE]

A demo Key Custodian receiver: starts locked, waits for \`custodian push\`, keeps the key in memory only.
Prints one JSON line with "identity" (for \`custodian server add --identity\`) and "url" at start.
Example:
  custodian-receiver --identity-key ./receiver.key --authorized-custodians ./custodians --key-check K1-8KE1-QDS4-9W1J-7TKF`;

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

export async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'agent') {
    // Node cannot check a Unix socket peer's credentials (SO_PEERCRED), which the agent must (docs/agent.md §1).
    fail('USAGE', 'there is no Node host key agent: run `python -m custodian_receiver agent` (docs/agent.md); '
      + 'Node apps subscribe to it with AgentClient from receivers/node');
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8421' },
        'identity-key': { type: 'string' },
        'authorized-custodians': { type: 'string' },
        'key-check': { type: 'string', multiple: true },
        'server-id': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail('USAGE', `${usageProblem(error as NodeJS.ErrnoException)}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('USAGE', '--port must be a number from 0 to 65535');
  if (!values['identity-key']) fail('USAGE', `--identity-key FILE is required\n${USAGE}`);
  if (!values['authorized-custodians']) fail('USAGE', `--authorized-custodians FILE is required\n${USAGE}`);
  if (!values['key-check']?.length) fail('USAGE', `at least one --key-check KEY_ID is required\n${USAGE}`);
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) fail('USAGE', '--tls-cert and --tls-key go together');

  let receiver;
  try {
    let custodians: string;
    try {
      custodians = await readFile(values['authorized-custodians'], 'utf8');
    } catch {
      throw new ReceiverConfigError('INVALID_CONFIG', `cannot read the authorized-custodians file ${values['authorized-custodians']}`);
    }
    const settings = { serverId: values['server-id'] ?? defaultServerId(), authorizedCustodians: custodians, keyChecks: values['key-check'] };
    // Everything else is checked first: a refused start must not leave a new identity key file behind.
    checkReceiverSettings(settings);
    const { privateKey } = await loadOrCreateIdentityKey(values['identity-key']);
    receiver = createReceiver({ ...settings, identityKey: privateKey });
  } catch (error) {
    if (error instanceof ReceiverConfigError) fail(error.code, error.message);
    throw error;
  }

  let server: Server;
  if (values['tls-cert'] && values['tls-key']) {
    const [cert, key] = await Promise.all([readFile(values['tls-cert']), readFile(values['tls-key'])]).catch(() => fail('INVALID_CONFIG', 'cannot read the TLS certificate or key'));
    server = createHttpsServer({ cert, key }, receiver.handler);
  } else {
    server = createHttpServer(receiver.handler);
  }
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;

  receiver.on('attempt', (attempt: UnlockAttempt) => {
    const line = attempt.ok
      ? { event: 'unlock', ok: true, key_ids: attempt.keyIds, custodian: attempt.custodian }
      : { event: 'unlock', ok: false, error: attempt.error };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  });

  const stop = () => {
    receiver.lock();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  server.once('error', (error: NodeJS.ErrnoException) => fail('LISTEN_FAILED', `cannot listen on ${values.host}:${port} (${error.code ?? 'error'})`));
  server.listen(port, values.host, () => {
    const address = server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    const scheme = values['tls-cert'] ? 'https' : 'http';
    const host = values.host!.includes(':') ? `[${values.host}]` : values.host;
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
