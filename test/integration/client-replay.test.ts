/**
 * Regression test for the review finding "a replayed signed status makes the client report unlocked"
 * (issue 10 §5, docs/protocol.md §12.2): after a restart, a man in the middle replaying the previous boot's
 * "unlocked" status made `custodian push` exit 0 with outcome `already-unlocked`, and `server status --watch
 * --until unlocked` exit 0. Every status request now carries a fresh nonce that the signed answer must echo.
 * Real CLI, real gnome-keyring, real Node and Python receivers, an HTTP man in the middle on loopback.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { encodeFernetKey } from '../../src-main/core/crypto/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { startReceiver, type ReceiverProcess } from '../support/receivers.js';
import { jsonOf, runCustodian, type CliRun } from '../support/run-cli.js';
import { receiverLaunch, receiverState, startReplayingProxy, type ReceiverKind, type ReplayingProxy } from './client-support.js';

let session: KeyringSession;
let env: Record<string, string | undefined>;
let entry: string;
const keys = { current: randomBytes(32), previous: randomBytes(32) };
const ids = { current: '', previous: '' };
const receivers: ReceiverProcess[] = [];
const proxies: ReplayingProxy[] = [];

const custodian = (args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<CliRun> =>
  runCustodian(args, { env, ...(options.input === undefined ? {} : { input: options.input }), timeoutMs: options.timeoutMs ?? 30_000 });

function ok(run: CliRun): CliRun {
  assert.ok(!run.timedOut, 'the CLI finished');
  assert.equal(run.status, 0, `exit ${run.status}; stderr: ${run.stderr}`);
  return run;
}

before(async () => {
  session = await startKeyring();
  env = { ...process.env, ...session.env };
  for (const name of ['current', 'previous'] as const) {
    ids[name] = jsonOf(ok(await custodian(['--json', 'key', 'import', '--name', name], { input: encodeFernetKey(keys[name]).toString('ascii') })))['id'] as string;
  }
  entry = ok(await custodian(['identity', 'show'])).stdout.toString().trimEnd();
});

after(async () => {
  for (const proxy of proxies) await proxy.close();
  for (const receiver of receivers) await receiver.stop();
  await session?.stop();
});

for (const kind of ['node', 'python'] as ReceiverKind[]) {
  describe(`a replayed "unlocked" status (${kind} receiver)`, () => {
    let receiver: ReceiverProcess;
    let proxy: ReplayingProxy;
    const name = `replay-${kind}`;

    before(async () => {
      const launch = receiverLaunch(kind);
      receiver = await startReceiver({ command: launch.command, env: launch.env, authorizedCustodians: `${entry}\n`, keyChecks: [ids.current, ids.previous], serverId: name });
      receivers.push(receiver);
      proxy = await startReplayingProxy(receiver.url);
      proxies.push(proxy);
      ok(await custodian(['server', 'add', name, proxy.url, '--identity', receiver.identity]));
      ok(await custodian(['push', '--key', 'current', '--previous', 'previous', '--server', name]));
      ok(await custodian(['server', 'status', name]));
      assert.match(proxy.lastStatus ?? '', /"status"/, 'the man in the middle recorded the signed "unlocked" status');
      await receiver.restart();
      assert.equal(await receiverState(receiver.url), 'locked', 'the restarted receiver is locked');
      proxy.replay = proxy.lastStatus;
    });

    test('push does not report already-unlocked: STALE_STATUS, exit 7, nothing sent', async () => {
      const run = await custodian(['--json', 'push', '--key', 'current', '--previous', 'previous', '--server', name]);
      assert.equal(run.status, 7, run.stderr);
      const result = jsonOf(run) as { ok: boolean; results: { outcome: string; error?: { code: string; message: string } }[] };
      assert.equal(result.ok, false);
      assert.notEqual(result.results[0]!.outcome, 'already-unlocked');
      assert.equal(result.results[0]!.error?.code, 'STALE_STATUS');
      assert.match(result.results[0]!.error!.message, /replay/);
      assert.equal(receiver.unlockAttempts(), 0, 'no unlock request reached the restarted receiver');
      assert.equal(await receiverState(receiver.url), 'locked');
    });

    test('server status says STALE_STATUS (exit 7), never "unlocked"', async () => {
      const run = await custodian(['server', 'status', name]);
      assert.equal(run.status, 7, run.stderr);
      assert.match(run.stdout.toString(), /error \[STALE_STATUS\]/);
      assert.doesNotMatch(run.stdout.toString(), /unlocked/);
    });

    test('server status --watch --until unlocked does not exit 0 (it keeps reporting STALE_STATUS until stopped)', async () => {
      const run = await custodian(['--json', 'server', 'status', '--watch', '--until', 'unlocked', '--interval', '0.2', name], { timeoutMs: 4000 });
      assert.ok(run.timedOut, `it must not finish: exit ${run.status}; ${run.stdout.toString()}`);
      assert.notEqual(run.status, 0);
      const lines = run.stdout.toString().trim().split('\n').map((line) => JSON.parse(line) as { ok: boolean; state?: string; error?: { code: string } });
      assert.ok(lines.length >= 1);
      assert.ok(lines.every((line) => !line.ok && line.error?.code === 'STALE_STATUS' && line.state === undefined), JSON.stringify(lines));
    });

    test('once the man in the middle stops replaying, the push unlocks the new boot', async () => {
      proxy.replay = null;
      ok(await custodian(['push', '--key', 'current', '--previous', 'previous', '--server', name]));
      assert.equal(await receiverState(receiver.url), 'unlocked');
    });
  });
}
