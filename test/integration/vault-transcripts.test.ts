// Ceremony transcripts (issue 13 item 2) against one real OpenBao node through the real CLI and the real OS
// keychain: init, unseal, rekey, rekey-verify and generate-root each leave ONE `vault.transcript` entry with the
// holders' names and their shares' Shamir indexes (the last byte of a share) and never a share or token; one
// transcript exports on its own with an inclusion proof that checks against the signed checkpoint.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseCheckpointText } from '../../src-main/core/audit/checkpoint.js';
import { leafHash, verifyInclusion } from '../../src-main/core/audit/merkle.js';
import { openNote, parseVerifierKey } from '../../src-main/core/audit/note.js';
import { assertNoSecrets, custodianEnv, startSingleNode, type BaoCluster } from '../support/openbao.js';
import { jsonOf, ok, runCustodian } from '../support/run-cli.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';

let server: BaoCluster;
let home: string;
let env: Record<string, string>;
let keyring: KeyringSession | undefined;
const secrets: Buffer[] = [];

before(async () => {
  server = await startSingleNode();
  home = await mkdtemp(join(tmpdir(), 'custodian-transcripts-'));
  keyring = await startKeyring();
  env = { ...keyring.env, ...custodianEnv(home) };
});

after(async () => {
  for (const secret of secrets) secret.fill(0);
  await keyring?.stop();
  await server?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

const conn = (): string[] => ['--addr', server.addresses[0]!, '--ca-cert', server.ca.caCert];
const cli = (args: string[], input?: string) => runCustodian(args, { env, ...(input === undefined ? {} : { input }), timeoutMs: 90_000 });
const lines = (list: Buffer[]): string => `${list.map((s) => s.toString('base64')).join('\n')}\n`;
const x = (share: Buffer): number => share[share.length - 1]!;

type Transcript = Record<string, unknown> & { seq: number; ceremony: string; holders: Array<{ turn: number; shareIndex: number | null; name?: string; result: string }>; nodes: Array<{ address: string; result: string }> };

test('every ceremony leaves one transcript with names and Shamir indexes, no share or token, exportable with a proof', async () => {
  // init 3/2 with the holders named in share order
  const init = jsonOf(ok(await cli(['--json', 'vault', 'init', '--shares', '3', '--threshold', '2', '--holder', 'Alice', '--holder', 'Bob', '--holder', 'Carol Ünal', ...conn()])));
  const shares = (init['keys_b64'] as string[]).map((k) => Buffer.from(k, 'base64'));
  const rootToken = Buffer.from(init['root_token'] as string, 'utf8');
  secrets.push(...shares, rootToken);

  // unseal with Carol's and Alice's shares, named in turn
  ok(await cli(['vault', 'unseal', ...conn(), '--shares-file', '-', '--holder', 'Carol Ünal', '--holder', 'Alice'], lines([shares[2]!, shares[0]!])));

  // rekey to 3/2 (old holders Bob and Carol authorise), then the new holders verify
  const rekey = jsonOf(ok(await cli(['--json', 'vault', 'rekey', ...conn(), '--shares', '3', '--threshold', '2', '--shares-file', '-', '--holder', 'Bob', '--holder', 'Carol Ünal'], lines([shares[1]!, shares[2]!]))));
  const fresh = (rekey['keys_b64'] as string[]).map((k) => Buffer.from(k, 'base64'));
  secrets.push(...fresh);
  assert.equal(rekey['verification_required'], true);
  const verify = jsonOf(ok(await cli(['--json', 'vault', 'rekey-verify', ...conn(), '--shares-file', '-', '--holder', 'Dana', '--holder', 'Erik'], lines([fresh[0]!, fresh[1]!]))));
  assert.equal(verify['complete'], true);

  // generate-root with the new shares; the third holder unnamed
  const tokenOut = join(home, 'root-token.txt');
  const generated = jsonOf(ok(await cli(['--json', 'vault', 'generate-root', ...conn(), '--token-out', tokenOut, '--shares-file', '-', '--holder', 'Dana'], lines([fresh[2]!, fresh[0]!]))));
  const newRoot = Buffer.from((await readFile(tokenOut, 'utf8')).trim(), 'utf8');
  secrets.push(newRoot);
  await rm(tokenOut);

  const entries = jsonOf(ok(await cli(['--json', 'audit', 'log', '--action', 'vault.transcript']))).entries as Transcript[];
  assert.deepEqual(entries.map((e) => e.ceremony), ['init', 'unseal', 'rekey', 'rekey-verify', 'generate-root'], 'one transcript per ceremony, in order');
  const [tInit, tUnseal, tRekey, tVerify, tRoot] = entries as [Transcript, Transcript, Transcript, Transcript, Transcript];
  for (const t of entries) {
    assert.equal(t['action'], 'vault.transcript');
    assert.match(String(t['ceremonyId']), /^[0-9a-f-]{36}$/);
    assert.deepEqual(t['cluster'], server.addresses);
    assert.equal(t['outcome'], 'ok');
  }
  assert.equal(new Set(entries.map((t) => t['ceremonyId'])).size, 5, 'every ceremony has its own id');

  assert.deepEqual(tInit.holders, [
    { turn: 1, shareIndex: x(shares[0]!), name: 'Alice', result: 'handed-out' },
    { turn: 2, shareIndex: x(shares[1]!), name: 'Bob', result: 'handed-out' },
    { turn: 3, shareIndex: x(shares[2]!), name: 'Carol Ünal', result: 'handed-out' },
  ]);
  assert.equal(tInit['state'], 'initialized-sealed');
  assert.equal(tInit['fingerprint'], undefined, 'init has no nonce, so no fingerprint');

  assert.deepEqual(tUnseal.holders, [
    { turn: 1, shareIndex: x(shares[2]!), name: 'Carol Ünal', result: 'accepted' },
    { turn: 2, shareIndex: x(shares[0]!), name: 'Alice', result: 'accepted' },
  ]);
  assert.equal(tUnseal['state'], 'unsealed');
  assert.deepEqual(tUnseal.nodes, [{ address: server.addresses[0], result: 'unsealed' }]);

  assert.equal(tRekey['fingerprint'], rekey['fingerprint'], 'the fingerprint the holders confirmed');
  assert.deepEqual(tRekey.holders.map((h) => [h.name, h.shareIndex]), [['Bob', x(shares[1]!)], ['Carol Ünal', x(shares[2]!)]]);
  assert.equal(tRekey['state'], 'verification-pending');
  assert.equal(tVerify['fingerprint'], verify['fingerprint']);
  assert.deepEqual(tVerify.holders.map((h) => [h.name, h.shareIndex]), [['Dana', x(fresh[0]!)], ['Erik', x(fresh[1]!)]]);
  assert.equal(tVerify['state'], 'rekeyed');
  assert.equal(tRoot['fingerprint'], generated['fingerprint']);
  assert.deepEqual(tRoot.holders, [
    { turn: 1, shareIndex: x(fresh[2]!), name: 'Dana', result: 'accepted' },
    { turn: 2, shareIndex: x(fresh[0]!), result: 'accepted' },
  ], 'a holder without --holder stays unnamed');
  assert.equal(tRoot['state'], 'root-token-generated');

  // No share, root token or any 12-character piece of one anywhere in the audit log.
  const auditLog = join(home, 'custodian', 'audit.log');
  const text = await readFile(auditLog, 'latin1');
  assertNoSecrets(secrets, { files: [auditLog] });
  for (const secret of secrets) {
    for (const form of [secret.toString('base64'), secret.toString('hex'), secret.toString('latin1')]) {
      for (let i = 0; i + 12 <= form.length; i += 4) assert.ok(!text.includes(form.slice(i, i + 12)), 'no piece of a share or token in audit.log');
    }
  }

  // Bob's proof that he took part in the rekey: the one entry, an inclusion proof, the signed checkpoint, the key.
  const out = join(home, 'bob-rekey');
  ok(await cli(['audit', 'export', '--entry', String(tRekey.seq), '--out', out]));
  assert.deepEqual((await readdir(out)).sort(), ['checkpoint.txt', 'entry.jsonl', 'inclusion.json', 'verifier-key.txt', 'verify.json']);
  const entryLine = (await readFile(join(out, 'entry.jsonl'), 'utf8')).replace(/\n$/, '');
  assert.equal(JSON.parse(entryLine).ceremonyId, tRekey['ceremonyId']);
  const key = parseVerifierKey((await readFile(join(out, 'verifier-key.txt'), 'utf8')).trim());
  assert.ok(key, 'the verifier key parses');
  const opened = openNote(await readFile(join(out, 'checkpoint.txt'), 'utf8'), key);
  assert.equal(opened?.verified, true, 'the checkpoint is signed by the audit key');
  const checkpoint = parseCheckpointText(opened!.text)!;
  const proof = JSON.parse(await readFile(join(out, 'inclusion.json'), 'utf8')) as { index: number; tree_size: number; inclusion_path: string[] };
  assert.equal(proof.index, tRekey.seq);
  assert.equal(proof.tree_size, checkpoint.size);
  const leaf = leafHash(Buffer.from(entryLine, 'utf8'));
  assert.equal(verifyInclusion(leaf, proof.index, proof.tree_size, proof.inclusion_path.map((h) => Buffer.from(h, 'base64')), checkpoint.root), true, 'the entry is in the signed tree');
  // ... and a forged entry is not.
  const forged = Buffer.from(entryLine.replace('"Bob"', '"Mallory"'), 'utf8');
  assert.equal(verifyInclusion(leafHash(forged), proof.index, proof.tree_size, proof.inclusion_path.map((h) => Buffer.from(h, 'base64')), checkpoint.root), false);
  assert.equal(jsonOf(ok(await cli(['--json', 'audit', 'verify'])))['ok'], true);
});
