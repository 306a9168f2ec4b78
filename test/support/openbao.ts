// Real OpenBao servers for the integration tests and the benchmark (no fakes):
//   startSingleNode(): one node, file storage, TLS with a CA made for this run;
//   startRaftCluster(): three nodes, integrated storage (Raft) with retry_join, TLS;
// all on free loopback ports, started uninitialised, stopped cleanly (no stray processes). A node can be killed
// (SIGKILL) and started again with the same data. Also: the helpers that check no secret reached the disk or
// the CLI's output.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm, mkdtemp } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');

/** The OpenBao binary: CUSTODIAN_TEST_BAO, else scripts/openbao-path.sh (which builds it once). Never skips. */
export function baoBinary(): string {
  const fromEnv = process.env['CUSTODIAN_TEST_BAO'];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const script = join(repoRoot, 'scripts', 'openbao-path.sh');
  if (!existsSync(script)) throw new Error(`OpenBao is required for this test: set CUSTODIAN_TEST_BAO or provide ${script} (npm run openbao:path).`);
  const result = spawnSync('bash', [script], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 1_800_000 });
  const path = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !path || !existsSync(path)) {
    throw new Error(`OpenBao is required for this test and could not be built (scripts/openbao-path.sh exit ${result.status}):\n${result.stderr.slice(-2000)}`);
  }
  return path;
}

export interface TestCa {
  dir: string;
  /** The CA that signed the servers' certificate (what the app must trust). */
  caCert: string;
  /** Another, unrelated CA: trusting only it must make TLS fail. */
  wrongCaCert: string;
  serverCert: string;
  serverKey: string;
  /** A DNS name in the server certificate that is not "localhost" (for VAULT_TLS_SERVER_NAME tests). */
  serverName: string;
}

function openssl(args: string[], cwd: string): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

/** A per-run CA (EC P-256) and a server certificate for 127.0.0.1 / localhost / vault.custodian.test. */
export function makeTestCa(dir: string): TestCa {
  mkdirSync(dir, { recursive: true });
  const serverName = 'vault.custodian.test';
  for (const name of ['ca', 'wrong-ca']) {
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`,
      '-days', '2', '-subj', `/CN=Key Custodian test ${name} ${process.pid}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  }
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=openbao test server'], dir);
  writeFileSync(join(dir, 'server.ext'), `subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:${serverName}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext'], dir);
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    wrongCaCert: join(dir, 'wrong-ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    serverName,
  };
}

/** Free loopback TCP ports, reserved together so they are distinct. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<net.Server>((ok, fail) => {
    const server = net.createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok(server));
  })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  return ports;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class BaoNode {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly apiPort: number,
    readonly configPath: string,
    readonly logPath: string,
    private readonly binary: string,
    private readonly ca: TestCa,
    private readonly home: string,
  ) {}

  get address(): string {
    return `https://127.0.0.1:${this.apiPort}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts the server and waits until its API answers over TLS. */
  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.name} is already running`);
    const log = openSync(this.logPath, 'a');
    const child = spawn(this.binary, ['server', `-config=${this.configPath}`], {
      stdio: ['ignore', log, log],
      // A clean environment: no VAULT_*/BAO_* from the developer's shell.
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: this.home },
    });
    closeSync(log);
    running.add(child);
    this.child = child;
    this.exited = new Promise((ok) => child.once('exit', () => {
      running.delete(child);
      if (this.child === child) this.child = undefined;
      ok();
    }));
    await this.waitForApi();
  }

  /** SIGKILL, as a crash or a pulled plug. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after 15 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** GET an API path with the test CA (independent of the app's own client). */
  get<T = Record<string, unknown>>(path: string, token?: string): Promise<{ status: number; body: T }> {
    return new Promise((ok, fail) => {
      const request = https.request(`${this.address}/v1${path}`, {
        method: 'GET', ca: readFileSync(this.ca.caCert), headers: token ? { 'X-Vault-Token': token } : {}, timeout: 5_000,
      }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            ok({ status: response.statusCode ?? 0, body: (text ? JSON.parse(text) : {}) as T });
          } catch (error) {
            fail(error);
          }
        });
      });
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', fail);
      request.end();
    });
  }

  private async waitForApi(): Promise<void> {
    const deadline = Date.now() + 60_000;
    let last: unknown;
    while (Date.now() < deadline) {
      if (!this.child) throw new Error(`${this.name} exited during start; log:\n${tail(this.logPath)}`);
      try {
        const { status } = await this.get('/sys/seal-status');
        if (status === 200) return;
      } catch (error) {
        last = error;
      }
      await sleep(100);
    }
    throw new Error(`${this.name} did not answer within 60 s (${String(last)}); log:\n${tail(this.logPath)}`);
  }
}

export interface BaoCluster {
  dir: string;
  /** Where a file audit device of the tests writes (the `audit` start option; OpenBao creates it). */
  auditFile: string;
  ca: TestCa;
  nodes: BaoNode[];
  addresses: string[];
  /** Stops every node and removes the temp directory. */
  stop(): Promise<void>;
}

/**
 * How the servers treat audit devices. Default (undefined): OpenBao 2.4's own default, where the API refuses to
 * enable one. 'api': `unsafe_allow_api_audit_creation = true`, so the API may enable one (as HashiCorp Vault does).
 * 'config': a file device "file" writing `auditFile`, declared in the configuration (the OpenBao 2.4 way).
 */
export interface StartOptions {
  audit?: 'api' | 'config';
}

/** One OpenBao node, file storage, TLS with a per-run CA. Started uninitialised. */
export async function startSingleNode(options: StartOptions = {}): Promise<BaoCluster> {
  return startNodes(1, 'file', options);
}

/** A 3-node OpenBao cluster on integrated storage (Raft) with retry_join, TLS. Started uninitialised. */
export async function startRaftCluster(size = 3, options: StartOptions = {}): Promise<BaoCluster> {
  return startNodes(size, 'raft', options);
}

async function startNodes(count: number, storage: 'file' | 'raft', options: StartOptions = {}): Promise<BaoCluster> {
  const binary = baoBinary();
  const dir = await mkdtemp(join(tmpdir(), `custodian-bao-${storage}-`));
  const nodes: BaoNode[] = [];
  try {
    const ca = makeTestCa(join(dir, 'tls'));
    const ports = await freePorts(count * 2);
    const apiPorts = ports.slice(0, count);
    const clusterPorts = ports.slice(count);
    for (let i = 0; i < count; i++) {
      const name = `node${i + 1}`;
      const nodeDir = join(dir, name);
      mkdirSync(join(nodeDir, 'data'), { recursive: true });
      const storageBlock = storage === 'file'
        ? `storage "file" {\n  path = "${join(nodeDir, 'data')}"\n}\n`
        : `storage "raft" {\n  path = "${join(nodeDir, 'data')}"\n  node_id = "${name}"\n  performance_multiplier = 1\n${
          apiPorts.filter((_, j) => j !== i).map((port) => `  retry_join {\n    leader_api_addr = "https://127.0.0.1:${port}"\n    leader_ca_cert_file = "${ca.caCert}"\n  }\n`).join('')}}\n`;
      const config = `${storageBlock}listener "tcp" {
  address = "127.0.0.1:${apiPorts[i]}"
  cluster_address = "127.0.0.1:${clusterPorts[i]}"
  tls_cert_file = "${ca.serverCert}"
  tls_key_file = "${ca.serverKey}"
}
api_addr = "https://127.0.0.1:${apiPorts[i]}"
cluster_addr = "https://127.0.0.1:${clusterPorts[i]}"
disable_mlock = true
ui = false
log_level = "info"
`;
      const configPath = join(nodeDir, 'config.hcl');
      writeFileSync(configPath, config + auditConfig(options, join(dir, 'audit.log')));
      nodes.push(new BaoNode(name, apiPorts[i]!, configPath, join(nodeDir, 'server.log'), binary, ca, nodeDir));
    }
    await Promise.all(nodes.map((node) => node.start()));
    return {
      dir, ca, nodes, auditFile: join(dir, 'audit.log'),
      addresses: nodes.map((n) => n.address),
      async stop() {
        await Promise.all(nodes.map((node) => node.stop()));
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Polls until `check` returns true (or throws with `what` after the timeout). */
function auditConfig(options: StartOptions, file: string): string {
  if (options.audit === 'api') return 'unsafe_allow_api_audit_creation = true\n';
  if (options.audit === 'config') return `audit "file" "file" {\n  description = "declared in the test config"\n  options {\n    file_path = "${file}"\n  }\n}\n`;
  return '';
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-3000);
  } catch {
    return '(no log)';
  }
}

/**
 * The encodings under which a secret could be found if it leaked: as typed/printed (base64, hex, text) and
 * in the other common forms. Give raw share bytes, or token/OTP text bytes.
 */
export function leakForms(secret: Uint8Array): string[] {
  const buffer = Buffer.from(secret);
  const forms = new Set<string>([
    buffer.toString('base64'), buffer.toString('base64').replace(/=+$/, ''), buffer.toString('base64url'),
    buffer.toString('hex'), buffer.toString('hex').toUpperCase(),
  ]);
  const text = buffer.toString('utf8');
  if (/^[\x20-\x7e]+$/.test(text) && text.length >= 8) forms.add(text);
  return [...forms].filter((f) => f.length >= 8);
}

/** All files under `dir` (recursively), for the leak scan. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/**
 * Throws if any secret (in any of its leak forms) occurs in the given files or texts.
 * `where` names each text for the failure message; the secret itself is never printed.
 */
export function assertNoSecrets(secrets: Uint8Array[], places: { files?: string[]; texts?: Record<string, string> }): void {
  const forms = secrets.flatMap((s) => leakForms(s));
  if (forms.length === 0) throw new Error('assertNoSecrets was given no secrets to look for');
  const haystacks: Array<[string, string]> = [];
  for (const file of places.files ?? []) haystacks.push([file, readFileSync(file).toString('latin1')]);
  for (const [name, text] of Object.entries(places.texts ?? {})) haystacks.push([name, text]);
  for (const [name, text] of haystacks) {
    const index = forms.findIndex((form) => text.includes(form));
    if (index >= 0) throw new Error(`a secret (form #${index}) leaked into ${name}`);
  }
}

/** Environment for `custodian` child processes: a private CUSTODIAN_HOME and HOME, and no VAULT_* from the shell. */
export function custodianEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, CUSTODIAN_HOME: join(home, 'custodian'), ...extra };
}
