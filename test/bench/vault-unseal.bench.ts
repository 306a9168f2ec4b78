// Benchmark: unseal a sealed 3-node OpenBao Raft cluster with 3 shares
//   (a) through the core (each share applied to all nodes in parallel, keep-alive TLS connections), against
//   (b) a shell loop of `bao operator unseal` (the same binary's own CLI) doing the same 9 unseal calls,
//   and, for reference, (c) the `custodian vault unseal --shares-file` CLI as a child process.
// Run with `npm run bench -- vault`. Prints medians and the ratio core / bao-loop (goal: <= 0.5).
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { initialize, resolveConnection, UnsealCeremony, VaultCluster } from '../../src-main/core/vault/index.js';
import { baoBinary, custodianEnv, startRaftCluster, waitFor, type BaoCluster } from '../support/openbao.js';
import { runCustodian } from '../support/run-cli.js';

const ROUNDS = Number(process.env['VAULT_BENCH_ROUNDS'] ?? 5);

async function restartSealed(server: BaoCluster): Promise<void> {
  await Promise.all(server.nodes.map((node) => node.stop()));
  await Promise.all(server.nodes.map((node) => node.start()));
  for (const node of server.nodes) {
    const { body } = await node.get<{ sealed: boolean }>('/sys/seal-status');
    if (!body.sealed) throw new Error(`${node.name} is not sealed after a restart`);
  }
}

async function allUnsealed(server: BaoCluster): Promise<boolean> {
  const states = await Promise.all(server.nodes.map((node) => node.get<{ sealed: boolean }>('/sys/seal-status')));
  return states.every((s) => s.body.sealed === false);
}

async function viaCore(server: BaoCluster, shares: Buffer[]): Promise<number> {
  const started = performance.now();
  const cluster = new VaultCluster(resolveConnection({ addresses: server.addresses, caCert: server.ca.caCert }, {}));
  const ceremony = await UnsealCeremony.start(cluster);
  let complete = false;
  for (const share of shares) complete = (await ceremony.submitShare(share)).complete;
  await ceremony.finish();
  const elapsed = performance.now() - started;
  cluster.close();
  if (!complete || !(await allUnsealed(server))) throw new Error('core: the cluster is not unsealed');
  return elapsed;
}

function viaBaoLoop(server: BaoCluster, shares: Buffer[], home: string): number {
  // The reference: what an operator scripts with the server's own CLI, one process per share per node.
  const script = 'for key in "$@"; do for addr in $ADDRS; do VAULT_ADDR="$addr" "$BAO" operator unseal "$key" >/dev/null || exit 1; done; done';
  const started = performance.now();
  const result = spawnSync('bash', ['-c', script, 'bench', ...shares.map((s) => s.toString('base64'))], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, BAO: baoBinary(), ADDRS: server.addresses.join(' '), VAULT_CACERT: server.ca.caCert },
    stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8',
  });
  const elapsed = performance.now() - started;
  if (result.status !== 0) throw new Error(`bao loop failed: ${result.stderr}`);
  return elapsed;
}

async function viaCustodianCli(server: BaoCluster, shares: Buffer[], home: string): Promise<number> {
  const args = ['vault', 'unseal', ...server.addresses.flatMap((a) => ['--addr', a]), '--ca-cert', server.ca.caCert, '--shares-file', '-'];
  const started = performance.now();
  const run = await runCustodian(args, { env: custodianEnv(home), input: shares.map((s) => s.toString('base64')).join('\n'), timeoutMs: 120_000 });
  const elapsed = performance.now() - started;
  if (run.status !== 0) throw new Error(`custodian vault unseal failed: ${run.stderr}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const server = await startRaftCluster();
const home = await mkdtemp(join(tmpdir(), 'custodian-vault-bench-'));
try {
  // Set up once: init, unseal (the followers join), so that every later restart leaves three sealed members.
  const setup = new VaultCluster(resolveConnection({ addresses: server.addresses, caCert: server.ca.caCert }, {}));
  const init = await initialize(setup, { shares: 5, threshold: 3 });
  const shares = init.shares.slice(0, 3).map((s) => Buffer.from(s));
  init.wipe();
  const first = await UnsealCeremony.start(setup);
  for (const share of shares) await first.submitShare(share);
  await first.finish();
  setup.close();
  await waitFor('the cluster to be unsealed', () => allUnsealed(server));

  const core: number[] = [];
  const loop: number[] = [];
  const cli: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await restartSealed(server);
    core.push(await viaCore(server, shares));
    await restartSealed(server);
    loop.push(viaBaoLoop(server, shares, home));
    await waitFor('the bao loop to leave the cluster unsealed', () => allUnsealed(server), 10_000);
    await restartSealed(server);
    cli.push(await viaCustodianCli(server, shares, home));
  }
  const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;
  process.stdout.write(`unseal a sealed 3-node Raft cluster (OpenBao, TLS) with 3 shares, median of ${ROUNDS} rounds:\n`);
  process.stdout.write(`  core (UnsealCeremony, in-process)        ${fmt(median(core))}   [${core.map(fmt).join(', ')}]\n`);
  process.stdout.write(`  shell loop of \`bao operator unseal\` x9   ${fmt(median(loop))}   [${loop.map(fmt).join(', ')}]\n`);
  process.stdout.write(`  \`custodian vault unseal\` (child process) ${fmt(median(cli))}   [${cli.map(fmt).join(', ')}]\n`);
  const ratio = median(core) / median(loop);
  process.stdout.write(`  ratio core / bao loop = ${ratio.toFixed(3)} (goal <= 0.5: ${ratio <= 0.5 ? 'met' : 'NOT met'})\n`);
  process.stdout.write(`  ratio custodian CLI / bao loop = ${(median(cli) / median(loop)).toFixed(3)}\n`);
  for (const share of shares) share.fill(0);
} finally {
  await server.stop();
  await rm(home, { recursive: true, force: true });
}
