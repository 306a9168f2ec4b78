// Benchmark: how fast the `custodian` CLI starts, against OpenBao's `bao version` and a bare `node -e 0`,
// measured in the same run. Each run is a new process, as an officer's shell starts it (the OS file cache is
// warm, as it is for every command after the first). Goal (issue 9): `custodian --help` and `custodian key list`
// within 1.2x of `bao version`.
//
// Cases are interleaved round by round so that load from other work hits all of them alike; wall-clock medians
// are compared. Also measured, to show what each start-up measure buys: the first run with an empty compile
// cache, the compile cache turned off, and the unbundled CLI (tsc's output, ~180 modules instead of one file).
// Run with `npm run bench -- cli-startup`; CLI_BENCH_ROUNDS=N changes the number of rounds (default 25).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FileAuditLog } from '../../src-main/core/audit.js';
import { KeyStore, MemorySecretStore } from '../../src-main/core/keystore/index.js';
import { baoBinary } from '../support/openbao.js';

const ROUNDS = Number(process.env['CLI_BENCH_ROUNDS'] ?? 25);
const WARMUP = 3;
const GOAL = 1.2;
const root = resolve(import.meta.dirname, '..', '..', '..');
const cli = join(root, 'bin', 'custodian.js');
const unbundled = join(root, 'dist', 'src-main', 'cli', 'launch.js');

interface Case { name: string; command: string; args: string[]; env?: Record<string, string>; check?: (stdout: string) => boolean }

const work = mkdtempSync(join(tmpdir(), 'custodian-startup-bench-'));
const home = join(work, 'home');
const custodianHome = join(work, 'custodian');
const cache = join(work, 'cache');
const baseEnv: Record<string, string> = {
  PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, CUSTODIAN_HOME: custodianHome, XDG_CACHE_HOME: cache,
  CUSTODIAN_KEYCHAIN_SERVICE: 'custodian-startup-bench', LANG: 'C.UTF-8',
};

/** Wall-clock milliseconds of one run; fails the benchmark if the command fails or prints the wrong thing. */
function once(c: Case, extraEnv: Record<string, string> = {}): number {
  const started = performance.now();
  const run = spawnSync(c.command, c.args, { env: { ...baseEnv, ...c.env, ...extraEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  const elapsed = performance.now() - started;
  if (run.status !== 0 || (c.check && !c.check(run.stdout))) throw new Error(`${c.name} failed (exit ${run.status}): ${run.stderr.slice(0, 500)}`);
  return elapsed;
}

/** CPU time (user + system) of all finished children of this process so far, in ms (Linux: /proc/self/stat). */
function childrenCpuMs(): number | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  // After "pid (comm) ": state is field 3, cutime and cstime are fields 16 and 17 (clock ticks, 100 per second).
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (value: number): string => `${value.toFixed(0)} ms`;

async function main(): Promise<void> {
  // A custodian home with five keys, so that `key list` reads and validates a real keys.json.
  const store = new KeyStore({ secrets: new MemorySecretStore(), home: custodianHome, audit: new FileAuditLog(custodianHome, { secrets: new MemorySecretStore() }) });
  for (const name of ['orders-db', 'billing-db', 'mail-helper', 'reports', 'archive']) await store.generate(name);

  const bao = baoBinary();
  const cases: Case[] = [
    { name: 'node -e 0', command: process.execPath, args: ['-e', '0'] },
    { name: 'bao version', command: bao, args: ['version'], check: (out) => out.includes('OpenBao') },
    { name: 'custodian --help', command: process.execPath, args: [cli, '--help'], check: (out) => out.includes('Usage: custodian') },
    { name: 'custodian key list', command: process.execPath, args: [cli, 'key', 'list'], check: (out) => out.trim().split('\n').length === 5 },
  ];
  const times = new Map(cases.map((c) => [c.name, [] as number[]]));
  const cpu = new Map(cases.map((c) => [c.name, 0]));
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    for (const c of cases) {
      const before = childrenCpuMs();
      const elapsed = once(c);
      const after = childrenCpuMs();
      if (round < WARMUP) continue;
      times.get(c.name)!.push(elapsed);
      if (before !== undefined && after !== undefined) cpu.set(c.name, cpu.get(c.name)! + after - before);
    }
  }

  // What the start-up measures buy: the same `--help`, without each of them (interleaved with the bundled run).
  const help = cases[2]!;
  const variants: Array<[string, () => number]> = [
    ['custodian --help, first run (empty compile cache)', () => once(help, { NODE_COMPILE_CACHE: mkdtempSync(join(work, 'cc-')) })],
    ['custodian --help, compile cache off', () => once(help, { NODE_DISABLE_COMPILE_CACHE: '1' })],
    ['custodian --help, unbundled (dist/src-main), cached', () => once({ ...help, args: [unbundled, '--help'] })],
  ];
  const variantTimes = new Map(variants.map(([name]) => [name, [] as number[]]));
  for (let round = 0; round < Math.max(5, Math.floor(ROUNDS / 2)); round++) {
    for (const [name, run] of variants) variantTimes.get(name)!.push(run());
  }

  const baoMedian = median(times.get('bao version')!);
  process.stdout.write(`Node ${process.version}, ${ROUNDS} interleaved rounds after ${WARMUP} warm-up rounds; wall-clock per run.\n\n`);
  process.stdout.write('| command | median | min | CPU per run | / bao version | goal |\n|---|---|---|---|---|---|\n');
  for (const c of cases) {
    const values = times.get(c.name)!;
    const ratio = median(values) / baoMedian;
    const goal = c.name.startsWith('custodian') ? (ratio <= GOAL ? `<= ${GOAL}x: **met**` : `<= ${GOAL}x: **missed**`) : '';
    process.stdout.write(`| \`${c.name}\` | ${ms(median(values))} | ${ms(Math.min(...values))} | ${ms(cpu.get(c.name)! / values.length)} | ${ratio.toFixed(2)}x | ${goal} |\n`);
  }
  process.stdout.write('\n| variant | median | / bao version |\n|---|---|---|\n');
  for (const [name, values] of variantTimes) process.stdout.write(`| ${name} | ${ms(median(values))} | ${(median(values) / baoMedian).toFixed(2)}x |\n`);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
