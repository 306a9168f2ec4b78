// Fernet throughput, side by side in one run: ours vs Python's `cryptography`, npm fernet@0.4.0 and the
// OpenSSL single-thread ceiling. Run with `npm run bench -- fernet` (bounded to well under a minute).
//
// Rates are operations per second of CPU time (user + system) of the measuring process, on every side, as
// `openssl speed` reports by default: other processes competing for the cores then change the numbers far less
// than wall-clock timing would. Each side is measured in a few alternating rounds and the best round counts.
// A wall-clock cap per measurement keeps the run bounded on a busy machine. npm fernet patches
// String.prototype, so it runs in its own child process.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Fernet, generateFernetKey, encodeFernetKey } from '../../src-main/core/crypto/index.js';

const SMALL = 100;
const LARGE = 1 << 20;
const ROUNDS = 3;
/** CPU seconds per measurement; each one also stops after WALL_CAP times as many wall-clock seconds. */
const SECONDS = { [SMALL]: 0.3, [LARGE]: 0.5 } as Record<number, number>;
const WALL_CAP = 3;

type Op = 'encrypt' | 'decrypt';
type Rates = Record<string, number>; // `${op} ${size}` -> operations per second
const caseName = (op: Op, size: number) => `${op} ${size}`;

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const cpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

/** Operations per CPU second of `fn`, run for about `seconds` of CPU time after a short warm-up. */
function rate(fn: () => unknown, seconds: number): number {
  const warmUntil = performance.now() + seconds * 150;
  do fn(); while (performance.now() < warmUntil);
  gc();
  let count = 0;
  const cpuStart = cpuSeconds();
  const wallEnd = performance.now() + seconds * 1000 * WALL_CAP;
  let used = 0;
  while (used < seconds && performance.now() < wallEnd) {
    fn();
    count++;
    if ((count & 7) === 0 || seconds > 0.4) used = cpuSeconds() - cpuStart;
  }
  return count / (cpuSeconds() - cpuStart);
}

function oursRound(): Rates {
  const rates: Rates = {};
  const fernet = new Fernet(generateFernetKey());
  for (const size of [SMALL, LARGE]) {
    const plaintext = randomBytes(size);
    const token = fernet.encrypt(plaintext);
    rates[caseName('encrypt', size)] = rate(() => fernet.encrypt(plaintext), SECONDS[size]!);
    rates[caseName('decrypt', size)] = rate(() => fernet.decrypt(token), SECONDS[size]!);
  }
  return rates;
}

const PYTHON_TIMING = String.raw`
import json, os, sys, time
from cryptography.fernet import Fernet
job = json.load(sys.stdin)
f = Fernet(Fernet.generate_key())
def rate(fn, seconds):
    warm = time.perf_counter() + seconds * 0.15
    while time.perf_counter() < warm: fn()
    count, cpu_start = 0, time.process_time()
    wall_end = time.perf_counter() + seconds * job["wallCap"]
    used = 0.0
    while used < seconds and time.perf_counter() < wall_end:
        fn(); count += 1; used = time.process_time() - cpu_start
    return count / (time.process_time() - cpu_start)
rates = {}
for size, seconds in job["cases"]:
    data = os.urandom(size)
    token = f.encrypt(data)
    rates["encrypt %d" % size] = rate(lambda: f.encrypt(data), seconds)
    rates["decrypt %d" % size] = rate(lambda: f.decrypt(token), seconds)
import cryptography
print(json.dumps({"version": cryptography.__version__, "rates": rates}))
`;

function pythonRound(): { version: string; rates: Rates } {
  const python = process.env.CUSTODIAN_TEST_PYTHON;
  if (!python) throw new Error('CUSTODIAN_TEST_PYTHON is not set: run `npm run bench -- fernet` (scripts/bench.mjs sets it up).');
  const job = { cases: [SMALL, LARGE].map((size) => [size, SECONDS[size]]), wallCap: WALL_CAP };
  const result = spawnSync(python, ['-c', PYTHON_TIMING], { input: JSON.stringify(job), encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`Python timing failed: ${result.stderr || result.error}`);
  return JSON.parse(result.stdout) as { version: string; rates: Rates };
}

// npm fernet handles UTF-8 strings only, so it gets ASCII text of the same sizes. It also runs the spec's
// invalid vectors that need no clock, to show why it is not used to decide validity.
const NPM_FERNET_TIMING = String.raw`
const { createRequire } = require('node:module');
const requireFromProject = createRequire(process.cwd() + '/package.json');
const fernet = requireFromProject('fernet');
const version = requireFromProject('fernet/package.json').version;
const job = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const secret = new fernet.Secret(job.key);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
function rate(fn, seconds) {
  const warm = performance.now() + seconds * 150; do fn(); while (performance.now() < warm);
  let count = 0; const start = cpu(); const wallEnd = performance.now() + seconds * 1000 * job.wallCap; let used = 0;
  while (used < seconds && performance.now() < wallEnd) { fn(); count++; used = cpu() - start; }
  return count / (cpu() - start);
}
const out = { version, rates: {} };
for (const [size, seconds] of job.cases) {
  const message = 'x'.repeat(size);
  const token = new fernet.Token({ secret, ttl: 0 }).encode(message);
  out.rates['encrypt ' + size] = rate(() => new fernet.Token({ secret, ttl: 0 }).encode(message), seconds);
  out.rates['decrypt ' + size] = rate(() => new fernet.Token({ secret, token, ttl: 0 }).decode(), seconds);
}
out.acceptedInvalid = [];
for (const vector of job.invalid) {
  try {
    new fernet.Token({ secret: new fernet.Secret(vector.secret), token: vector.token, ttl: 0 }).decode();
    out.acceptedInvalid.push(vector.desc);
  } catch {}
}
out.invalidTried = job.invalid.length;
console.log(JSON.stringify(out));
`;

interface NpmFernetResult { version: string; rates: Rates; acceptedInvalid: string[]; invalidTried: number }

function npmFernet(): NpmFernetResult {
  const vectorsFile = process.env.CUSTODIAN_TEST_VECTORS ? join(process.env.CUSTODIAN_TEST_VECTORS, 'fernet', 'invalid.json') : '';
  const invalid = existsSync(vectorsFile)
    ? (JSON.parse(readFileSync(vectorsFile, 'utf8')) as Array<{ desc: string }>).filter((v) => !/TTL|clock skew/i.test(v.desc))
    : [];
  const job = { key: encodeFernetKey(generateFernetKey()).toString('latin1'), cases: [[SMALL, 0.3], [LARGE, 1]], invalid, wallCap: WALL_CAP };
  const result = spawnSync(process.execPath, ['-e', NPM_FERNET_TIMING], { input: JSON.stringify(job), encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`npm fernet timing failed: ${result.stderr || result.error}`);
  return JSON.parse(result.stdout) as NpmFernetResult;
}

/** Bytes per second of `openssl speed -evp ALG` on 16 KiB blocks, single thread. */
function opensslSpeed(algorithm: 'aes-128-cbc' | 'sha256'): number {
  const result = spawnSync('openssl', ['speed', '-seconds', '1', '-bytes', '16384', '-evp', algorithm], { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`openssl speed failed: ${result.stderr || result.error}`);
  const line = result.stdout.split('\n').find((l) => l.toLowerCase().startsWith(algorithm));
  const value = line?.trim().split(/\s+/).at(-1);
  if (!value || !value.endsWith('k')) throw new Error(`cannot read openssl speed output:\n${result.stdout}`);
  return Number.parseFloat(value) * 1000;
}

function best(rounds: Rates[]): Rates {
  const out: Rates = {};
  for (const rates of rounds) for (const [name, value] of Object.entries(rates)) out[name] = Math.max(out[name] ?? 0, value);
  return out;
}

const started = performance.now();
const oursRounds: Rates[] = [];
const pythonRounds: Rates[] = [];
let pythonVersion = '?';
for (let round = 0; round < ROUNDS; round++) {
  oursRounds.push(oursRound());
  gc();
  const python = pythonRound();
  pythonVersion = python.version;
  pythonRounds.push(python.rates);
}
const ours = best(oursRounds);
const python = best(pythonRounds);
const npmResult = npmFernet();
const npm = npmResult.rates;
const aes = opensslSpeed('aes-128-cbc');
const sha = opensslSpeed('sha256');
const ceiling = 1 / (1 / aes + 1 / sha);

const mb = (bytesPerSecond: number) => `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
const ops = (perSecond: number) => `${Math.round(perSecond).toLocaleString('en-US')} op/s`;
const show = (size: number, perSecond: number) => (size === SMALL ? ops(perSecond) : mb(perSecond * size));
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

const rows: string[][] = [['case', 'ours', `Python cryptography ${pythonVersion}`, 'ours/Python', `npm fernet ${npmResult.version}`, 'ours/npm']];
for (const size of [SMALL, LARGE]) {
  for (const op of ['encrypt', 'decrypt'] as Op[]) {
    const name = caseName(op, size);
    const label = `${op} ${size === SMALL ? '100 B' : '1 MiB'}`;
    rows.push([label, show(size, ours[name]!), show(size, python[name]!), ratio(ours[name]!, python[name]!), show(size, npm[name]!), ratio(ours[name]!, npm[name]!)]);
  }
}
const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
console.log(line(rows[0]!));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows.slice(1)) console.log(line(row));

const encryptLarge = ours[caseName('encrypt', LARGE)]! * LARGE;
const decryptLarge = ours[caseName('decrypt', LARGE)]! * LARGE;
console.log('');
console.log(`OpenSSL ${spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout.trim()}, single thread, 16 KiB blocks:`);
console.log(`  aes-128-cbc ${mb(aes)}, sha256 ${mb(sha)}, combined Fernet ceiling 1/(1/aes + 1/sha) = ${mb(ceiling)}`);
console.log(`  ours, 1 MiB encrypt: ${mb(encryptLarge)} = ${((100 * encryptLarge) / ceiling).toFixed(0)}% of the ceiling; decrypt ${mb(decryptLarge)}`);
if (npmResult.invalidTried > 0) {
  console.log(`npm fernet ${npmResult.version} accepted ${npmResult.acceptedInvalid.length} of ${npmResult.invalidTried} clock-independent invalid spec vectors: ${npmResult.acceptedInvalid.join('; ') || 'none'}`);
}

const goals: Array<[string, boolean]> = [
  ['1 MiB encrypt >= 3x Python', ours[caseName('encrypt', LARGE)]! >= 3 * python[caseName('encrypt', LARGE)]!],
  ['1 MiB decrypt >= 3x Python', ours[caseName('decrypt', LARGE)]! >= 3 * python[caseName('decrypt', LARGE)]!],
  ['100 B encrypt >= 2.5x Python', ours[caseName('encrypt', SMALL)]! >= 2.5 * python[caseName('encrypt', SMALL)]!],
  ['100 B decrypt >= 2.5x Python', ours[caseName('decrypt', SMALL)]! >= 2.5 * python[caseName('decrypt', SMALL)]!],
  ['1 MiB encrypt >= 70% of the OpenSSL ceiling', encryptLarge >= 0.7 * ceiling],
];
console.log('');
for (const [goal, met] of goals) console.log(`  ${met ? 'met   ' : 'MISSED'}  ${goal}`);
console.log(`\n(rates per CPU second; ${ROUNDS} alternating rounds, best round each; ${((performance.now() - started) / 1000).toFixed(1)} s wall, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
