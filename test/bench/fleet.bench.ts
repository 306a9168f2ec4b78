// `npm run bench -- fleet`: push to a fleet of 1,000 receivers (issue 10 §6). One child process hosts the fleet
// (test/bench/fleet-receivers-worker.ts: 1,000 real http listeners on loopback, each the Node receiver library's
// ReceiverCore + createHandler); the fleet is pinned in a temp custodian home; the core's pushKeys (what
// `custodian push --all` runs) unlocks all of them with receipts and audit entries written to that home.
//   1. two rounds with every receiver healthy: wall time (goal < 3 s), failures (must be 0);
//   2. a round with 10 % of the fleet degraded (half answer 5 s late, half closed ports): how much later the
//      healthy 90 % finish (goal: at most 1 s later than in the healthy round), both when each one's answer
//      arrived (timed around every request) and when its result was recorded (the audit entry's time).
// FLEET_SIZE=N changes the size (default 1000); FLEET_RECEIPTS=0 leaves out the receipt log (to see its cost);
// FLEET_CONCURRENCY=N sets the in-flight bound; FLEET_PAIRS=N the number of degraded pairs (default 3).
// Bounded: the run stops after 300 s whatever happens.
import { spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FileAuditLog } from '../../src-main/core/audit.js';
import { keyId } from '../../src-main/core/crypto/index.js';
import { AuditTail } from '../../src-main/core/monitor/index.js';
import { MemorySecretStore } from '../../src-main/core/keystore/index.js';
import {
  DEFAULT_CONCURRENCY, ReceiptLog, ServerRegistry, callReceiver, fingerprintOf, pushKeys, type CallReceiver, type CustodianSigner, type PushResult,
} from '../../src-main/core/push/index.js';

const SIZE = Number(process.env['FLEET_SIZE'] ?? 1000);
const DEGRADED = Math.round(SIZE / 10);
const SLOW = Math.floor(DEGRADED / 2);
const DOWN = DEGRADED - SLOW;
const SLOW_MS = 5000;
const DEGRADED_PAIRS = Number(process.env['FLEET_PAIRS'] ?? 3);
/** FLEET_CONCURRENCY=N: the in-flight bound (default: the core's DEFAULT_CONCURRENCY, printed below). */
const CONCURRENCY = process.env['FLEET_CONCURRENCY'] ? Number(process.env['FLEET_CONCURRENCY']) : undefined;

let phase = 'starting the fleet';
let child: ChildProcess | undefined = undefined;
const home = mkdtempSync(join(tmpdir(), 'custodian-fleet-'));
function stop(reason: string): never {
  process.stderr.write(`fleet benchmark stopped: ${reason} (phase: ${phase})\n`);
  child?.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
  process.exit(1);
}
const watchdog = setTimeout(() => stop('no result within 300 s'), 300_000);

// Every receiver is a listening socket plus, while a push runs, an accepted connection: the fleet process needs
// about 2 x SIZE descriptors (the custodian about SIZE without a concurrency bound). Say so instead of failing
// with EMFILE halfway.
const softLimit = Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? Infinity);
if (softLimit < 2 * SIZE + 100) stop(`the open-files limit is ${softLimit}; ${SIZE} receivers need about ${2 * SIZE + 100}: run \`ulimit -n ${Math.max(4096, 2 * SIZE + 100)}\` first`);

const signerKey = generateKeyPairSync('ed25519').privateKey;
const signerRaw = Buffer.from(createPublicKey(signerKey).export({ format: 'jwk' }).x as string, 'base64url');
const signer: CustodianSigner = { privateKey: signerKey, publicRaw: signerRaw, fingerprint: fingerprintOf(signerRaw) };
const dataKey = randomBytes(32);

const fleet = spawn(process.execPath, [fileURLToPath(new URL('./fleet-receivers-worker.js', import.meta.url)), String(SIZE), signer.fingerprint, keyId(dataKey)], { stdio: ['pipe', 'pipe', 'inherit'] });
let finished = false;
child = fleet;
fleet.on('exit', (code, signal) => { if (!finished) stop(`the fleet process exited (${signal ?? code})`); });
const lines = createInterface({ input: fleet.stdout });
const queue: string[] = [];
const waiting: ((line: string) => void)[] = [];
lines.on('line', (line) => { const w = waiting.shift(); if (w) w(line); else queue.push(line); });
const next = () => new Promise<Record<string, unknown>>((resolve) => {
  const take = (line: string) => resolve(JSON.parse(line) as Record<string, unknown>);
  const queued = queue.shift();
  if (queued !== undefined) take(queued); else waiting.push(take);
});
const send = (command: string) => { fleet.stdin.write(`${command}\n`); return next(); };

const openFiles = () => readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))?.replace(/\s+/g, ' ').trim() ?? '?';
const fds = () => readdirSync('/proc/self/fd').length;
const quantile = (values: number[], q: number) => { const s = [...values].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : Number.NaN; };
const ms = (v: number) => `${v.toFixed(0)} ms`;

interface Round { wall: number; results: PushResult[]; answered: Map<string, number>; recorded: Map<string, number>; fleetCpu: number; ownCpu: number; fleetFds: number; ownFds: number }

try {
  const started = performance.now();
  const { receivers } = await next() as { receivers: { url: string; identity: string; serverId: string }[] };
  const fleetStart = performance.now() - started;
  // Pinned as `custodian server add` would, written at once (1,000 adds would rewrite servers.json 1,000 times).
  writeFileSync(join(home, 'servers.json'), JSON.stringify({ version: 1, servers: receivers.map((r) => ({ name: r.serverId, url: r.url, identity: r.identity, serverId: r.serverId, added: new Date().toISOString() })) }), { mode: 0o600 });
  const servers = await new ServerRegistry(home).select([], true);
  const audit = new FileAuditLog(home, { secrets: new MemorySecretStore() });
  const receipts = process.env['FLEET_RECEIPTS'] === '0' ? undefined : new ReceiptLog(home);
  let peakOwnFds = 0;

  const round = async (label: string, targets = servers): Promise<Round> => {
    phase = label;
    watchdog.refresh();
    const answered = new Map<string, number>();
    const tail = await AuditTail.atEnd(audit.path);
    // Open descriptors sampled every 100 ms, not per request: listing /proc/self/fd with ~1,000 sockets open costs
    // ~1 ms, which per request was a third of the custodian CPU this bench reported (found with --cpu-prof).
    const sampler = setInterval(() => { peakOwnFds = Math.max(peakOwnFds, fds()); }, 100);
    const cpuBefore = (await send('cpu'))['cpu'] as number;
    const ownBefore = process.cpuUsage();
    const t0 = performance.now();
    const epoch0 = Date.now();
    // Times every request: a server's answer time is when its last request (status or unlock) ended.
    const call: CallReceiver = async (...args: Parameters<CallReceiver>) => {
      try {
        return await callReceiver(...args);
      } finally {
        answered.set(args[0].name, performance.now() - t0);
      }
    };
    const results = await pushKeys({ servers: targets, keys: [dataKey], signer, ...(receipts ? { receipts } : {}), audit, call, ...(CONCURRENCY ? { concurrency: CONCURRENCY } : {}) });
    const wall = performance.now() - t0;
    const own = process.cpuUsage(ownBefore);
    clearInterval(sampler);
    const after = await send('cpu');
    const recorded = new Map<string, number>();
    for (const entry of await tail.next()) if (entry.action === 'push' && typeof entry['server'] === 'string') recorded.set(entry['server'], Date.parse(String(entry.time)) - epoch0);
    return { wall, results, answered, recorded, fleetCpu: ((after['cpu'] as number) - cpuBefore) / 1000, ownCpu: (own.user + own.system) / 1000, fleetFds: after['fds'] as number, ownFds: peakOwnFds };
  };

  const healthy: Round[] = [];
  for (const label of ['healthy round 1 (warm-up)', 'healthy round 2']) {
    const r = await round(label);
    const failures = r.results.filter((x) => x.outcome !== 'unlocked');
    if (failures.length > 0) throw new Error(`${label}: ${failures.length} failures, e.g. ${JSON.stringify(failures[0])}`);
    healthy.push(r);
    await send('lock');
  }
  const { slow, down } = await send(`degrade ${SLOW} ${DOWN} ${SLOW_MS}`) as { slow: string[]; down: string[] };
  const bad = new Set([...slow, ...down]);
  const healthyServers = servers.filter((s) => !bad.has(s.name));
  const healthyNames = healthyServers.map((s) => s.name);
  // Alternating, so machine load hits both alike: the healthy 90 % alone (the reference), then the whole fleet
  // with the degraded 10 %. The difference in when the healthy ones are done is what the slow and dead cost them.
  const alone: Round[] = [];
  const degraded: Round[] = [];
  for (let i = 1; i <= DEGRADED_PAIRS; i++) {
    alone.push(await round(`healthy ${healthyNames.length} alone, pair ${i}`, healthyServers));
    await send('lock');
    degraded.push(await round(`whole fleet with ${DEGRADED} degraded, pair ${i}`));
    await send('lock');
  }
  const pick = (m: Map<string, number>, names: string[]) => names.map((n) => m.get(n) ?? Number.NaN);
  const kindOf = (server: string) => (slow.includes(server) ? 'slow' : down.includes(server) ? 'down' : 'healthy');
  const outcomes = (r: Round) => {
    const count = new Map<string, number>();
    for (const x of r.results) {
      const key = `${kindOf(x.server)} ${x.outcome}${x.error ? ` ${x.error.code}` : ''}`;
      count.set(key, (count.get(key) ?? 0) + 1);
    }
    return [...count].map(([k, v]) => `${k}: ${v}`).join(', ');
  };
  if (degraded.some((r) => r.results.some((x) => kindOf(x.server) === 'healthy' && x.outcome !== 'unlocked'))) throw new Error('a healthy server was not unlocked in a degraded round');
  const median = (values: number[]) => { const v = [...values].sort((a, b) => a - b); const m = Math.floor(v.length / 2); return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2; };
  const lastHealthy = (r: Round) => quantile(pick(r.answered, healthyNames), 1);
  const answerDelays = degraded.map((r, i) => lastHealthy(r) - lastHealthy(alone[i]!));
  const answerDelay = median(answerDelays);
  // How long after its answer each healthy server's result was recorded (receipt + audit entry): a crash or
  // Ctrl-C in that window loses it.
  const lags = (r: Round) => healthyNames.map((n) => (r.recorded.get(n) ?? Number.NaN) - (r.answered.get(n) ?? Number.NaN));
  const recordLag = median(degraded.map((r) => quantile(lags(r), 1)));
  const base = healthy[1]!;
  const baseAnswers = pick(base.answered, servers.map((s) => s.name));
  const out = [
    `machine: ${cpus().length} cores, load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}; ${openFiles()} (bench process)`,
    `fleet: ${SIZE} receivers in one process (ReceiverCore + createHandler, one http server each on 127.0.0.1:0), started in ${ms(fleetStart)}; receipts ${receipts ? 'recorded' : 'NOT recorded (FLEET_RECEIPTS=0)'}; servers in flight at most ${CONCURRENCY ?? DEFAULT_CONCURRENCY}`,
    ...healthy.map((r, i) => `healthy round ${i + 1}: wall ${ms(r.wall)} (goal < 3000 ms: ${r.wall < 3000 ? 'MET' : 'MISSED'}), failures 0; custodian CPU ${ms(r.ownCpu)} (${(r.ownCpu / SIZE).toFixed(2)} ms per server), fleet CPU ${ms(r.fleetCpu)} (${(r.fleetCpu / SIZE).toFixed(2)} ms per unlock); open fds: fleet ${r.fleetFds}, custodian peak ${r.ownFds}`),
    `  per-server answer time (healthy round 2): p50 ${ms(median(baseAnswers))}, p99 ${ms(quantile(baseAnswers, 0.99))}, max ${ms(quantile(baseAnswers, 1))}`,
    `degraded (${SLOW} answer ${SLOW_MS} ms late, ${DOWN} closed ports), ${DEGRADED_PAIRS} pairs of rounds:`,
    ...alone.map((r, i) => `  pair ${i + 1}: healthy ${healthyNames.length} alone: wall ${ms(r.wall)}, last answer ${ms(lastHealthy(r))} | whole fleet: wall ${ms(degraded[i]!.wall)}, last healthy answer ${ms(lastHealthy(degraded[i]!))}, healthy p50 ${ms(median(pick(degraded[i]!.answered, healthyNames)))}; ${outcomes(degraded[i]!)}`),
    `  delay of the healthy servers by the degraded ones (last healthy answer, whole fleet - healthy alone), median: ${ms(answerDelay)} (goal <= 1000 ms: ${answerDelay <= 1000 ? 'MET' : 'MISSED'})`,
    `  result recorded after the answer (receipt + audit entry), slowest healthy server, median: ${ms(recordLag)} (goal <= 1000 ms: ${recordLag <= 1000 ? 'MET' : 'MISSED'})`,
    `  custodian CPU per whole-fleet round ${ms(median(degraded.map((r) => r.ownCpu)))}, fleet CPU ${ms(median(degraded.map((r) => r.fleetCpu)))}; open fds: fleet ${degraded.at(-1)!.fleetFds}, custodian peak ${degraded.at(-1)!.ownFds}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
} catch (error) {
  stop(error instanceof Error ? error.message : String(error));
} finally {
  finished = true;
  clearTimeout(watchdog);
  fleet.kill();
  rmSync(home, { recursive: true, force: true });
}
