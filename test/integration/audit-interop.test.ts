/**
 * Interoperability with reference code nobody here wrote: the Go program in test/interop/audit-go checks a
 * `custodian audit export` with golang.org/x/mod/sumdb/note (C2SP signed note, verifier key) and sumdb/tlog
 * (RFC 6962 tree hash, inclusion and consistency proofs). It must accept a good export, a single-entry export,
 * and reject a tampered entry, a tampered checkpoint and a foreign verifier key.
 * Needs Go (`go` on PATH or /usr/local/go/bin/go) and golang.org/x/mod v0.43.0 from the module proxy or cache.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { ok, runCustodian } from '../support/run-cli.js';

const source = fileURLToPath(new URL('../../../test/interop/audit-go/', import.meta.url));
let session: KeyringSession;
let work: string;
let checker: string;

function goBinary(): string {
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    const version = spawnSync(candidate, ['version'], { encoding: 'utf8' });
    if (version.status === 0) return candidate;
  }
  throw new Error('Go is missing: the audit interop test needs the Go toolchain (`go version` failed; install Go 1.22+ or put /usr/local/go/bin on PATH)');
}

function check(dir: string): { status: number | null; output: string } {
  const run = spawnSync(checker, [dir], { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'custodian-audit-interop-'));
  checker = join(work, 'audit-go');
  const build = spawnSync(goBinary(), ['build', '-o', checker, '.'], {
    cwd: source, encoding: 'utf8', timeout: 300_000,
    env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
  });
  assert.equal(build.status, 0, `go build failed: ${build.stderr}`);
  session = await startKeyring();
  const cli = (args: string[]) => runCustodian(args, { env: session.env, timeoutMs: 60_000 });
  for (let i = 0; i < 7; i += 1) ok(await cli(['key', 'generate', '--name', `interop-${i}`]));
  ok(await cli(['audit', 'export', '--out', join(work, 'full'), '--consistency-from', '3']));
  ok(await cli(['audit', 'export', '--out', join(work, 'one'), '--entry', '2']));
});
after(async () => {
  await session?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('Go\'s sumdb/note and sumdb/tlog accept a full export and a single-entry export', () => {
  assert.ok(existsSync(join(work, 'full', 'log.jsonl')));
  const full = check(join(work, 'full'));
  assert.equal(full.status, 0, full.output);
  assert.match(full.output, /^OK key-custodian\/audit-[0-9a-f]{16} size \d+/);
  const one = check(join(work, 'one'));
  assert.equal(one.status, 0, one.output);
});

const tampers: [string, (dir: string) => void, RegExp][] = [
  ['an edited entry', (dir) => writeFileSync(join(dir, 'log.jsonl'), readFileSync(join(dir, 'log.jsonl'), 'utf8').replace('interop-4', 'interop-X')), /do not hash to the checkpoint's root/],
  ['a dropped entry', (dir) => writeFileSync(join(dir, 'log.jsonl'), `${readFileSync(join(dir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).slice(1).join('\n')}\n`), /entries, the checkpoint/],
  ['an edited checkpoint', (dir) => writeFileSync(join(dir, 'checkpoint.txt'), readFileSync(join(dir, 'checkpoint.txt'), 'utf8').replace(/\n(\d+)\n/, (_, n: string) => `\n${Number(n) + 1}\n`)), /checkpoint signature/],
  ['another verifier key', (dir) => writeFileSync(join(dir, 'verifier-key.txt'), 'key-custodian/audit-0000000000000000+00000000+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n'), /verifier key|checkpoint signature/],
];

for (const [name, tamper, expected] of tampers) {
  test(`Go rejects an export with ${name}`, () => {
    const dir = join(work, `tampered-${name.replace(/\W+/g, '-')}`);
    cpSync(join(work, 'full'), dir, { recursive: true });
    tamper(dir);
    const result = check(dir);
    assert.equal(result.status, 1, result.output);
    assert.match(result.output, expected);
  });
}

test('Go rejects a single-entry export whose entry was edited', () => {
  const dir = join(work, 'one-tampered');
  cpSync(join(work, 'one'), dir, { recursive: true });
  writeFileSync(join(dir, 'entry.jsonl'), readFileSync(join(dir, 'entry.jsonl'), 'utf8').replace('"ok"', '"error"'));
  const result = check(dir);
  assert.equal(result.status, 1, result.output);
  assert.match(result.output, /inclusion proof/);
});
