/**
 * A small Node application on the Node receiver library with the Vault login of docs/protocol.md §12.13, for the
 * integration tests: it takes the demo server's flags (so test/support/receivers.ts can start it), reads its Vault
 * settings from the environment (VAULT_ENABLED, VAULT_ADDR, VAULT_ROLE, VAULT_ROLE_ID, VAULT_CACERT), serves the
 * receiver under /custodian, and GET /app/secret/NAME answers what receiver.getSecret(NAME) read, as SHA-256 of
 * each field (the test compares hashes; the values never leave the process), or 503 {error: vault_locked, state}.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import {
  createReceiver, hardenServer, loadOrCreateIdentityKey, receiverServerOptions, vaultLoginFromEnvironment, VaultLockedError, type Attempt,
} from '../../receivers/node/src/index.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '0' }, 'identity-key': { type: 'string' },
    'authorized-custodians': { type: 'string' }, 'key-check': { type: 'string', multiple: true }, 'server-id': { type: 'string' },
  },
});

const vault = vaultLoginFromEnvironment(process.env);
const { privateKey } = await loadOrCreateIdentityKey(values['identity-key']!);
const receiver = createReceiver({
  serverId: values['server-id'] ?? 'node-app', identityKey: privateKey, authorizedCustodians: readFileSync(values['authorized-custodians']!, 'utf8'),
  keyChecks: values['key-check'] ?? [], ...(vault ? { vault } : {}),
});
receiver.on('attempt', (attempt: Attempt) => {
  const line = attempt.ok && attempt.event === 'unlock'
    ? { event: 'unlock', ok: true, key_ids: attempt.keyIds, ...(attempt.vaultLogin ? { vault_login: attempt.vaultLogin } : {}) }
    : { event: attempt.event, ok: attempt.ok, ...(attempt.ok ? {} : { error: attempt.error }) };
  process.stdout.write(`${JSON.stringify(line)}\n`);
});

const send = (response: import('node:http').ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  response.end(JSON.stringify(body));
};
const server = hardenServer(createServer(receiverServerOptions(), (request, response) => {
  const match = /^\/app\/secret\/([A-Za-z0-9_.-]+)$/.exec(request.url ?? '');
  if (!match) return receiver.handler(request, response, () => send(response, 404, { error: 'not_found' }));
  receiver.getSecret(match[1]!).then(
    (fields) => send(response, 200, { fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, createHash('sha256').update(v).digest('hex')])) }),
    (error: unknown) => (error instanceof VaultLockedError
      ? send(response, 503, { error: 'vault_locked', state: error.state })
      : send(response, 502, { error: 'vault_read_failed' })),
  );
}));
const stop = () => {
  receiver.lock();
  const revoked = receiver.core.vault?.waitRevoked() ?? Promise.resolve();
  server.close(() => void revoked.then(() => process.exit(0)));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
server.listen(Number(values.port), values.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://${values.host}:${port}/custodian`, identity: receiver.identity, server_id: receiver.serverId, boot_id: receiver.bootId, pid: process.pid })}\n`);
});
