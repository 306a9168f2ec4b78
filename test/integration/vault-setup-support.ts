// Shared by the `vault setup` integration tests (single node and Raft cluster): a real OpenBao brought from
// uninitialised to unsealed through the core, the CLI run as a user runs it, a way back to a root token after setup
// revoked it (generate-root from the unseal shares, through the CLI), and the leak scan.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileAuditLog } from '../../src-main/core/audit.js';
import { MemorySecretStore } from '../../src-main/core/keystore/index.js';
import { initialize, resolveConnection, UnsealCeremony, VaultCluster, VaultResponseError } from '../../src-main/core/vault/index.js';
import { assertNoSecrets, custodianEnv, filesUnder, waitFor, type BaoCluster } from '../support/openbao.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { jsonOf, runCustodian, type CliRun } from '../support/run-cli.js';

export class SetupLab {
  home = '';
  env: Record<string, string> = {};
  shares: Buffer[] = [];
  rootToken = Buffer.alloc(0);
  readonly secrets: Buffer[] = [];
  readonly outputs: Record<string, string> = {};
  readonly argvs: string[][] = [];
  /** The CLI's audit log signs with a key in the OS keychain: a real Secret Service for the CLI runs. */
  keyring: KeyringSession | undefined;
  /** In-process arranging and checking writes its own audit log (own key, own file), apart from the CLI's. */
  readonly #coreAuditSecrets = new MemorySecretStore();

  constructor(readonly server: BaoCluster) {}

  /** init (shares/threshold), unseal every node with the core, wait for an active node. */
  async initAndUnseal(shares = 3, threshold = 2): Promise<void> {
    this.home = await mkdtemp(join(tmpdir(), 'custodian-vault-setup-'));
    this.keyring = await startKeyring();
    this.env = { ...this.keyring.env, ...custodianEnv(this.home) };
    const cluster = this.core();
    try {
      const init = await initialize(cluster, { shares, threshold });
      this.shares = init.shares.map((s) => Buffer.from(s));
      this.rootToken = Buffer.from(init.rootToken);
      init.wipe();
      this.secrets.push(...this.shares, this.rootToken);
    } finally {
      cluster.close();
    }
    await this.unseal();
  }

  // (1-of-1 is avoided on purpose: its "share" is the bare 32-byte key, which the CLI's share check rightly refuses.)
  async unseal(): Promise<void> {
    const cluster = this.core();
    try {
      const ceremony = await UnsealCeremony.start(cluster);
      for (const share of this.shares) {
        if ((await ceremony.submitShare(Buffer.from(share))).complete) break;
      }
      await ceremony.finish();
      await waitFor('an active node', async () => (await cluster.status()).some((n) => n.role === 'active' || n.role === 'standalone'), 60_000);
    } finally {
      cluster.close();
    }
  }

  core(token?: Buffer): VaultCluster {
    return new VaultCluster(resolveConnection({ addresses: this.server.addresses, caCert: this.server.ca.caCert, ...(token ? { token } : {}) }, {}), new FileAuditLog(join(this.home, 'core-audit'), { secrets: this.#coreAuditSecrets }));
  }

  conn(): string[] {
    return [...this.server.addresses.flatMap((a) => ['--addr', a]), '--ca-cert', this.server.ca.caCert];
  }

  async cli(name: string, args: string[], options: { input?: string; token?: Buffer } = {}): Promise<CliRun> {
    this.argvs.push(args);
    const env = { ...this.env, ...(options.token ? { VAULT_TOKEN: options.token.toString('utf8') } : {}) };
    const run = await runCustodian(args, { env, ...(options.input !== undefined ? { input: options.input } : {}), timeoutMs: 120_000 });
    assert.equal(run.timedOut, false, `${name} timed out`);
    this.outputs[`${name} stdout`] = run.stdout.toString('latin1');
    this.outputs[`${name} stderr`] = run.stderr;
    return run;
  }

  /** The way back after setup revoked the root token: generate-root from the unseal shares, through the CLI. */
  async newRootToken(): Promise<Buffer> {
    const out = join(this.home, `root-${this.secrets.length}`);
    const run = await this.cli('generate-root', ['--json', 'vault', 'generate-root', ...this.conn(), '--shares-file', '-', '--token-out', out], { input: `${this.shares.slice(0, 2).map((s) => s.toString('base64')).join('\n')}\n` });
    assert.equal(run.status, 0, run.stderr);
    const token = Buffer.from((await readFile(out, 'utf8')).trim());
    await rm(out);
    this.secrets.push(token);
    return token;
  }

  /** One authenticated API call through the core (for arranging and checking state independently of setup). */
  async api<T = Record<string, unknown>>(token: Buffer, method: string, path: string, body?: Record<string, unknown>): Promise<T> {
    const cluster = this.core(token);
    try {
      return await (await cluster.activeNode()).call<T>(method, path, body, { authenticated: true });
    } finally {
      cluster.close();
    }
  }

  /** The HTTP status of a call (e.g. 403 for a revoked token), without throwing. */
  async statusOf(token: Buffer, method: string, path: string, body?: Record<string, unknown>): Promise<number> {
    try {
      await this.api(token, method, path, body);
      return 200;
    } catch (error) {
      if (error instanceof VaultResponseError) return error.statusCode;
      throw error;
    }
  }

  async auditEvents(): Promise<Array<Record<string, unknown>>> {
    const text = await readFile(join(this.home, 'custodian', 'audit.log'), 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  assertNothingLeaked(): void {
    const files = filesUnder(join(this.home, 'custodian'));
    assert.ok(files.some((f) => f.endsWith('audit.log')), 'the app wrote an audit log to scan');
    assertNoSecrets(this.secrets, { files, texts: { ...this.outputs, argv: JSON.stringify(this.argvs) } });
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.keyring?.stop();
    if (this.home) await rm(this.home, { recursive: true, force: true });
  }
}

export interface StepJson { id: string; state: string; target: string; differences: string[] }
export interface ResultJson { id: string; outcome: string; detail?: string; error?: { code: string } }

export function stepsOf(run: CliRun): Record<string, StepJson> {
  return Object.fromEntries((jsonOf(run)['steps'] as StepJson[]).map((s) => [s.id, s]));
}

export function resultsOf(run: CliRun): Record<string, ResultJson> {
  return Object.fromEntries((jsonOf(run)['results'] as ResultJson[]).map((r) => [r.id, r]));
}
