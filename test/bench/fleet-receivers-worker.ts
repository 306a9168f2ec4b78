// One process hosting a fleet of Node receivers for the fleet benchmark: each is the receiver library's own parts
// (ReceiverCore + createHandler from receivers/node/src) behind its own http server on its own loopback port.
//   node fleet-receivers-worker.js COUNT CUSTODIAN_FINGERPRINT KEY_ID
// stdout: one JSON line {"receivers": [{url, identity, serverId}]}; then answers stdin commands, one per line:
//   cpu                  -> {"cpu": µs of user+system CPU so far, "unlocked": receivers unlocked, "fds": open fds}
//   lock                 -> locks every receiver (new boot): {"locked": true}
//   degrade SLOW DOWN MS -> the first SLOW receivers answer every request MS later, the next DOWN close their
//                           port (connections refused): {"slow": [serverId], "down": [serverId]}
//   exit
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createInterface } from 'node:readline';
import { ReceiverCore } from '../../receivers/node/src/core.js';
import { createHandler, type RequestHandler } from '../../receivers/node/src/http.js';

const [countText, custodian, keyCheck] = process.argv.slice(2);
const count = Number(countText);
if (!Number.isInteger(count) || count < 1 || count > 5000) throw new Error('COUNT must be 1..5000');

/**
 * createHandler(core, options, onAnswer): revision 2 takes `{ basePath }`, revision 1 took the base path string.
 * Both are accepted while issue 10's branches are merged (the old one throws a TypeError on an object).
 */
function handlerFor(core: ReceiverCore): RequestHandler {
  const make = createHandler as unknown as (core: ReceiverCore, options: unknown, onAnswer: () => void) => RequestHandler;
  try {
    return make(core, { basePath: '/custodian' }, () => undefined);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return make(core, '/custodian', () => undefined);
  }
}

interface Member { core: ReceiverCore; server: Server; slowMs: number }
const members: Member[] = [];
const listed: { url: string; identity: string; serverId: string }[] = [];

for (let i = 0; i < count; i++) {
  const core = new ReceiverCore({
    serverId: `fleet-${i}`,
    identityKey: generateKeyPairSync('ed25519').privateKey,
    authorizedCustodians: [custodian!],
    keyChecks: [keyCheck!],
  });
  const handler = handlerFor(core);
  const member: Member = { core, server: createServer(), slowMs: 0 };
  member.server.on('request', (request, response) => {
    if (member.slowMs > 0) setTimeout(() => handler(request, response), member.slowMs);
    else handler(request, response);
  });
  await new Promise<void>((resolve) => member.server.listen(0, '127.0.0.1', resolve));
  const address = member.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  members.push(member);
  listed.push({ url: `http://127.0.0.1:${port}/custodian`, identity: core.identity, serverId: core.serverId });
}
process.stdout.write(`${JSON.stringify({ receivers: listed })}\n`);

const openFds = () => { try { return readdirSync('/proc/self/fd').length; } catch { return -1; } };

for await (const line of createInterface({ input: process.stdin })) {
  const [command, ...args] = line.trim().split(/\s+/);
  if (command === 'cpu') {
    const cpu = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpu: cpu.user + cpu.system, unlocked: members.filter((m) => m.core.state === 'unlocked').length, fds: openFds() })}\n`);
  } else if (command === 'lock') {
    for (const member of members) member.core.lock();
    process.stdout.write(`${JSON.stringify({ locked: true })}\n`);
  } else if (command === 'degrade') {
    const [slow, down, ms] = args.map(Number) as [number, number, number];
    const slowIds: string[] = [];
    const downIds: string[] = [];
    members.forEach((member, i) => {
      if (i < slow) {
        member.slowMs = ms;
        slowIds.push(member.core.serverId);
      } else if (i < slow + down) {
        member.server.close();
        member.server.closeAllConnections();
        downIds.push(member.core.serverId);
      }
    });
    process.stdout.write(`${JSON.stringify({ slow: slowIds, down: downIds })}\n`);
  } else if (command === 'exit') {
    process.exit(0);
  }
}
