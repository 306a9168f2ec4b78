/**
 * Regression test for the review finding "with `push --all`, an unlocked server's receipt was lost because
 * receipts are only written after every server has finished" (issue 10 §5, docs/protocol.md §12.9): one fast
 * real receiver and one server that never answers within the deadline; the CLI is killed (SIGKILL) after the
 * fast server answered and before the deadline: the fast server's signed receipt and its audit entry are on disk.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeFernetKey } from '../../src-main/core/crypto/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { startReceiver, type ReceiverProcess } from '../support/receivers.js';
import { CLI, jsonOf, runCustodian, type CliRun } from '../support/run-cli.js';
import { SOME_FINGERPRINT, pinDirectly, receiverLaunch, receiverState, startSilentServer, type Closable } from './client-support.js';

let session: KeyringSession;
let env: Record<string, string | undefined>;
let receiver: ReceiverProcess | undefined;
let silent: Closable | undefined;
let keyId = '';

const custodian = (args: string[], input?: string): Promise<CliRun> => runCustodian(args, { env, ...(input === undefined ? {} : { input }), timeoutMs: 30_000 });

before(async () => {
  session = await startKeyring();
  env = { ...process.env, ...session.env };
  const key = randomBytes(32);
  const imported = await custodian(['--json', 'key', 'import', '--name', 'k'], encodeFernetKey(key).toString('ascii'));
  assert.equal(imported.status, 0, imported.stderr);
  keyId = jsonOf(imported)['id'] as string;
  const entry = (await custodian(['identity', 'show'])).stdout.toString().trimEnd();
  const launch = receiverLaunch('python');
  receiver = await startReceiver({ command: launch.command, env: launch.env, authorizedCustodians: `${entry}\n`, keyChecks: [keyId], serverId: 'fast' });
  assert.equal((await custodian(['server', 'add', 'fast', receiver.url, '--identity', receiver.identity])).status, 0);
  silent = await startSilentServer();
  pinDirectly(session.env['CUSTODIAN_HOME']!, { name: 'never', url: silent.url, identity: SOME_FINGERPRINT, serverId: 'never' });
});

after(async () => {
  await silent?.close();
  await receiver?.stop();
  await session?.stop();
});

test('push --all killed before the deadline: the fast server\'s receipt and audit entry are already on disk', async () => {
  const child = spawn(process.execPath, [CLI, 'push', '--key', 'k', '--all', '--timeout', '30'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const started = Date.now();
  const killedAt = await new Promise<number>((resolve, reject) => {
    const guard = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the fast server's line never came: ${out}`)); }, 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('fast  unlocked')) {
        clearTimeout(guard);
        child.kill('SIGKILL');
        resolve(Date.now() - started);
      }
    });
  });
  const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  assert.equal(exit.signal, 'SIGKILL', 'the CLI was still waiting for the other server when it was killed');
  assert.ok(killedAt < 30_000, 'killed before the deadline');
  assert.equal(await receiverState(receiver!.url), 'unlocked');
  const home = session.env['CUSTODIAN_HOME']!;
  const receipts = readFileSync(join(home, 'receipts.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { server: string; keyIds: string[]; bootId: string; jws: string });
  assert.equal(receipts.length, 1);
  assert.equal(receipts[0]!.server, 'fast');
  assert.deepEqual(receipts[0]!.keyIds, [keyId]);
  assert.equal(receipts[0]!.bootId, receiver!.bootId);
  assert.match(receipts[0]!.jws, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  const audit = readFileSync(join(home, 'audit.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  const pushes = audit.filter((event) => event['action'] === 'push');
  assert.deepEqual(pushes.map((event) => [event['server'], event['outcome'], event['result']]), [['fast', 'ok', 'unlocked']]);
});
