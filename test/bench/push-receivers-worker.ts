// One process hosting many lightweight Node receivers (one port each) for the push benchmark.
//   node push-receivers-worker.js COUNT CUSTODIAN_FINGERPRINT KEY_ID
// stdout: one JSON line {"receivers": [{url, identity, serverId}]}; then answers stdin commands, one per line:
//   cpu  -> {"cpu": microseconds of user+system CPU so far, "user": the user part, "unlocked": receivers unlocked}
//   lock -> locks every receiver (new boot), then {"locked": true}
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { createReceiver, type Receiver } from '../../receivers/node/src/index.js';

const [countText, custodian, keyCheck] = process.argv.slice(2);
const count = Number(countText);
const receivers: Receiver[] = [];
const listed: { url: string; identity: string; serverId: string }[] = [];

for (let i = 0; i < count; i++) {
  const receiver = createReceiver({
    serverId: `bench-${process.pid}-${i}`,
    identityKey: generateKeyPairSync('ed25519').privateKey,
    authorizedCustodians: [custodian!],
    keyChecks: [keyCheck!],
  });
  const server = createServer(receiver.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  receivers.push(receiver);
  listed.push({ url: `http://127.0.0.1:${port}/custodian`, identity: receiver.identity, serverId: receiver.serverId });
}
process.stdout.write(`${JSON.stringify({ receivers: listed })}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'cpu') {
    const cpu = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpu: cpu.user + cpu.system, user: cpu.user, unlocked: receivers.filter((r) => r.state === 'unlocked').length })}\n`);
  } else if (line === 'lock') {
    for (const receiver of receivers) receiver.lock();
    process.stdout.write(`${JSON.stringify({ locked: true })}\n`);
  } else if (line === 'exit') {
    process.exit(0);
  }
}
