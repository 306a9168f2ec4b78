/**
 * The host key agent with a Node application process: the real `custodian push` (bin/custodian.js, real
 * gnome-keyring) unlocks the Python agent (`python -m custodian_receiver agent`, a real process), and the Node
 * agent client (receivers/node/src/agent-client.ts) gets the keys over the Unix socket, decrypts, and wipes them
 * when the agent dies. A uid the agent does not allow is refused.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeFernetKey } from '../../src-main/core/crypto/index.js';
import { AgentClient, AgentLockedError } from '../../receivers/node/src/index.js';
import { fernetDecrypt, fernetEncrypt } from '../../receivers/node/src/fernet.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { repoRoot } from '../support/protocol-vectors.js';
import { nodeReceiverCommand, pythonReceiverCommand, startReceiver, type ReceiverProcess } from '../support/receivers.js';
import { type CliRun, jsonOf, ok, runCustodian } from '../support/run-cli.js';
import { filesLeaking, leakedForms } from '../support/secret-forms.js';

let session: KeyringSession;
let env: Record<string, string | undefined>;
let entry: string;
const keys = { current: randomBytes(32), previous: randomBytes(32) };
const ids = { current: '', previous: '' };
const dirs: string[] = [];
const agents: ReceiverProcess[] = [];
const clients: AgentClient[] = [];

const custodian = (args: string[], input?: string): Promise<CliRun> =>
  runCustodian(args, { env, ...(input === undefined ? {} : { input }), timeoutMs: 30_000 });

/** The Python agent, from this checkout's source, with its socket in a 0700 runtime directory. */
async function startAgent(allowUid: number): Promise<{ agent: ReceiverProcess; socketPath: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'custodian-agent-'));
  dirs.push(dir);
  const run = join(dir, 'run');
  mkdirSync(run, { mode: 0o700 });
  const socketPath = join(run, 'agent.sock');
  const agent = await startReceiver({
    command: [...pythonReceiverCommand(), 'agent', '--socket', socketPath, '--allow-uid', String(allowUid)],
    dir,
    authorizedCustodians: `# test\n${entry}\n`,
    keyChecks: [ids.current, ids.previous],
    serverId: 'agent-host',
    env: { PYTHONPATH: join(repoRoot(), 'receivers', 'python', 'src') },
  });
  agents.push(agent);
  return { agent, socketPath, dir };
}

function client(socketPath: string): AgentClient {
  const made = new AgentClient(socketPath);
  clients.push(made);
  return made;
}

before(async () => {
  session = await startKeyring();
  env = { ...process.env, ...session.env };
  for (const name of ['current', 'previous'] as const) {
    const imported = jsonOf(ok(await custodian(['--json', 'key', 'import', '--name', name], encodeFernetKey(keys[name]).toString('ascii'))));
    ids[name] = imported['id'] as string;
  }
  entry = ok(await custodian(['identity', 'show'])).stdout.toString().trimEnd();
});

after(async () => {
  for (const c of clients) c.close();
  for (const a of agents) await a.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await session?.stop();
});

describe('Node agent client <- Python host agent <- custodian push', () => {
  test('locked until the push; then decrypts with current and previous keys; wiped when the agent dies', async () => {
    const uid = process.getuid!();
    const { agent, socketPath, dir } = await startAgent(uid);
    assert.equal(statSync(socketPath).mode & 0o777, 0o600);
    const app = client(socketPath);
    assert.equal(await app.ready(5000), false, 'the agent answered: locked');
    assert.equal(app.state, 'locked');
    assert.throws(() => app.fernet(), (error: unknown) => error instanceof AgentLockedError && error.reason === 'locked' && error.code === 'LOCKED');

    ok(await custodian(['server', 'add', 'agent-host', agent.url, '--identity', agent.identity]));
    const push = jsonOf(ok(await custodian(['--json', 'push', '--key', 'current', '--previous', 'previous', '--server', 'agent-host'])));
    assert.equal((push['results'] as { outcome: string }[])[0]!.outcome, 'unlocked');
    assert.equal(await app.waitUnlocked(5000), true);
    assert.deepEqual(app.keyIds, [ids.current, ids.previous]);

    const now = Math.floor(Date.now() / 1000);
    const fernet = app.fernet();
    assert.equal(fernet.decrypt(fernetEncrypt(keys.previous, Buffer.from('old row'), now)).toString(), 'old row');
    assert.equal(fernetDecrypt(keys.current, fernet.encrypt(Buffer.from('new row')), now).toString(), 'new row', 'encrypts under the current key');

    const held = [...(app['keys'] as Buffer[])];
    assert.equal(held.length, 2);
    process.kill(agent.pid, 'SIGKILL');
    assert.equal(await waitFor(() => app.state !== 'unlocked', 5000), true, 'the client noticed the agent is gone');
    assert.ok(held.every((key) => key.every((byte) => byte === 0)), 'the keys this process held are zeroed');
    assert.throws(() => app.fernet(), AgentLockedError);
    assert.throws(() => fernet.decrypt(fernetEncrypt(keys.current, Buffer.from('x'), now)), /locked/, 'an old handle stops working');

    for (const key of [keys.current, keys.previous]) {
      assert.deepEqual(filesLeaking(dir, key), []);
      assert.deepEqual(leakedForms(agent.stdout() + agent.stderr(), key), []);
    }
  });

  test('a process whose uid the agent does not allow is refused', async () => {
    const { agent, socketPath } = await startAgent(process.getuid!() + 4242);
    const app = client(socketPath);
    await app.ready(5000);
    assert.equal(await waitFor(() => app.state === 'refused', 5000), true);
    assert.throws(() => app.fernet(), (error: unknown) => error instanceof AgentLockedError && error.reason === 'refused');
    const refused = await agent.waitFor((event) => event.event === 'agent_refused', 5000);
    assert.equal(refused['uid'], process.getuid!());
  });
});

describe('Node demo receiver', () => {
  test('`custodian-receiver agent` explains that the agent is the Python one', () => {
    const [node, ...args] = nodeReceiverCommand();
    const run = spawnSync(node!, [...args, 'agent', '--socket', '/tmp/x.sock'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^error \[USAGE\]: there is no Node host key agent: run `python -m custodian_receiver agent`/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return condition();
}
