/**
 * Regression test for the review finding "anyone can keep a locked server locked" (issue 10 §5, docs/protocol.md
 * §12.1): with 60 ms of latency each way, a flood of ~100 GET /status per second from another client evicted the
 * custodian's challenge before its POST arrived, and the real `custodian push` failed 3 of 3 times. Challenges
 * are stateless now. Here: the real CLI behind an in-process delaying TCP proxy (60 ms each way; ENVIRONMENT.md:
 * no tc/netem), a real receiver (Node and Python), a flood of 100 status requests per second straight to the
 * receiver while each push runs (at most 10 s); three push/lock rounds must all unlock.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { encodeFernetKey } from '../../src-main/core/crypto/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { startReceiver, type ReceiverProcess } from '../support/receivers.js';
import { jsonOf, runCustodian, type CliRun } from '../support/run-cli.js';
import { receiverLaunch, receiverState, startDelayingProxy, startStatusFlood, type Closable, type ReceiverKind } from './client-support.js';

const LATENCY_MS = 60;
const ROUNDS = 3;

let session: KeyringSession;
let env: Record<string, string | undefined>;
let entry = '';
let keyId = '';
const receivers: ReceiverProcess[] = [];
const proxies: Closable[] = [];

const custodian = (args: string[], input?: string): Promise<CliRun> => runCustodian(args, { env, ...(input === undefined ? {} : { input }), timeoutMs: 30_000 });

before(async () => {
  session = await startKeyring();
  env = { ...process.env, ...session.env };
  const imported = await custodian(['--json', 'key', 'import', '--name', 'k'], encodeFernetKey(randomBytes(32)).toString('ascii'));
  assert.equal(imported.status, 0, imported.stderr);
  keyId = jsonOf(imported)['id'] as string;
  entry = (await custodian(['identity', 'show'])).stdout.toString().trimEnd();
});

after(async () => {
  for (const proxy of proxies) await proxy.close();
  for (const receiver of receivers) await receiver.stop();
  await session?.stop();
});

for (const kind of ['node', 'python'] as ReceiverKind[]) {
  describe(`a status flood over a slow link (${kind} receiver)`, () => {
    test(`${ROUNDS} of ${ROUNDS} pushes unlock while another client floods GET /status at 100/s, with ${LATENCY_MS} ms each way`, async () => {
      const launch = receiverLaunch(kind);
      const receiver = await startReceiver({ command: launch.command, env: launch.env, authorizedCustodians: `${entry}\n`, keyChecks: [keyId], serverId: `flood-${kind}` });
      receivers.push(receiver);
      const proxy = await startDelayingProxy(receiver.port, LATENCY_MS);
      proxies.push(proxy);
      const name = `flood-${kind}`;
      assert.equal((await custodian(['server', 'add', name, proxy.url, '--identity', receiver.identity])).status, 0);
      const floods: { sent: number; answered: number }[] = [];
      for (let round = 1; round <= ROUNDS; round += 1) {
        const flood = startStatusFlood(receiver.url, 100, 10_000);
        let run: CliRun;
        const started = Date.now();
        try {
          await new Promise((resolve) => setTimeout(resolve, 300)); // the flood is under way before the push starts
          run = await custodian(['--json', 'push', '--key', 'k', '--server', name]);
        } finally {
          floods.push(await flood.stop());
        }
        const seconds = (Date.now() - started) / 1000;
        assert.equal(run.status, 0, `round ${round}: exit ${run.status}; ${run.stderr}; ${run.stdout.toString()}`);
        assert.equal((jsonOf(run) as { results: { outcome: string }[] }).results[0]!.outcome, 'unlocked', `round ${round}`);
        assert.equal(await receiverState(receiver.url), 'unlocked');
        const flooded = floods[floods.length - 1]!;
        assert.ok(flooded.answered >= 50 * seconds * 0.5, `round ${round}: the flood ran (${flooded.answered} answered in ${seconds} s)`);
        // Lock it again (through the same slow link) for the next round.
        const locked = await custodian(['server', 'lock', name]);
        assert.equal(locked.status, 0, locked.stderr);
        assert.equal(await receiverState(receiver.url), 'locked');
      }
    });
  });
}
