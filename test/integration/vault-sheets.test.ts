// `custodian vault init --holder ... --pdf DIR` against real OpenBao nodes (one fresh node per test, since a node
// is initialised once): the sheets are rendered (pdftoppm) and their QR codes decoded (zbarimg) to the shares that
// then unseal the node; on a real pseudo-terminal each holder types back the last 6 characters of their share.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as openpgp from 'openpgp';
import { assertNoSecrets, custodianEnv, filesUnder, leakForms, startSingleNode, type BaoCluster } from '../support/openbao.js';
import { jsonError, jsonOf, runCustodian, type CliRun } from '../support/run-cli.js';
import { decodeSheetQr, pdfText } from '../support/sheets.js';
import { runInTerminal } from '../support/terminal.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';

let home: string;
let env: Record<string, string>;
const servers: BaoCluster[] = [];

let auditKeyring: KeyringSession | undefined;

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'custodian-vault-sheets-'));
  // The audit log's signing key and latest checkpoint live in the OS keychain: the CLI needs one to record.
  auditKeyring = await startKeyring();
  env = { ...auditKeyring.env, ...custodianEnv(home) };
});

after(async () => {
  await auditKeyring?.stop();
  for (const server of servers) await server.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

async function freshNode(): Promise<BaoCluster> {
  const server = await startSingleNode();
  servers.push(server);
  return server;
}

const conn = (server: BaoCluster): string[] => ['--addr', server.addresses[0]!, '--ca-cert', server.ca.caCert];

function cli(args: string[], input?: string): Promise<CliRun> {
  return runCustodian(args, { env, ...(input !== undefined ? { input } : {}), timeoutMs: 90_000 });
}

async function sealStatus(server: BaoCluster): Promise<{ initialized?: boolean; sealed: boolean }> {
  return (await server.nodes[0]!.get<{ initialized?: boolean; sealed: boolean }>('/sys/seal-status')).body;
}

async function initialized(server: BaoCluster): Promise<boolean> {
  return (await server.nodes[0]!.get<{ initialized: boolean }>('/sys/init')).body.initialized;
}

/** Unseals with shares given as the CLI user would (one per line on stdin) and checks the node opened. */
async function unsealWith(server: BaoCluster, lines: string[], extra: string[] = []): Promise<void> {
  const run = await cli(['--json', 'vault', 'unseal', ...conn(server), '--shares-file', '-', ...extra], `${lines.join('\n')}\n`);
  assert.equal(run.status, 0, run.stderr);
  assert.equal((await sealStatus(server)).sealed, false);
}

test('--pdf without a terminal: checks before init, then one sheet per holder whose QR code is the share that unseals; no share on stdout, no root token on a sheet', async () => {
  const server = await freshNode();
  const dir = join(home, 'sheets-1');
  const holders = ['--holder', 'Alice', '--holder', 'Bob', '--holder', 'Carol'];

  // Refused before init: the node stays uninitialised and nothing is created.
  const file = join(home, 'not-a-dir');
  await writeFile(file, 'x');
  const refusals: Array<[string[], number, string]> = [
    [['--holder', 'Alice', '--holder', 'Bob', '--pdf', dir], 2, 'USAGE'],
    [['--holder', 'Алиса', '--holder', 'Bob', '--holder', 'Carol', '--pdf', dir], 2, 'INVALID_INPUT'],
    [[...holders, '--pdf', file], 8, 'OUTPUT_UNWRITABLE'],
    [[...holders, '--pdf', join(file, 'sub')], 8, 'OUTPUT_UNWRITABLE'],
  ];
  for (const [extra, status, code] of refusals) {
    const run = await cli(['--json', 'vault', 'init', ...conn(server), '--shares', '3', '--threshold', '2', ...extra]);
    assert.equal(run.status, status, run.stderr);
    assert.equal(jsonError(run).code, code);
  }
  assert.equal(await initialized(server), false, 'no refusal initialised the node');
  await assert.rejects(stat(dir));

  const init = await cli(['--json', 'vault', 'init', ...conn(server), '--shares', '3', '--threshold', '2', ...holders, '--pdf', dir]);
  assert.equal(init.status, 0, init.stderr);
  const result = jsonOf(init);
  assert.equal(result['keys_b64'], undefined, 'with --pdf the shares are on the sheets only');
  assert.deepEqual(result['holders'], ['Alice', 'Bob', 'Carol']);
  const sheets = result['sheets'] as string[];
  assert.deepEqual(sheets, [1, 2, 3].map((k) => join(dir, `vault-unseal-share-${k}-of-3.pdf`)));
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  const rootToken = result['root_token'] as string;

  const shares: string[] = [];
  for (const [i, path] of sheets.entries()) {
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const codes = decodeSheetQr(path);
    assert.equal(codes.length, 1);
    shares.push(codes[0]!);
    assert.equal(Buffer.from(codes[0]!, 'base64').length, 33, 'the QR code holds the share as Vault printed it (base64)');
    const flat = pdfText(path).replace(/\s+/g, ' ');
    for (const fact of [['Alice', 'Bob', 'Carol'][i]!, server.addresses[0]!, `Share ${i + 1} of 3`, 'any 2 of the 3 shares unseal the cluster', 'custodian vault unseal', codes[0]!]) {
      assert.ok(flat.includes(fact), `sheet ${i + 1} shows ${fact}`);
    }
  }
  for (const [i, path] of sheets.entries()) {
    const others = shares.filter((_, j) => j !== i).map((s) => Buffer.from(s, 'base64'));
    assertNoSecrets([Buffer.from(rootToken), ...others], { files: [path], texts: { text: pdfText(path) } });
  }
  assertNoSecrets(shares.map((s) => Buffer.from(s, 'base64')), {
    texts: { stdout: init.stdout.toString('latin1'), stderr: init.stderr },
    files: filesUnder(join(home, 'custodian')),
  });
  const audit = await readFile(join(home, 'custodian', 'audit.log'), 'utf8');
  assert.match(audit, /"action":"vault.init.sheets"[^\n]*"holders":\["Alice","Bob","Carol"\][^\n]*"outcome":"ok"[^\n]*"sheets":3/);

  await unsealWith(server, [shares[2]!, shares[0]!]);
  assert.equal((await server.nodes[0]!.get('/auth/token/lookup-self', rootToken)).status, 200, 'the root token printed for the operator works');
});

test('on a terminal with --pdf: print, then each holder types back the last 6 characters of their sheet\'s share (a mismatch is asked again); the root token comes last', async () => {
  const server = await freshNode();
  const dir = join(home, 'sheets-2');
  let shares: string[] = [];
  const last6 = (i: number): string => shares[i]!.slice(-6);
  const prompt = (name: string): RegExp => new RegExp(`${name}, type the last 6 characters of your share \\(from your sheet\\) \\(input hidden\\): $`);
  const session = await runInTerminal(['vault', 'init', ...conn(server), '--shares', '3', '--threshold', '2', '--holder', 'Alice', '--holder', 'Bob', '--holder', 'Carol', '--pdf', dir], env, [
    { after: /Press Enter when every holder has their printed sheet: $/, send: '' },
    {
      after: prompt('Alice'),
      send: () => {
        shares = [1, 2, 3].map((k) => decodeSheetQr(join(dir, `vault-unseal-share-${k}-of-3.pdf`))[0]!);
        const wrong = last6(1) === last6(0) ? 'zzzzzz' : last6(1); // Bob's ending: a real share, the wrong one
        return wrong;
      },
    },
    { after: prompt('Alice'), send: () => last6(0) },
    { after: prompt('Bob'), send: () => ` ${last6(1)} ` },
    { after: prompt('Carol'), send: () => last6(2) },
  ]);
  assert.equal(session.stepsDone, 5, session.output);
  assert.equal(session.status, 0, session.output);
  const out = session.output;
  assert.match(out, /Sheet for Alice: .*vault-unseal-share-1-of-3\.pdf/);
  assert.match(out, /That is not how share 1 ends\. Check that you hold sheet 1 of 3 and try again/);
  assert.match(out, /Confirmed: Alice has share 1 of 3\. Please hand over to the next holder\.[\s\S]*Confirmed: Bob has share 2 of 3[\s\S]*Confirmed: Carol has share 3 of 3\./);
  const rootToken = /Root token: (\S+)/.exec(out)?.[1];
  assert.ok(rootToken, 'the root token is printed for the operator');
  assert.ok(out.indexOf('Root token:') > out.indexOf('Confirmed: Carol'), 'after the hand-out');
  assertNoSecrets(shares.map((s) => Buffer.from(s, 'base64')), { texts: { session: out } });
  for (const path of filesUnder(dir)) assertNoSecrets([Buffer.from(rootToken)], { files: [path], texts: { text: pdfText(path) } });
  const audit = await readFile(join(home, 'custodian', 'audit.log'), 'utf8');
  assert.match(audit, /"action":"vault.init.handout"[^\n]*"confirmed":\["1","2","3"\][^\n]*"outcome":"ok"[^\n]*"unconfirmed":\[\]/);

  await unsealWith(server, [shares[1]!, shares[2]!]);
  assert.equal((await server.nodes[0]!.get('/auth/token/lookup-self', rootToken)).status, 200);
});

test('on a terminal without --pdf: each holder sees only their share, types back its end, the screen is cleared; Ctrl-D stops the hand-out with HANDOUT_OPEN and the rest printed', async () => {
  const server = await freshNode();
  const shown = (output: string, name: string): string => {
    const match = new RegExp(`=== Share \\d of 3: ${name}\\. Everyone else, please look away\\. ===\\s+([A-Za-z0-9+/=]{44})\\s`).exec(output);
    assert.ok(match, `${name}'s share is shown`);
    return match[1]!;
  };
  const session = await runInTerminal(['vault', 'init', ...conn(server), '--shares', '3', '--threshold', '2', '--holder', 'Alice', '--holder', 'Bob', '--holder', 'Carol'], env, [
    { after: /Alice, type the last 6 characters of your share \(input hidden\): $/, send: (output) => shown(output, 'Alice').slice(-6) },
    { after: /Bob, type the last 6 characters of your share \(input hidden\): $/, send: '\x04', raw: true },
  ]);
  const out = session.output;
  assert.equal(session.status, 2, out);
  const alice = shown(out, 'Alice');
  const bobScreen = out.slice(out.indexOf('Confirmed: Alice'));
  assert.ok(!bobScreen.includes(alice), 'Alice\'s share is not on the screen after she confirmed');
  assert.ok(out.slice(out.indexOf(alice) + alice.length).includes('\x1b[2J'), 'the screen is cleared after a holder');
  const bob = /Share 2 \(Bob\): (\S+)/.exec(out)?.[1];
  const carol = /Share 3 \(Carol\): (\S+)/.exec(out)?.[1];
  assert.ok(bob && carol, 'the unconfirmed shares are printed so that they are not lost');
  assert.doesNotMatch(out, /Share 1 \(Alice\):/, 'a confirmed share is not printed again');
  assert.match(out, /error \[HANDOUT_OPEN\]: The hand-out stopped before Bob, Carol confirmed their shares\./);
  const rootToken = /Root token: (\S+)/.exec(out)?.[1];
  assert.ok(rootToken);
  await unsealWith(server, [alice, bob]);
  assert.equal((await server.nodes[0]!.get('/auth/token/lookup-self', rootToken)).status, 200);
});

test('PGP-encrypted shares go on the sheets encrypted; the QR code gives the message that unseals with the holder\'s private key', async () => {
  const server = await freshNode();
  const keys = await Promise.all(['ann', 'ben'].map(async (name) => {
    const key = await openpgp.generateKey({ userIDs: [{ name }], format: 'armored' });
    const publicFile = join(home, `${name}.pub.asc`);
    const privateFile = join(home, `${name}.key.asc`);
    await writeFile(publicFile, key.publicKey);
    await writeFile(privateFile, key.privateKey, { mode: 0o600 });
    return { publicFile, privateFile, privateKey: await openpgp.readPrivateKey({ armoredKey: key.privateKey }) };
  }));
  const dir = join(home, 'sheets-pgp');
  const init = await cli(['--json', 'vault', 'init', ...conn(server), '--shares', '2', '--threshold', '2', '--pgp-keys', keys.map((k) => k.publicFile).join(','), '--holder', 'Ann', '--holder', 'Ben', '--pdf', dir]);
  assert.equal(init.status, 0, init.stderr);
  const result = jsonOf(init);
  assert.equal(result['shares_encrypted'], true);
  const sheets = result['sheets'] as string[];
  const encrypted = sheets.map((path) => decodeSheetQr(path)[0]!);
  for (const [i, path] of sheets.entries()) {
    const text = pdfText(path);
    assert.ok(text.replace(/\s+/g, ' ').includes('encrypted to your PGP key'));
    assert.equal(text.split('\n').filter((line) => /^[A-Za-z0-9+/=]{20,}$/.test(line)).join(''), encrypted[i], 'printed as Vault printed it');
    const message = await openpgp.readMessage({ binaryMessage: Buffer.from(encrypted[i]!, 'base64') });
    const { data } = await openpgp.decrypt({ message, decryptionKeys: keys[i]!.privateKey, format: 'binary' });
    const plain = Buffer.from(Buffer.from(data as Uint8Array).toString('latin1'), 'hex');
    assert.equal(plain.length, 33);
    const raw = (await readFile(path)).toString('latin1');
    for (const form of leakForms(plain)) assert.ok(!raw.includes(form) && !text.includes(form), 'the decrypted share is on no sheet');
  }
  await unsealWith(server, encrypted, ['--pgp-key', keys[0]!.privateFile, '--pgp-key', keys[1]!.privateFile]);
});
