// Backup benchmark: a 3-of-5 SLIP-39 split of a data key with 5 PDF sheets, and a restore from 3 shares.
// Run with `npm run bench -- backup` (bounded: a few rounds, well under a minute).
//
// Goals (issue #8): split + 5 sheets in under 2 s of wall time; restore in under 200 ms of CPU time. Reported as
// ratios against those goals, and against Trezor's reference implementation (Python `shamir-mnemonic`, the same
// split and recombination with the same iteration exponent) timed inside the same run.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeShareSheets, type Slip39Sheet } from '../../src-main/core/backup/sheets.js';
import { recoverKey, splitKey } from '../../src-main/core/backup/slip39.js';
import { generateFernetKey } from '../../src-main/core/crypto/index.js';

const ROUNDS = Number(process.env['BACKUP_BENCH_ROUNDS'] ?? 5);
const HOLDERS = ['Ana', 'Ben', 'Cem', 'Dana', 'Eli'];

const cpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function splitWithSheets(dir: string): Promise<{ wallMs: number; mnemonics: string[] }> {
  const key = generateFernetKey();
  const started = performance.now();
  const split = splitKey(key, { threshold: 3, shares: 5 });
  const sheets: Slip39Sheet[] = split.shares.map((share) => ({
    kind: 'slip39', holder: HOLDERS[share.index - 1]!, index: share.index, total: 5, threshold: 3, date: new Date(),
    keyName: 'orders-db', keyId: split.keyId, words: share.words, passphraseProtected: false,
  }));
  await writeShareSheets(dir, 'orders-db', sheets);
  const wallMs = performance.now() - started;
  key.fill(0);
  return { wallMs, mnemonics: split.shares.map((share) => share.mnemonic) };
}

function restoreCpuMs(mnemonics: string[]): number {
  const before = cpuMs();
  const restored = recoverKey(mnemonics.slice(0, 3));
  const spent = cpuMs() - before;
  restored.rawKey.fill(0);
  return spent;
}

/** The reference: Trezor's shamir-mnemonic, split 3-of-5 and recombine 3, CPU time measured inside Python. */
function reference(): { splitMs: number; restoreMs: number } | undefined {
  const python = process.env['CUSTODIAN_TEST_PYTHON'];
  if (!python) return undefined;
  const script = `
import os, time, json
import shamir_mnemonic as sm
splits, restores = [], []
for _ in range(${ROUNDS}):
    secret = os.urandom(32)
    t = time.process_time(); groups = sm.generate_mnemonics(1, [(3, 5)], secret, b"", True, 1); splits.append(time.process_time() - t)
    t = time.process_time(); assert sm.combine_mnemonics(groups[0][:3]) == secret; restores.append(time.process_time() - t)
splits.sort(); restores.sort()
print(json.dumps({"splitMs": splits[len(splits)//2] * 1000, "restoreMs": restores[len(restores)//2] * 1000}))
`;
  const run = spawnSync(python, ['-c', script], { encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) {
    process.stdout.write(`reference (shamir-mnemonic) failed: ${run.stderr.slice(0, 300)}\n`);
    return undefined;
  }
  return JSON.parse(run.stdout) as { splitMs: number; restoreMs: number };
}

const root = await mkdtemp(join(tmpdir(), 'custodian-bench-backup-'));
try {
  const walls: number[] = [];
  const restores: number[] = [];
  const splitCpu: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const before = cpuMs();
    const { wallMs, mnemonics } = await splitWithSheets(join(root, `round-${round}`));
    splitCpu.push(cpuMs() - before);
    walls.push(wallMs);
    restores.push(restoreCpuMs(mnemonics));
  }
  const ref = reference();
  const wall = median(walls);
  const restore = median(restores);
  process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${ROUNDS} rounds, medians\n`);
  process.stdout.write(`3-of-5 split + 5 PDF sheets: ${wall.toFixed(0)} ms wall (${median(splitCpu).toFixed(0)} ms CPU); first round ${walls[0]!.toFixed(0)} ms; goal < 2000 ms: ratio ${(wall / 2000).toFixed(3)} (${wall < 2000 ? 'met' : 'MISSED'})\n`);
  process.stdout.write(`restore from 3 shares: ${restore.toFixed(1)} ms CPU; goal < 200 ms: ratio ${(restore / 200).toFixed(3)} (${restore < 200 ? 'met' : 'MISSED'})\n`);
  if (ref) {
    process.stdout.write(`reference shamir-mnemonic 0.3.0 (Python): split ${ref.splitMs.toFixed(1)} ms CPU, recombine ${ref.restoreMs.toFixed(1)} ms CPU\n`);
    process.stdout.write(`ratio restore ours / reference: ${(restore / ref.restoreMs).toFixed(2)}\n`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
