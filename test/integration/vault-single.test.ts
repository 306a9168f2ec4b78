// Ceremonies against one real OpenBao node (file storage, TLS with a per-run CA), through the CLI as a user runs
// it and through the core. One node serves the whole file; the tests run in order and build on each other.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CustodianError } from '../../src-main/core/errors.js';
import { FileAuditLog } from '../../src-main/core/audit.js';
import { decodeRootToken, GenerateRootCeremony, generateOtp, RekeyCeremony, resolveConnection, UnsealCeremony, VaultCluster } from '../../src-main/core/vault/index.js';
import { assertNoSecrets, baoBinary, custodianEnv, filesUnder, startSingleNode, type BaoCluster } from '../support/openbao.js';
import { jsonError, jsonOf, runCustodian, type CliRun } from '../support/run-cli.js';
import { runInTerminal } from '../support/terminal.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { MemorySecretStore } from '../../src-main/core/keystore/index.js';

let server: BaoCluster;
let home: string;
let env: Record<string, string>;
let shares: Buffer[] = [];
let rootToken: Buffer;
/** Everything secret seen in this file, and every CLI output that must not contain any of it. */
const secrets: Buffer[] = [];
const outputs: Record<string, string> = {};

let auditKeyring: KeyringSession | undefined;
/** In-process ceremonies: the audit key in memory (the CLI runs above use the real keychain). */
const auditSecrets = new MemorySecretStore();

before(async () => {
  server = await startSingleNode();
  home = await mkdtemp(join(tmpdir(), 'custodian-vault-single-'));
  // The audit log's signing key and latest checkpoint live in the OS keychain: the CLI needs one to record.
  auditKeyring = await startKeyring();
  env = { ...auditKeyring.env, ...custodianEnv(home) };
});

after(async () => {
  await auditKeyring?.stop();
  await server?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

function conn(): string[] {
  return ['--addr', server.addresses[0]!, '--ca-cert', server.ca.caCert];
}

/** Runs the CLI and records its output for the leak scan (unless it prints secrets by design). */
async function cli(name: string, args: string[], input?: string, options: { printsSecretsOnStdout?: boolean; extraEnv?: Record<string, string> } = {}): Promise<CliRun> {
  const run = await runCustodian(args, { env: { ...env, ...(options.extraEnv ?? {}) }, ...(input !== undefined ? { input } : {}), timeoutMs: 90_000 });
  assert.equal(run.timedOut, false, `${name} timed out`);
  if (!options.printsSecretsOnStdout) outputs[`${name} stdout`] = run.stdout.toString('latin1');
  outputs[`${name} stderr`] = run.stderr;
  return run;
}

function sharesText(list: Buffer[], encoding: 'base64' | 'hex' = 'base64'): string {
  return `${list.map((s) => s.toString(encoding)).join('\n')}\n`;
}

function cluster(): VaultCluster {
  return new VaultCluster(resolveConnection({ addresses: server.addresses, caCert: server.ca.caCert }, {}), new FileAuditLog(join(home, 'custodian'), { secrets: auditSecrets }));
}

async function sealStatus(): Promise<{ sealed: boolean; progress: number; t: number; n: number }> {
  const { body } = await server.nodes[0]!.get<{ sealed: boolean; progress: number; t: number; n: number }>('/sys/seal-status');
  return body;
}

/** After each step: no share, root token or OTP in any file the app wrote or in any CLI output. */
async function assertNothingLeaked(): Promise<void> {
  const files = filesUnder(join(home, 'custodian'));
  assert.ok(files.some((f) => f.endsWith('audit.log')), 'the app wrote an audit log to scan');
  assertNoSecrets(secrets, { files, texts: outputs });
}

async function sealWithCli(): Promise<void> {
  const tokenFile = join(home, 'token');
  await writeFile(tokenFile, rootToken, { mode: 0o600 });
  const run = await cli('seal', ['vault', 'seal', ...conn(), '--token-file', tokenFile]);
  await rm(tokenFile);
  assert.equal(run.status, 0, run.stderr);
  assert.equal((await sealStatus()).sealed, true);
}

test('init 5/3 through the CLI prints the shares (and only there); status --json reports the node sealed', async () => {
  const before = await cli('status-uninit', ['--json', 'vault', 'status', ...conn()]);
  assert.equal(before.status, 0, before.stderr);
  const beforeNodes = jsonOf(before)['nodes'] as Array<Record<string, unknown>>;
  assert.equal(beforeNodes[0]!['initialized'], false);

  const init = await cli('init', ['--json', 'vault', 'init', '--shares', '5', '--threshold', '3', ...conn()], undefined, { printsSecretsOnStdout: true });
  assert.equal(init.status, 0, init.stderr);
  const result = jsonOf(init);
  const keys = result['keys_b64'] as string[];
  assert.equal(keys.length, 5);
  shares = keys.map((k) => Buffer.from(k, 'base64'));
  for (const share of shares) assert.equal(share.length, 33, 'an OpenBao share is the 32-byte key + the x-coordinate');
  assert.equal(new Set(shares.map((s) => s[32])).size, 5, 'distinct x-coordinates');
  rootToken = Buffer.from(result['root_token'] as string, 'utf8');
  secrets.push(...shares, rootToken);

  const status = await cli('status', ['--json', 'vault', 'status', ...conn()]);
  assert.equal(status.status, 0, status.stderr);
  const node = (jsonOf(status)['nodes'] as Array<Record<string, unknown>>)[0]!;
  assert.equal(node['initialized'], true);
  assert.equal(node['sealed'], true);
  assert.equal(node['threshold'], 3);
  assert.equal(node['shares'], 5);
  assert.equal(node['storageType'], 'file');

  const again = await cli('init-again', ['--json', 'vault', 'init', '--shares', '5', '--threshold', '3', ...conn()]);
  assert.equal(again.status, 6);
  assert.equal(jsonError(again).code, 'VAULT_ALREADY_INITIALIZED');
  await assertNothingLeaked();
});

test('unseal with 3 of the 5 shares from --shares-file - (hex and base64 mixed); later lines are not needed', async () => {
  const input = `# holders' shares\n${shares[0]!.toString('base64')}\n\n${shares[2]!.toString('hex')}\n${shares[4]!.toString('base64')}\n${shares[1]!.toString('base64')}\n`;
  const run = await cli('unseal', ['vault', 'unseal', ...conn(), '--shares-file', '-'], input);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout.toString(), /^Unsealed: https:\/\/127\.0\.0\.1:\d+$/m);
  assert.match(run.stderr, /Share 1 applied:[\s\S]*sealed, 1\/3[\s\S]*Share 2 applied:[\s\S]*2\/3[\s\S]*Share 3 applied:[\s\S]*UNSEALED/);
  assert.doesNotMatch(run.stderr, /Share 4/);
  assert.equal((await sealStatus()).sealed, false);
  await assertNothingLeaked();
});

test('a repeated share is refused locally, by bytes and by Shamir x-coordinate, and never reaches the server', async () => {
  await sealWithCli();
  const run = await cli('unseal-repeat', ['--json', 'vault', 'unseal', ...conn(), '--shares-file', '-'], sharesText([shares[0]!, shares[0]!]));
  assert.equal(run.status, 6);
  const error = jsonError(run);
  assert.equal(error.code, 'SHARE_REPEATED');
  assert.match(error.message, /already given/);
  assert.equal((await sealStatus()).progress, 1, 'the server saw the first share only');

  // A different share (e.g. mistyped) that carries the same x-coordinate as an earlier one is a repeat too.
  const ceremony = await UnsealCeremony.start(cluster(), { reset: true });
  await ceremony.submitShare(shares[1]!);
  const sameX = Buffer.from(shares[3]!);
  sameX[32] = shares[1]![32]!;
  await assert.rejects(ceremony.submitShare(sameX), (e: unknown) => e instanceof CustodianError && e.code === 'SHARE_REPEATED' && /x-coordinate/.test(e.message));
  assert.equal((await sealStatus()).progress, 1);
  await ceremony.finish();
  await assertNothingLeaked();
});

test('invalid input is refused locally with a clear error that does not quote it', async () => {
  const ceremony = await UnsealCeremony.start(cluster(), { reset: true });
  const cases: Array<[string, RegExp]> = [
    ['not-a-share-at-all!', /neither hex nor base64/],
    [shares[0]!.subarray(0, 20).toString('base64'), /decodes to 20 bytes/],
    [Buffer.concat([shares[0]!.subarray(0, 32), Buffer.from([0])]).toString('base64'), /zero x-coordinate/],
  ];
  for (const [text, message] of cases) {
    await assert.rejects(ceremony.submit(Buffer.from(text)), (e: unknown) => e instanceof CustodianError && e.code === 'SHARE_INVALID' && message.test(e.message) && !e.message.includes(text));
  }
  assert.equal((await sealStatus()).progress, 0, 'nothing reached the server');
  await ceremony.finish();
});

test('a wrong share: the server cannot tell until the threshold; then a clear error with the progress it reports', async () => {
  const ceremony = await UnsealCeremony.start(cluster(), { reset: true });
  const wrong = Buffer.from(shares[2]!);
  wrong[5]! ^= 0xff; // same x-coordinate, different y: a plausible mistyped share
  const first = await ceremony.submitShare(wrong);
  // Honest reporting: below the threshold Vault/OpenBao accepts anything of the right length.
  assert.equal(first.nodes[0]!.outcome, 'progress');
  assert.equal(first.nodes[0]!.progress, 1);
  await ceremony.submitShare(shares[0]!);
  let caught: CustodianError | undefined;
  try {
    await ceremony.submitShare(shares[1]!);
  } catch (error) {
    caught = error as CustodianError;
  }
  assert.ok(caught instanceof CustodianError, 'the third share must raise');
  assert.equal(caught.code, 'SHARE_REJECTED');
  assert.match(caught.message, /threshold was reached but the combined key did not open/);
  assert.match(caught.message, /cannot tell which share is wrong/);
  assert.match(caught.hint ?? '', /progress 0\/3/);
  const nodes = (caught.details?.['nodes'] ?? []) as Array<{ outcome: string; progress: number }>;
  assert.equal(nodes[0]!.outcome, 'rejected');
  assert.equal(nodes[0]!.progress, 0);
  assert.deepEqual(await sealStatus().then((s) => [s.sealed, s.progress]), [true, 0]);

  // The round starts again: the same holders may give their (right) shares once more.
  await ceremony.submitShare(shares[0]!);
  await ceremony.submitShare(shares[1]!);
  const done = await ceremony.submitShare(shares[2]!);
  assert.equal(done.complete, true);
  assert.equal((await sealStatus()).sealed, false);
  await ceremony.finish();
  await assertNothingLeaked();
});

test('generate-root: OTP made and used in memory, token decoded in-app, written 0600, and it works', async () => {
  const tokenOut = join(home, 'new-root-token');
  const run = await cli('generate-root', ['--json', 'vault', 'generate-root', ...conn(), '--shares-file', '-', '--token-out', tokenOut], sharesText([shares[3]!, shares[1]!, shares[4]!]));
  assert.equal(run.status, 0, run.stderr);
  assert.equal(jsonOf(run)['token_file'], tokenOut);
  assert.match(jsonOf(run)['fingerprint'] as string, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  assert.equal((await stat(tokenOut)).mode & 0o777, 0o600);
  const token = (await readFile(tokenOut, 'utf8')).trim();
  await rm(tokenOut);
  secrets.push(Buffer.from(token));
  assert.notEqual(token, rootToken.toString());
  const lookup = await server.nodes[0]!.get<{ data: { policies: string[] } }>('/auth/token/lookup-self', token);
  assert.equal(lookup.status, 200);
  assert.deepEqual(lookup.body.data.policies, ['root']);
  await assertNothingLeaked();
});

test('the in-app root-token decoding matches OpenBao\'s own CLI (`bao operator generate-root -decode`)', async () => {
  const { body } = await server.nodes[0]!.get<{ otp_length: number }>('/sys/generate-root/attempt');
  assert.ok(body.otp_length > 0);
  const otp = generateOtp(body.otp_length);
  assert.match(otp.toString('latin1'), /^[0-9A-Za-z]+$/);
  const token = Buffer.from(`s.${'x'.repeat(body.otp_length - 2)}`.slice(0, body.otp_length));
  const xored = Buffer.from(token.map((b, i) => b ^ otp[i]!));
  const encoded = xored.toString('base64').replace(/=+$/, '');
  const reference = spawnSync(baoBinary(), ['operator', 'generate-root', `-decode=${encoded}`, `-otp=${otp.toString('latin1')}`], {
    encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', HOME: home, VAULT_ADDR: server.addresses[0]!, VAULT_CACERT: server.ca.caCert },
  });
  assert.equal(reference.status, 0, reference.stderr);
  assert.equal(reference.stdout.trim(), token.toString());
  assert.equal(decodeRootToken(encoded, otp, body.otp_length).toString(), token.toString());
});

test('rekey to 3/2 with verification, then unseal with 2 of the new shares; the old ones no longer work', async () => {
  const rekey = await cli('rekey', ['--json', 'vault', 'rekey', ...conn(), '--shares', '3', '--threshold', '2', '--shares-file', '-'], sharesText([shares[0]!, shares[1]!, shares[2]!]), { printsSecretsOnStdout: true });
  assert.equal(rekey.status, 0, rekey.stderr);
  const result = jsonOf(rekey);
  assert.equal(result['verification_required'], true);
  const fresh = (result['keys_b64'] as string[]).map((k) => Buffer.from(k, 'base64'));
  assert.equal(fresh.length, 3);
  secrets.push(...fresh);
  assert.match(result['fingerprint'] as string, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);

  const verify = await cli('rekey-verify', ['--json', 'vault', 'rekey-verify', ...conn(), '--shares-file', '-'], sharesText([fresh[2]!, fresh[0]!]));
  assert.equal(verify.status, 0, verify.stderr);
  assert.equal(jsonOf(verify)['complete'], true);

  await sealWithCli();
  const { t, n } = await sealStatus();
  assert.deepEqual([t, n], [2, 3]);
  const old = await cli('unseal-old', ['--json', 'vault', 'unseal', ...conn(), '--shares-file', '-'], sharesText([shares[0]!, shares[1]!]));
  assert.equal(old.status, 6);
  assert.equal(jsonError(old).code, 'SHARE_REJECTED');
  const unseal = await cli('unseal-new', ['--json', 'vault', 'unseal', ...conn(), '--shares-file', '-'], sharesText([fresh[1]!, fresh[2]!]));
  assert.equal(unseal.status, 0, unseal.stderr);
  assert.equal((await sealStatus()).sealed, false);
  shares = fresh;
  await assertNothingLeaked();
});

test('TLS: the per-run CA works from VAULT_CACERT; a wrong CA, or a wrong VAULT_TLS_SERVER_NAME, is refused with VAULT_TLS', async () => {
  const viaEnv = await cli('status-env', ['--json', 'vault', 'status'], undefined, { extraEnv: { VAULT_ADDR: server.addresses[0]!, VAULT_CACERT: server.ca.caCert } });
  assert.equal(viaEnv.status, 0, viaEnv.stderr);
  assert.equal((jsonOf(viaEnv)['nodes'] as Array<{ sealed: boolean }>)[0]!.sealed, false);

  const named = await cli('status-name', ['--json', 'vault', 'status', ...conn()], undefined, { extraEnv: { VAULT_TLS_SERVER_NAME: server.ca.serverName } });
  assert.equal((jsonOf(named)['nodes'] as Array<{ reachable: boolean }>)[0]!.reachable, true);

  await sealWithCli();
  for (const [name, extra] of [
    ['wrong-ca', { VAULT_ADDR: server.addresses[0]!, VAULT_CACERT: server.ca.wrongCaCert }],
    ['no-ca', { VAULT_ADDR: server.addresses[0]! }],
    ['wrong-name', { VAULT_ADDR: server.addresses[0]!, VAULT_CACERT: server.ca.caCert, VAULT_TLS_SERVER_NAME: 'other.example.com' }],
  ] as const) {
    const run = await cli(`unseal-${name}`, ['--json', 'vault', 'unseal', '--shares-file', '-'], sharesText([shares[0]!, shares[1]!]), { extraEnv: extra });
    assert.equal(run.status, 6, `${name}: ${run.stderr}`);
    const error = jsonError(run);
    assert.equal(error.code, 'VAULT_TLS', name);
    assert.match(error.message, /TLS failed/);
  }
  assert.equal((await sealStatus()).progress, 0, 'no share crossed a connection that failed verification');

  const status = await cli('status-wrong-ca', ['--json', 'vault', 'status', ...conn().slice(0, 2), '--ca-cert', server.ca.wrongCaCert]);
  assert.equal(status.status, 6, 'with no node answering, status still reports every node but exits VAULT_UNREACHABLE');
  assert.equal(jsonError(status).code, 'VAULT_UNREACHABLE');
  const node = (jsonOf(status)['nodes'] as Array<{ reachable: boolean; error: { code: string } }>)[0]!;
  assert.deepEqual([node.reachable, node.error.code], [false, 'VAULT_TLS']);

  const skip = await cli('unseal-skip-verify', ['--json', 'vault', 'unseal', '--shares-file', '-'], sharesText([shares[0]!, shares[1]!]), { extraEnv: { VAULT_ADDR: server.addresses[0]!, VAULT_SKIP_VERIFY: 'true' } });
  assert.equal(skip.status, 0, skip.stderr);
  assert.match(skip.stderr, /WARNING: TLS certificate verification is OFF/);
  assert.equal((await sealStatus()).sealed, false);
  await assertNothingLeaked();
});

test('on a terminal: a hidden prompt per holder, a hand-over between holders, and a mistake lets the same holder retry', async () => {
  await sealWithCli();
  const prompt = /your share \(input hidden; empty line to stop\): $/;
  const name = /your name for the ceremony transcript \(optional; Enter to skip\): $/;
  const session = await runInTerminal(['vault', 'unseal', ...conn()], env, [
    { after: name, send: 'Alice' },
    { after: prompt, send: 'oops-not-a-share' },
    { after: prompt, send: shares[0]!.toString('base64') },
    { after: name, send: '' },
    { after: prompt, send: shares[0]!.toString('hex') },
    { after: prompt, send: shares[2]!.toString('base64') },
  ]);
  outputs['terminal session'] = session.output;
  assert.equal(session.status, 0, session.output);
  assert.match(session.output, /=== Holder 1: take the keyboard\. Others, please look away\. ===/);
  assert.match(session.output, /error \[SHARE_INVALID\][\s\S]*Please try again, holder 1\./);
  assert.match(session.output, /Thank you, holder 1\. Please hand the keyboard to the next holder\./);
  assert.match(session.output, /=== Holder 2: take the keyboard/);
  assert.match(session.output, /error \[SHARE_REPEATED\][\s\S]*Please try again, holder 2\./);
  assert.match(session.output, /Unsealed: https:/);
  assert.doesNotMatch(session.output, /oops-not-a-share/, 'nothing typed is echoed');
  assert.equal((await sealStatus()).sealed, false);
  await assertNothingLeaked();
  // The transcript names holder 1 as typed, leaves holder 2 unnamed, and counts neither mistake as a turn.
  const transcripts = jsonOf(await cli('transcripts', ['--json', 'audit', 'log', '--action', 'vault.transcript']))['entries'] as Array<Record<string, unknown>>;
  const last = transcripts[transcripts.length - 1]!;
  assert.equal(last['ceremony'], 'unseal');
  assert.deepEqual(last['holders'], [
    { turn: 1, shareIndex: shares[0]![32], name: 'Alice', result: 'accepted' },
    { turn: 2, shareIndex: shares[2]![32], result: 'accepted' },
  ]);
});

test('a nonce ceremony that changes on the server between two holders is aborted before the next share is sent', async () => {
  const vault = cluster();
  const node = vault.nodes[0]!;
  try {
    const rekey = await RekeyCeremony.start(vault, { newShares: 4, newThreshold: 3 });
    const agreed = rekey.fingerprint;
    assert.equal((await rekey.submitShare(shares[0]!)).progress, 1);
    // Someone else cancels it and starts another rekey with other parameters.
    await node.call('DELETE', '/sys/rekey/init');
    await node.call('PUT', '/sys/rekey/init', { secret_shares: 5, secret_threshold: 2 });
    await assert.rejects(rekey.submitShare(shares[1]!), (e: unknown) => e instanceof CustodianError && e.code === 'CEREMONY_CHANGED' && e.message.includes(agreed));
    const other = await node.call<{ progress: number; n: number }>('GET', '/sys/rekey/init');
    assert.deepEqual([other.n, other.progress], [5, 0], 'no share went to the other ceremony');
    await RekeyCeremony.cancel(vault);

    const root = await GenerateRootCeremony.start(vault);
    await root.submitShare(shares[1]!);
    await GenerateRootCeremony.cancel(vault);
    await assert.rejects(root.submitShare(shares[2]!), (e: unknown) => e instanceof CustodianError && e.code === 'CEREMONY_CHANGED');
    root.wipe();
    const attempt = await node.call<{ started: boolean }>('GET', '/sys/generate-root/attempt');
    assert.equal(attempt.started, false);
  } finally {
    vault.close();
  }
  await assertNothingLeaked();
});
