// What `vault init` does with the shares after the server returned them, without a terminal: printed with the
// holders' names, or on sheets; and when the sheets cannot be written after init (a real file-system failure
// here), the shares are printed instead and the command fails: a share is never lost. The init result is plain
// data (the OpenBao side is covered by test/integration/vault-sheets.test.ts).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { handOutInit, planInitHandout } from '../../../src-main/cli/commands/vault-init-handout.js';
import { Output, type CliIO } from '../../../src-main/cli/io.js';
import type { CommandContext } from '../../../src-main/cli/main.js';
import { CustodianError } from '../../../src-main/core/errors.js';
import type { InitResult } from '../../../src-main/core/vault/index.js';

let root: string;
before(async () => { root = await mkdtemp(join(tmpdir(), 'custodian-init-handout-')); });
after(async () => { await rm(root, { recursive: true, force: true }); });

function session(json: boolean): { context: CommandContext; stdout: () => string; stderr: () => string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const io: CliIO = { stdin: new PassThrough(), stdout, stderr, env: {} };
  const output = new Output(io, json);
  return { context: { io, output: () => output }, stdout: () => Buffer.concat(out).toString(), stderr: () => Buffer.concat(err).toString() };
}

function initResult(): InitResult {
  const shares = [randomBytes(33), randomBytes(33), randomBytes(33)];
  const rootToken = Buffer.from(`s.${randomBytes(18).toString('base64url')}`);
  return { address: 'https://vault-1.example.com:8200', shares, sharesEncrypted: false, pgpFingerprints: [], rootToken, rootTokenEncrypted: false, threshold: 2, wipe: () => undefined };
}

const addresses = ['https://vault-1.example.com:8200'];

test('--holder without --pdf and without a terminal: the shares are printed as before, each with its holder\'s name', async () => {
  const { context, stdout } = session(false);
  const result = initResult();
  const plan = await planInitHandout(context, context.output(), { holder: ['Alice', 'Bob', 'Carol'] }, 3, addresses, false);
  assert.equal(plan.handout, false);
  await handOutInit(context, context.output(), plan, result, []);
  const lines = stdout().trim().split('\n');
  assert.deepEqual(lines.slice(0, 3), ['Alice', 'Bob', 'Carol'].map((name, i) => `Share ${i + 1} (${name}): ${result.shares[i]!.toString('base64')}`));
  assert.equal(lines[3], `Root token: ${result.rootToken.toString()}`);

  const json = session(true);
  await handOutInit(json.context, json.context.output(), plan, result, []);
  const body = JSON.parse(json.stdout()) as Record<string, unknown>;
  assert.deepEqual(body['keys_b64'], result.shares.map((s) => s.toString('base64')));
  assert.deepEqual(body['holders'], ['Alice', 'Bob', 'Carol']);
});

test('sheets that cannot be written after init: the shares are printed instead, then OUTPUT_UNWRITABLE says the cluster is initialised', async () => {
  const dir = join(root, 'sheets');
  const { context, stdout } = session(true);
  const plan = await planInitHandout(context, context.output(), { holder: ['Alice', 'Bob', 'Carol'], pdf: dir }, 3, addresses, false);
  await writeFile(dir, 'something appeared in the way after the check');
  const result = initResult();
  await assert.rejects(handOutInit(context, context.output(), plan, result, []), (e: unknown) => e instanceof CustodianError && e.code === 'OUTPUT_UNWRITABLE'
    && /The cluster is initialised, but the share sheets were not written: .*The shares were printed above instead\./.test(e.message));
  const body = JSON.parse(stdout()) as Record<string, unknown>;
  assert.deepEqual(body['keys_b64'], result.shares.map((s) => s.toString('base64')), 'no share is lost');
  assert.equal(body['root_token'], result.rootToken.toString());
  assert.equal(body['sheets'], undefined);
});

test('before init: a sheet that would not fit one page (too many addresses) is INVALID_INPUT, and the directory is not created', async () => {
  const dir = join(root, 'many');
  const { context } = session(true);
  const many = Array.from({ length: 40 }, (_, i) => `https://vault-${i + 1}.example.com:8200`);
  await assert.rejects(planInitHandout(context, context.output(), { holder: ['A', 'B'], pdf: dir }, 2, many, false),
    (e: unknown) => e instanceof CustodianError && e.code === 'INVALID_INPUT' && /does not fit on one page/.test(e.message));
  await assert.rejects(stat(dir));
  const plan = await planInitHandout(context, context.output(), { pdf: dir }, 2, many.slice(0, 5), true);
  assert.deepEqual(plan.holders, ['', '']);
  await assert.rejects(stat(dir), 'a successful check creates nothing either');
});
