/**
 * The custodian side of docs/protocol.md §12.3-12.6 with the real CLI, real gnome-keyring and real receivers
 * (Node and Python) on loopback: the key order check, `server lock`, `identity rotate` (with a server that misses
 * the hand-over and gets it before its next push), `identity revoke`, a receiver without statements (the old
 * identity keeps signing for it), and `server accept-identity` after a receiver rotated its own identity key.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeFernetKey } from '../../src-main/core/crypto/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { startReceiver, type ReceiverProcess } from '../support/receivers.js';
import { jsonError, jsonOf, runCustodian, type CliRun } from '../support/run-cli.js';
import { receiverLaunch, receiverState, type ReceiverKind } from './client-support.js';

const receivers: ReceiverProcess[] = [];
// Receivers get a directory of ours, so stop() + restart() keeps their files (identity, statements) between runs.
const dirs: string[] = [];
const receiverDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'custodian-lifecycle-'));
  dirs.push(dir);
  return dir;
};

for (const kind of ['node', 'python'] as ReceiverKind[]) {
  describe(`custodian life cycle against the ${kind} receiver`, () => {
    let session: KeyringSession;
    let env: Record<string, string | undefined>;
    let home = '';
    let entry = '';
    let original = '';
    const ids = { current: '', previous: '' };
    const launch = receiverLaunch(kind);

    const custodian = (args: string[], input?: string): Promise<CliRun> => runCustodian(args, { env, ...(input === undefined ? {} : { input }), timeoutMs: 30_000 });
    const ok = async (args: string[], input?: string): Promise<CliRun> => {
      const run = await custodian(args, input);
      assert.ok(!run.timedOut, 'the CLI finished');
      assert.equal(run.status, 0, `${args.join(' ')}: exit ${run.status}; stderr: ${run.stderr}`);
      return run;
    };
    const audit = (): Record<string, unknown>[] => readFileSync(join(home, 'audit.log'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const receiver = async (serverId: string, options: { custodians?: string; args?: string[]; statements?: boolean } = {}): Promise<ReceiverProcess> => {
      const started = await startReceiver({
        command: launch.command, env: launch.env, serverId, dir: receiverDir(), authorizedCustodians: options.custodians ?? `${entry}\n`, keyChecks: [ids.current, ids.previous],
        args: [...(options.statements === false ? [] : ['--custodian-statements', 'statements']), ...(options.args ?? [])],
      });
      receivers.push(started);
      await ok(['server', 'add', serverId, started.url, '--identity', started.identity]);
      return started;
    };
    const unlockedBy = (r: ReceiverProcess): unknown[] => r.events().filter((e) => e.event === 'unlock' && e['ok'] === true).map((e) => e['custodian']);

    before(async () => {
      session = await startKeyring();
      env = { ...process.env, ...session.env };
      home = session.env['CUSTODIAN_HOME']!;
      for (const name of ['current', 'previous'] as const) {
        ids[name] = jsonOf(await ok(['--json', 'key', 'import', '--name', name], encodeFernetKey(randomBytes(32)).toString('ascii')))['id'] as string;
      }
      entry = (await ok(['identity', 'show'])).stdout.toString().trimEnd();
      original = entry.split(' ')[0]!;
    });

    after(async () => {
      await session?.stop();
    });

    test('key order: [previous, current] and [previous] are refused locally, naming the newest key; nothing is sent', async () => {
      const r = await receiver(`order-${kind}`);
      for (const args of [['--key', 'previous', '--previous', 'current'], ['--key', 'previous']]) {
        const run = await custodian(['--json', 'push', ...args, '--server', `order-${kind}`]);
        assert.equal(run.status, 7, run.stderr);
        const result = (jsonOf(run)['results'] as { outcome: string; error: { code: string; message: string; hint: string; details: Record<string, unknown> } }[])[0]!;
        assert.equal(result.outcome, 'refused');
        assert.equal(result.error.code, 'PUSH_REFUSED');
        assert.match(result.error.message, new RegExp(`newest key is ${ids.current}`));
        assert.equal(result.error.details['newest_key'], ids.current);
        assert.match(result.error.hint, new RegExp(`--key ${ids.current} --previous ${ids.previous}`));
      }
      assert.equal(r.unlockAttempts(), 0, 'nothing reached the receiver');
      // --allow-older-current-key sends it (with a warning); this receiver was not told to allow it, so it refuses.
      const forced = await custodian(['--json', 'push', '--key', 'previous', '--previous', 'current', '--server', `order-${kind}`, '--allow-older-current-key']);
      assert.equal(forced.status, 7);
      const refused = (jsonOf(forced)['results'] as { error: { details: Record<string, unknown>; message: string } }[])[0]!;
      assert.equal(refused.error.details['receiver_code'], 'KEY_ORDER_REFUSED');
      assert.equal(await receiverState(r.url), 'locked');
      await ok(['push', '--key', 'current', '--previous', 'previous', '--server', `order-${kind}`]);
    });

    test('key order: a receiver started with --allow-older-current-key takes [previous, current] when told to, with a warning', async () => {
      await receiver(`rollback-${kind}`, { args: ['--allow-older-current-key'] });
      const run = await ok(['push', '--key', 'previous', '--previous', 'current', '--server', `rollback-${kind}`, '--allow-older-current-key']);
      assert.match(run.stderr, /warning: rollback-\w+: .*\[previous, current\] order/);
      assert.match(run.stdout.toString(), /unlocked/);
    });

    test('server lock: signed lock, lock receipt recorded, audit entry server.lock; the receiver is on a new locked boot', async () => {
      const name = `lock-${kind}`;
      const r = await receiver(name);
      await ok(['push', '--key', 'current', '--previous', 'previous', '--server', name]);
      const before = jsonOf(await ok(['--json', 'server', 'status', name]))['servers'] as { bootId: string }[];
      const locked = jsonOf(await ok(['--json', 'server', 'lock', name])) as { ok: boolean; results: { outcome: string; wasState: string; bootId: string; lockedAt: number }[] };
      assert.deepEqual([locked.ok, locked.results[0]!.outcome, locked.results[0]!.wasState, locked.results[0]!.bootId], [true, 'locked', 'unlocked', before[0]!.bootId]);
      assert.equal(await receiverState(r.url), 'locked');
      const after = jsonOf(await ok(['--json', 'server', 'status', name]))['servers'] as { bootId: string }[];
      assert.notEqual(after[0]!.bootId, before[0]!.bootId, 'a new boot');
      const receipts = readFileSync(join(home, 'receipts.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { kind?: string; server: string; bootId: string; installedAt: number });
      const lockReceipt = receipts.find((x) => x.kind === 'lock' && x.server === name);
      assert.equal(lockReceipt?.bootId, before[0]!.bootId);
      assert.equal(lockReceipt?.installedAt, locked.results[0]!.lockedAt);
      const entries = audit().filter((e) => e['action'] === 'server.lock' && e['server'] === name);
      assert.deepEqual(entries.map((e) => [e['outcome'], e['wasState']]), [['ok', 'unlocked']]);
      // Locking a locked server is allowed; a push unlocks it again.
      await ok(['server', 'lock', name]);
      await ok(['push', '--key', 'current', '--previous', 'previous', '--server', name]);
      // --all (SECURITY.md's first incident step): every pinned server, each locked with its own receipt.
      const all = jsonOf(await ok(['--json', 'server', 'lock', '--all'])) as { ok: boolean; results: { server: string; outcome: string }[] };
      assert.equal(all.ok, true);
      assert.ok(all.results.some((x) => x.server === name), 'this server is among them');
      assert.ok(all.results.every((x) => x.outcome === 'locked'), JSON.stringify(all.results));
      assert.equal(await receiverState(r.url), 'locked');
      const usage = await custodian(['server', 'lock']);
      assert.equal(usage.status, 2);
    });

    test('identity rotate: a hand-over to every server; one that was down gets it before its next push; the old identity goes once all acknowledged', async () => {
      const up = await receiver(`up-${kind}`);
      const down = await receiver(`down-${kind}`);
      const legacy = await receiver(`legacy-${kind}`, { statements: false });
      // Servers pinned earlier in this file (order-, rollback-, lock-) have statements files too and take it.
      await down.stop();
      const rotated = await custodian(['--json', 'identity', 'rotate', '--label', 'alice (new laptop)']);
      assert.equal(rotated.status, 0, rotated.stderr);
      const result = jsonOf(rotated) as { oldIdentity: string; newIdentity: string; oldForgotten: boolean; deliveries: { server: string; ok: boolean; applied?: boolean; error?: { code: string; details?: Record<string, unknown> } }[] };
      assert.equal(result.oldIdentity, original);
      assert.notEqual(result.newIdentity, original);
      const delivery = (server: string) => result.deliveries.find((d) => d.server === server)!;
      assert.deepEqual([delivery(`up-${kind}`).ok, delivery(`up-${kind}`).applied], [true, true]);
      assert.deepEqual([delivery(`down-${kind}`).ok, delivery(`down-${kind}`).error?.code], [false, 'SERVER_UNREACHABLE']);
      assert.equal(delivery(`legacy-${kind}`).error?.details?.['receiver_code'], 'STATEMENTS_DISABLED');
      assert.equal(result.oldForgotten, false, 'kept while servers have not acknowledged');
      const shown = jsonOf(await ok(['--json', 'identity', 'show'])) as { fingerprint: string; pending: { type: string; servers: Record<string, { state: string }> }[] };
      assert.equal(shown.fingerprint, result.newIdentity);
      assert.equal(shown.pending.length, 1);
      assert.equal(shown.pending[0]!.servers[`down-${kind}`]!.state, 'pending');
      // The server that took the hand-over accepts the new identity.
      await ok(['push', '--key', 'current', '--previous', 'previous', '--server', `up-${kind}`]);
      assert.deepEqual(unlockedBy(up), [result.newIdentity]);
      // The one without statements still only knows the old identity, which keeps signing for it.
      await ok(['push', '--key', 'current', '--previous', 'previous', '--server', `legacy-${kind}`]);
      assert.deepEqual(unlockedBy(legacy), [original]);
      // The server that was down gets the hand-over first, then the push signed by the new identity.
      await down.restart();
      const pushed = await ok(['push', '--key', 'current', '--previous', 'previous', '--server', `down-${kind}`]);
      assert.match(pushed.stdout.toString(), /unlocked/);
      assert.deepEqual(unlockedBy(down), [result.newIdentity]);
      const deliveries = audit().filter((e) => e['action'] === 'identity.statement.deliver' && e['server'] === `down-${kind}`);
      assert.deepEqual(deliveries.map((e) => e['outcome']), ['error', 'ok']);
      assert.equal(audit().filter((e) => e['action'] === 'identity.rotate').length, 1);
      // legacy never acknowledges: the old identity stays until --forget-old.
      assert.equal(audit().some((e) => e['action'] === 'identity.forget-old'), false);
      await ok(['server', 'remove', `legacy-${kind}`]);
      await ok(['server', 'lock', `up-${kind}`]);
    });

    test('identity revoke: a signed revocation to every server; revoking the last custodian is refused by the receivers', async () => {
      const bob = 'ed25519:3nDwZmUvwNPAaQS13mKRWO--fDQk-S9TY-ibyxu3ex0';
      const name = `revoke-${kind}`;
      const current = (jsonOf(await ok(['--json', 'identity', 'show'])) as { fingerprint: string }).fingerprint;
      await receiver(name, { custodians: `${current} alice\n${bob} bob\n` });
      const revoked = jsonOf(await ok(['--json', 'identity', 'revoke', bob])) as { deliveries: { server: string; ok: boolean; applied?: boolean }[] };
      assert.ok(revoked.deliveries.find((d) => d.server === name)?.applied, JSON.stringify(revoked.deliveries));
      assert.ok(audit().some((e) => e['action'] === 'identity.revoke' && e['revoked'] === bob));
      // Revoking oneself on a server where one is the last custodian: LAST_CUSTODIAN, reported, exit 7.
      const self = await custodian(['--json', 'identity', 'revoke', current]);
      assert.equal(self.status, 7, self.stderr);
      const deliveries = (jsonOf(self) as { deliveries: { server: string; error?: { details?: Record<string, unknown> } }[] }).deliveries;
      assert.equal(deliveries.find((d) => d.server === name)?.error?.details?.['receiver_code'], 'LAST_CUSTODIAN');
      assert.equal(jsonError(self).code, 'PUSH_REFUSED');
      // Still the custodian there: a push works.
      await ok(['push', '--key', 'current', '--previous', 'previous', '--server', name]);
    });

    test('server accept-identity: re-pins only along a verified hand-over chain; an impostor stays IDENTITY_MISMATCH', async () => {
      const name = `rotating-${kind}`;
      const current = (jsonOf(await ok(['--json', 'identity', 'show'])) as { fingerprint: string }).fingerprint;
      const handovers = 'identity-handovers';
      const dir = receiverDir();
      writeFileSync(join(dir, handovers), '');
      const r = await startReceiver({
        command: launch.command, env: launch.env, serverId: name, dir, authorizedCustodians: `${current}\n`, keyChecks: [ids.current], args: ['--identity-handovers', handovers],
      });
      receivers.push(r);
      await ok(['server', 'add', name, r.url, '--identity', r.identity]);
      // The receiver rotates its identity key with its own command, and restarts with the new key.
      const rotate = spawnSync(launch.command[0]!, [...launch.command.slice(1), 'rotate-identity', '--identity-key', join(r.dir, 'identity.key'), '--new-identity-key', join(r.dir, 'identity-new.key'), '--server-id', name], {
        env: { ...process.env, ...launch.env }, encoding: 'utf8',
      });
      assert.equal(rotate.status, 0, rotate.stderr);
      appendFileSync(join(r.dir, handovers), rotate.stdout);
      const oldIdentity = r.identity;
      await r.stop();
      renameSync(join(r.dir, 'identity.key'), join(r.dir, 'identity-old.key'));
      renameSync(join(r.dir, 'identity-new.key'), join(r.dir, 'identity.key'));
      await r.restart();
      assert.notEqual(r.identity, oldIdentity);
      const mismatch = await custodian(['server', 'status', name]);
      assert.equal(mismatch.status, 7);
      assert.match(mismatch.stdout.toString(), /IDENTITY_MISMATCH/);
      const accepted = jsonOf(await ok(['--json', 'server', 'accept-identity', name])) as { oldIdentity: string; newIdentity: string; links: number; changed: boolean };
      assert.deepEqual(accepted, { server: name, oldIdentity, newIdentity: r.identity, links: 1, changed: true });
      await ok(['server', 'status', name]);
      assert.ok(audit().some((e) => e['action'] === 'server.accept-identity' && e['outcome'] === 'ok' && e['newIdentity'] === r.identity));
      // An impostor at the address: another key, no hand-over from the pinned one.
      await r.stop();
      renameSync(join(r.dir, 'identity.key'), join(r.dir, 'identity-rotated.key'));
      writeFileSync(join(r.dir, handovers), '');
      await r.restart();
      const refused = await custodian(['--json', 'server', 'accept-identity', name]);
      assert.equal(refused.status, 7, refused.stderr);
      assert.equal(jsonError(refused).code, 'IDENTITY_MISMATCH');
      const pinned = (jsonOf(await ok(['--json', 'server', 'list']))['servers'] as { name: string; identity: string }[]).find((s) => s.name === name);
      assert.equal(pinned?.identity, accepted.newIdentity, 'the pin did not move');
    });
  });
}

after(async () => {
  for (const r of receivers) await r.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
