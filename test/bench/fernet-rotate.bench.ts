// `custodian fernet rotate` on a large token file against Python `cryptography`'s MultiFernet.rotate loop over
// the same tokens, in the same run. Run with `npm run bench -- fernet-rotate`; FERNET_ROTATE_COUNT=100000 for a
// quick run (default 1,000,000 tokens of 200-byte plaintexts, about 360 MB, generated once per run).
//
// Rates are tokens per second of wall-clock time (the CLI's point is to use every core, so CPU time would hide
// it): for the CLI, the whole process from spawn to exit (start-up and keychain reads included); for Python, the
// rotate loop over the file, read and write included, interpreter start-up excluded. Peak memory is the CLI
// process's VmHWM, sampled from /proc while it runs. Goals (issue 11): >= 2x Python, peak < 200 MB.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fernet, decodeFernetKey } from '../../src-main/core/crypto/index.js';
import { tokenLines } from '../../src-main/core/token-file.js';
import { startKeyring } from '../support/keyring.js';
import { CLI } from '../support/run-cli.js';

const COUNT = Number(process.env['FERNET_ROTATE_COUNT'] ?? 1_000_000);
const PLAINTEXT_BYTES = 200;
const python = process.env['CUSTODIAN_TEST_PYTHON'];
if (!python) throw new Error('CUSTODIAN_TEST_PYTHON is not set: run `npm run bench -- fernet-rotate` (scripts/bench.mjs sets it up).');

const work = mkdtempSync(join(tmpdir(), 'custodian-bench-rotate-'));
const session = await startKeyring();
const env = { ...process.env, ...session.env };

function cli(args: string[]): Buffer {
  const run = spawnSync(process.execPath, [CLI, ...args], { env, timeout: 60_000 });
  if (run.status !== 0) throw new Error(`custodian ${args.slice(0, 2).join(' ')} failed: ${run.stderr.toString()}`);
  return run.stdout;
}

/** Writes COUNT tokens under `raw` to `path`, a block at a time (the bench itself stays small too). */
function generate(raw: Buffer, path: string): void {
  const fernet = new Fernet(raw);
  const fd = openSync(path, 'w', 0o600);
  const plaintext = randomBytes(PLAINTEXT_BYTES);
  for (let done = 0; done < COUNT;) {
    const block: Buffer[] = [];
    for (let i = 0; i < 10_000 && done < COUNT; i++, done++) {
      plaintext.writeUInt32BE(done, 0); // every plaintext differs
      block.push(fernet.encrypt(plaintext), Buffer.from('\n'));
    }
    writeSync(fd, Buffer.concat(block));
  }
  closeSync(fd);
  fernet.wipe();
}

/** Runs the CLI, sampling its VmHWM until it exits. */
function timedCli(args: string[]): Promise<{ seconds: number; peakBytes: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let peakKb = 0;
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setInterval(() => {
      void readFile(`/proc/${child.pid}/status`, 'utf8').then((status) => {
        peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0));
      }, () => undefined);
    }, 25);
    const deadline = setTimeout(() => child.kill('SIGKILL'), 20 * 60_000);
    child.once('error', reject);
    child.once('exit', (status) => {
      const seconds = (performance.now() - started) / 1000;
      clearInterval(timer);
      clearTimeout(deadline);
      if (status !== 0) reject(new Error(`custodian fernet rotate exited ${status}: ${stderr}`));
      else resolve({ seconds, peakBytes: peakKb * 1024 });
    });
  });
}

const PYTHON_ROTATE = String.raw`
import json, sys, time
from cryptography.fernet import Fernet, MultiFernet
import cryptography
new_key, old_key, src, dst = sys.argv[1:5]
multi = MultiFernet([Fernet(new_key), Fernet(old_key)])
started = time.perf_counter()
count = 0
with open(src, "rb") as fin, open(dst, "wb") as fout:
    for line in fin:
        fout.write(multi.rotate(line.rstrip(b"\r\n")) + b"\n")
        count += 1
print(json.dumps({"seconds": time.perf_counter() - started, "count": count, "version": cryptography.__version__}))
`;

/** A few lines of the CLI's output, checked under the new key (a fast result that is wrong is no result). */
function spotCheck(path: string, raw: Buffer): void {
  const fd = openSync(path, 'r');
  const head = Buffer.alloc(64 * 1024);
  const read = (position: number): Buffer => head.subarray(0, readSync(fd, head, 0, head.length, position));
  const fresh = new Fernet(raw);
  for (const position of [0, Math.floor(statSync(path).size / 2)]) {
    const lines = tokenLines(read(position)).slice(1, -1); // whole lines only
    for (const line of lines.slice(0, 5)) if (fresh.decrypt(line).length !== PLAINTEXT_BYTES) throw new Error('a rotated token has the wrong plaintext');
  }
  closeSync(fd);
  fresh.wipe();
}

try {
  const key = (name: string) => JSON.parse(cli(['--json', 'key', 'generate', '--name', name]).toString()).id as string;
  const oldId = key('bench-old');
  const newId = key('bench-new');
  const oldText = cli(['key', 'export', oldId, '--reveal']).toString().trim();
  const newText = cli(['key', 'export', newId, '--reveal']).toString().trim();
  const input = join(work, 'tokens.txt');
  let started = performance.now();
  generate(decodeFernetKey(oldText), input);
  const inputBytes = statSync(input).size;
  console.log(`generated ${COUNT.toLocaleString('en-US')} tokens of ${PLAINTEXT_BYTES}-byte plaintexts (${(inputBytes / 1e6).toFixed(0)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const ourOut = join(work, 'ours.txt');
  const ours = await timedCli(['fernet', 'rotate', '--key', newId, '--previous', oldId, '--in', input, '--out', ourOut]);
  spotCheck(ourOut, decodeFernetKey(newText));
  rmSync(ourOut);

  started = performance.now();
  const pyRun = spawnSync(python, ['-c', PYTHON_ROTATE, newText, oldText, input, join(work, 'python.txt')], { encoding: 'utf8', timeout: 30 * 60_000 });
  if (pyRun.status !== 0) throw new Error(`Python rotate failed: ${pyRun.stderr}`);
  const py = JSON.parse(pyRun.stdout) as { seconds: number; count: number; version: string };
  if (py.count !== COUNT) throw new Error(`Python rotated ${py.count} tokens, expected ${COUNT}`);

  const ourRate = COUNT / ours.seconds;
  const pyRate = COUNT / py.seconds;
  const rate = (r: number) => `${Math.round(r).toLocaleString('en-US')} tokens/s`;
  console.log('');
  console.log(`| side | time | rate | peak memory |`);
  console.log(`|------|------|------|-------------|`);
  console.log(`| custodian fernet rotate (${availableParallelism()} workers) | ${ours.seconds.toFixed(1)} s | ${rate(ourRate)} | ${(ours.peakBytes / 1e6).toFixed(0)} MB |`);
  console.log(`| Python cryptography ${py.version} MultiFernet.rotate | ${py.seconds.toFixed(1)} s | ${rate(pyRate)} | |`);
  console.log('');
  console.log(`ours/Python: ${(ourRate / pyRate).toFixed(2)}x`);
  const goals: Array<[string, boolean]> = [
    ['rotate >= 2x Python', ourRate >= 2 * pyRate],
    ['peak memory < 200 MB', ours.peakBytes < 200e6],
  ];
  for (const [goal, met] of goals) console.log(`  ${met ? 'met   ' : 'MISSED'}  ${goal}`);
  console.log(`\n(wall-clock rates; ${COUNT.toLocaleString('en-US')} tokens, ${(inputBytes / 1e6).toFixed(0)} MB; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
} finally {
  rmSync(work, { recursive: true, force: true });
  await session.stop();
}
