/**
 * Regression tests for the review findings on the client's network handling (issue 10 §5, docs/protocol.md
 * §12.9), with the real CLI (bin/custodian.js) against tiny hostile servers on loopback:
 * - an answer trickled one byte every 3 s kept a status pending past 45 s: now one overall deadline per request;
 * - an HTTP `101 Switching Protocols` answer made the CLI exit with status 13 printing nothing, even with --json:
 *   now SERVER_UNREACHABLE with a sentence (also a `102` interim answer);
 * - many servers are contacted with bounded concurrency.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { encodeFernetKey } from '../../src-main/core/crypto/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { jsonError, jsonOf, runCustodian, type CliRun } from '../support/run-cli.js';
import {
  PROCESSING, SOME_FINGERPRINT, SWITCHING_PROTOCOLS, pinDirectly, startInterimServer, startSilentServer, startTricklingServer, type Closable,
} from './client-support.js';

let session: KeyringSession;
let env: Record<string, string | undefined>;
const servers: Closable[] = [];

const custodian = async (args: string[], input?: string): Promise<CliRun & { seconds: number }> => {
  const started = Date.now();
  const run = await runCustodian(args, { env, ...(input === undefined ? {} : { input }), timeoutMs: 40_000 });
  return { ...run, seconds: (Date.now() - started) / 1000 };
};

function ok(run: CliRun): CliRun {
  assert.ok(!run.timedOut, 'the CLI finished');
  assert.equal(run.status, 0, `exit ${run.status}; stderr: ${run.stderr}`);
  return run;
}

/** Exit 7, a coded SERVER_UNREACHABLE sentence on stderr (never the silent status 13). */
function unreachable(run: CliRun, why: RegExp): void {
  assert.ok(!run.timedOut, 'the CLI finished instead of hanging');
  assert.equal(run.status, 7, `exit ${run.status}; stderr: ${run.stderr}`);
  assert.match(run.stderr, /error \[SERVER_UNREACHABLE\]/);
  assert.match(`${run.stdout.toString()}${run.stderr}`, why);
}

before(async () => {
  session = await startKeyring();
  env = { ...process.env, ...session.env };
  ok(await custodian(['key', 'import', '--name', 'k'], encodeFernetKey(randomBytes(32)).toString('ascii')));
  const trickle = await startTricklingServer(3000, 30);
  const upgrade = await startInterimServer(SWITCHING_PROTOCOLS);
  const processing = await startInterimServer(PROCESSING);
  const truncated = await startInterimServer('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\nConnection: close\r\n\r\n{"protocol":', { thenClose: true });
  servers.push(trickle, upgrade, processing, truncated);
  const home = session.env['CUSTODIAN_HOME']!;
  pinDirectly(home, { name: 'trickle', url: trickle.url, identity: SOME_FINGERPRINT, serverId: 'trickle' });
  pinDirectly(home, { name: 'upgrade', url: upgrade.url, identity: SOME_FINGERPRINT, serverId: 'upgrade' });
  pinDirectly(home, { name: 'processing', url: processing.url, identity: SOME_FINGERPRINT, serverId: 'processing' });
  pinDirectly(home, { name: 'truncated', url: truncated.url, identity: SOME_FINGERPRINT, serverId: 'truncated' });
});

after(async () => {
  for (const server of servers) await server.close();
  await session?.stop();
});

describe('one overall deadline per request', () => {
  test('a status answer trickled one byte every 3 s fails at --timeout (2 s), with a sentence', async () => {
    const run = await custodian(['server', 'status', 'trickle', '--timeout', '2']);
    unreachable(run, /no complete answer within 2 s/);
    assert.ok(run.seconds < 6, `took ${run.seconds} s`);
  });

  test('without --timeout the default deadline (10 s) ends it, far before the trickle would', async () => {
    const run = await custodian(['--json', 'server', 'status', 'trickle']);
    assert.equal(run.status, 7, run.stderr);
    assert.ok(run.seconds >= 9 && run.seconds < 15, `took ${run.seconds} s`);
    const result = jsonOf(run) as { servers: { ok: boolean; error: { code: string; message: string } }[] };
    assert.equal(result.servers[0]!.error.code, 'SERVER_UNREACHABLE');
    assert.match(result.servers[0]!.error.message, /within 10 s/);
    assert.equal(jsonError(run).code, 'SERVER_UNREACHABLE');
  });

  test('push to a trickling server fails at the deadline; nothing hangs', async () => {
    const run = await custodian(['push', '--key', 'k', '--server', 'trickle', '--timeout', '2']);
    unreachable(run, /trickle {2}failed {2}\[SERVER_UNREACHABLE\].*within 2 s/);
    assert.ok(run.seconds < 8, `took ${run.seconds} s`);
  });

  test('an answer cut off before its announced length is SERVER_UNREACHABLE, not a parse of half an answer', async () => {
    const run = await custodian(['server', 'status', 'truncated']);
    unreachable(run, /\(connection lost/);
    assert.ok(run.seconds < 5, `took ${run.seconds} s`);
  });

  test('--timeout is checked', async () => {
    for (const value of ['0', 'abc', '601', '-1']) {
      const run = await custodian(['server', 'status', 'trickle', '--timeout', value]);
      assert.equal(run.status, 2, `${value}: ${run.stderr}`);
      assert.match(run.stderr, /error \[USAGE\]: --timeout takes a number of seconds/);
    }
  });
});

describe('1xx and 101 answers', () => {
  test('101 Switching Protocols: server status exits 7 with SERVER_UNREACHABLE and a sentence (was: status 13, silent)', async () => {
    const run = await custodian(['server', 'status', 'upgrade']);
    unreachable(run, /HTTP 101/);
    assert.ok(run.seconds < 5, `took ${run.seconds} s`);
  });

  test('101 with --json on push: one JSON result on stdout, one JSON error on stderr', async () => {
    const run = await custodian(['--json', 'push', '--key', 'k', '--server', 'upgrade']);
    assert.equal(run.status, 7, run.stderr);
    const result = jsonOf(run) as { ok: boolean; results: { outcome: string; error: { code: string; message: string } }[] };
    assert.equal(result.ok, false);
    assert.equal(result.results[0]!.outcome, 'failed');
    assert.equal(result.results[0]!.error.code, 'SERVER_UNREACHABLE');
    assert.match(result.results[0]!.error.message, /HTTP 101 \(a protocol switch\)/);
    assert.equal(jsonError(run).code, 'SERVER_UNREACHABLE');
  });

  test('a 102 interim answer is refused at once too', async () => {
    const run = await custodian(['server', 'status', 'processing']);
    unreachable(run, /HTTP 102/);
    assert.ok(run.seconds < 5, `took ${run.seconds} s`);
  });
});

describe('bounded concurrency', () => {
  test('40 servers that never answer: at most --concurrency (8) connections at once, every one tried, done in 5 rounds of the deadline', async () => {
    const silent = await startSilentServer();
    servers.push(silent);
    const home = session.env['CUSTODIAN_HOME']!;
    const names = Array.from({ length: 40 }, (_, i) => `silent-${String(i).padStart(2, '0')}`);
    for (const name of names) pinDirectly(home, { name, url: silent.url, identity: SOME_FINGERPRINT, serverId: name });
    const run = await custodian(['--json', 'server', 'status', ...names, '--timeout', '1', '--concurrency', '8']);
    assert.equal(run.status, 7, run.stderr);
    const result = jsonOf(run) as { servers: { server: string; error: { code: string } }[] };
    assert.deepEqual(result.servers.map((s) => s.server), names, 'one result per server, in order');
    assert.ok(result.servers.every((s) => s.error.code === 'SERVER_UNREACHABLE'));
    assert.equal(silent.total(), 40);
    // A closing socket may still be counted when the next one arrives; without a bound it would be 40.
    assert.ok(silent.maxOpen() <= 10, `max open ${silent.maxOpen()}`);
    assert.ok(run.seconds >= 4.5 && run.seconds < 12, `took ${run.seconds} s`);
  });
});
