// pushKeys/statusOf/lockServers and the custodian life cycle (src-main/core/push) with receivers in memory: the
// transport is a function that hands each request to a real ReceiverCore (receivers/node), so every call the
// client makes is recorded, and a test can hold one server's answer back.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MemoryAuditLog } from '../../../src-main/core/audit.js';
import { keyId } from '../../../src-main/core/crypto/index.js';
import { CustodianError } from '../../../src-main/core/errors.js';
import { MemorySecretStore } from '../../../src-main/core/keystore/secret-store.js';
import {
  IDENTITY_ACCOUNT, RETIRED_IDENTITY_ACCOUNT, ReceiptLog, ServerRegistry, StatementLog, fingerprintOf, loadOrCreateIdentity, lockServers, prepareWithStatements,
  pushKeys, revokeIdentity, rotateIdentity, statusOf, type CallReceiver, type CustodianSigner, type HttpAnswer, type PinnedServer,
} from '../../../src-main/core/push/index.js';
import { ReceiverCore } from '../../../receivers/node/src/index.js';

const signerKey = generateKeyPairSync('ed25519').privateKey;
const signerRaw = Buffer.from(createPublicKey(signerKey).export({ format: 'jwk' }).x as string, 'base64url');
const signer: CustodianSigner = { privateKey: signerKey, publicRaw: signerRaw, fingerprint: fingerprintOf(signerRaw) };
const key = randomBytes(32);
const older = randomBytes(32);
const homes: string[] = [];
const freshHome = () => {
  const home = mkdtempSync(join(tmpdir(), 'custodian-push-unit-'));
  homes.push(home);
  return home;
};
after(() => { for (const home of homes) rmSync(home, { recursive: true, force: true }); });

interface WorldOptions { custodians?: string[]; statements?: boolean; keyChecks?: string[] | (() => string[]) }

function world(names: string[], options: WorldOptions = {}) {
  const cores = new Map<string, ReceiverCore>();
  const calls: { server: string; path: string; query?: string }[] = [];
  const held = new Map<string, Promise<void>>();
  const statementFiles = new Map<string, string[]>();
  const servers: PinnedServer[] = names.map((name) => {
    const lines: string[] = [];
    statementFiles.set(name, lines);
    const core = new ReceiverCore({
      serverId: name, identityKey: generateKeyPairSync('ed25519').privateKey, authorizedCustodians: options.custodians ?? [signer.fingerprint],
      keyChecks: options.keyChecks ?? [keyId(key), keyId(older)],
      ...(options.statements ? { statements: { text: '', append: async (jws: string) => { lines.push(jws); } } } : {}),
    });
    cores.set(name, core);
    return { name, url: `http://in-memory/${name}`, identity: core.identity, serverId: name, added: '' };
  });
  const call: CallReceiver = async (endpoint, path, body, callOptions) => {
    const query = new URLSearchParams(callOptions?.query ?? {}).toString();
    calls.push({ server: endpoint.name, path, ...(query ? { query } : {}) });
    await held.get(endpoint.name);
    const core = cores.get(endpoint.name)!;
    const bytes = Buffer.from(body ?? '');
    const answer = path === 'status' ? core.status(query)
      : path === 'unlock' ? await core.unlock(bytes, 'application/json')
        : path === 'lock' ? core.remoteLock(bytes, 'application/json')
          : path === 'custodians' ? await core.statement(bytes, 'application/json')
            : path === 'rekey' ? await core.rekey(bytes, 'application/json')
              : core.identityAnswer();
    return { status: answer.httpStatus, body: JSON.stringify(answer.body) };
  };
  /** Holds every request to `name` until the returned function is called. */
  const hold = (name: string): (() => void) => {
    let release!: () => void;
    held.set(name, new Promise<void>((resolve) => { release = resolve; }));
    return () => { held.delete(name); release(); };
  };
  return { cores, calls, servers, call, hold, statementFiles };
}

describe('pushKeys', () => {
  it('unlocks every server, stores the receipts and audits each push; every status request carries a fresh nonce', async () => {
    const { servers, call, cores, calls } = world(['a', 'b', 'c']);
    const receipts = new ReceiptLog(freshHome());
    const audit = new MemoryAuditLog();
    const results = await pushKeys({ servers, keys: [key], signer, call, receipts, audit });
    assert.deepEqual(results.map((r) => [r.server, r.outcome, r.ok]), [['a', 'unlocked', true], ['b', 'unlocked', true], ['c', 'unlocked', true]]);
    for (const core of cores.values()) assert.equal(core.state, 'unlocked');
    assert.equal((await receipts.list()).length, 3);
    assert.deepEqual(audit.events.map((e) => [e.action, e.outcome, e['server']]).sort(), [['push', 'ok', 'a'], ['push', 'ok', 'b'], ['push', 'ok', 'c']]);
    assert.ok(!readFileSync(receipts.path).includes(key.toString('base64url')));
    const nonces = calls.filter((c) => c.path === 'status').map((c) => new URLSearchParams(c.query).get('nonce'));
    assert.equal(nonces.length, 3);
    assert.ok(nonces.every((n) => n !== null && Buffer.from(n, 'base64url').length === 16));
    assert.equal(new Set(nonces).size, 3, 'a fresh nonce each time');
  });

  it('records each receipt and audit entry as soon as that server answered, while another is still pending', async () => {
    const { servers, call, hold } = world(['fast', 'slow']);
    const receipts = new ReceiptLog(freshHome());
    const audit = new MemoryAuditLog();
    const release = hold('slow');
    const seen: string[] = [];
    const running = pushKeys({ servers, keys: [key], signer, call, receipts, audit, onResult: (r) => seen.push(r.server) });
    for (let i = 0; i < 200 && seen.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(seen, ['fast']);
    assert.deepEqual((await receipts.list()).map((r) => r.server), ['fast'], 'on disk before the slow server answered');
    assert.deepEqual(audit.events.map((e) => e['server']), ['fast']);
    release();
    await running;
    assert.deepEqual((await receipts.list()).map((r) => r.server).sort(), ['fast', 'slow']);
  });

  it('contacts at most `concurrency` servers at once, and every one of them', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const { servers, call } = world(names);
    let open = 0;
    let maxOpen = 0;
    const counting: CallReceiver = async (...args) => {
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      try {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return await call(...args);
      } finally {
        open -= 1;
      }
    };
    const results = await pushKeys({ servers, keys: [key], signer, call: counting, concurrency: 4 });
    assert.equal(results.filter((r) => r.outcome === 'unlocked').length, 20);
    assert.equal(maxOpen, 4);
  });

  it('a replayed status (another nonce) is STALE_STATUS: nothing is sent, never "already-unlocked"', async () => {
    const { servers, call, calls, cores } = world(['a']);
    await pushKeys({ servers, keys: [key], signer, call });
    const recorded = await call({ name: 'a', url: '' }, 'status', undefined, { query: { nonce: 'AAAAAAAAAAAAAAAAAAAAAA' } });
    cores.get('a')!.lock();
    calls.length = 0;
    const replaying: CallReceiver = async (endpoint, path, body, options) => (path === 'status' ? recorded : call(endpoint, path, body, options));
    const [result] = await pushKeys({ servers, keys: [key], signer, call: replaying });
    assert.deepEqual([result!.ok, result!.outcome, result!.error?.code], [false, 'failed', 'STALE_STATUS']);
    assert.equal(cores.get('a')!.state, 'locked');
    const [status] = await statusOf(servers, replaying);
    assert.deepEqual([status!.ok, status!.state, status!.error?.code], [false, undefined, 'STALE_STATUS']);
  });

  it('an identity mismatch on one server sends that server nothing and does not stop the others', async () => {
    const { servers, call, calls, cores } = world(['good', 'moved']);
    const impostor = generateKeyPairSync('ed25519').privateKey;
    const impostorRaw = Buffer.from(createPublicKey(impostor).export({ format: 'jwk' }).x as string, 'base64url');
    const pinned = servers.map((s) => (s.name === 'moved' ? { ...s, identity: fingerprintOf(impostorRaw) } : s));
    const results = await pushKeys({ servers: pinned, keys: [key], signer, call });
    assert.equal(results[0]!.outcome, 'unlocked');
    assert.equal(results[1]!.outcome, 'failed');
    assert.equal(results[1]!.error?.code, 'IDENTITY_MISMATCH');
    assert.deepEqual(calls.filter((c) => c.server === 'moved').map((c) => c.path), ['status'], 'only the status was asked');
    assert.equal(cores.get('moved')!.state, 'locked');
  });

  it('a key the server does not expect is refused locally, naming the expected key; nothing is sent', async () => {
    const { servers, call, calls } = world(['a']);
    const other = randomBytes(32);
    const [result] = await pushKeys({ servers, keys: [other], signer, call });
    assert.equal(result!.outcome, 'refused');
    assert.equal(result!.error?.code, 'PUSH_REFUSED');
    assert.match(result!.error!.message, new RegExp(keyId(key)));
    assert.deepEqual(calls.map((c) => c.path), ['status']);
  });

  it('key order: an older key as the current key is refused locally naming the newest; with allowOlderCurrentKey it is sent with a warning', async () => {
    const { servers, call, calls } = world(['a']);
    for (const keys of [[older, key], [older]]) {
      const [result] = await pushKeys({ servers, keys, signer, call });
      assert.deepEqual([result!.outcome, result!.error?.code, result!.error?.details?.['newest_key']], ['refused', 'PUSH_REFUSED', keyId(key)]);
      assert.match(result!.error!.message, new RegExp(`newest key is ${keyId(key)}`));
    }
    assert.deepEqual(calls.map((c) => c.path), ['status', 'status'], 'nothing was sent');
    // The receiver was not started with --allow-older-current-key: it refuses too (KEY_ORDER_REFUSED).
    const [forced] = await pushKeys({ servers, keys: [older, key], signer, call, allowOlderCurrentKey: true });
    assert.equal(forced!.error?.details?.['receiver_code'], 'KEY_ORDER_REFUSED');
    assert.match(forced!.warnings?.[0] ?? '', /\[previous, current\] order/);
  });

  it('a receiver refusal comes back as PUSH_REFUSED with the receiver code, in our words', async () => {
    const { servers, call } = world(['a']);
    const lying: CallReceiver = async (endpoint, path, body, options) => {
      if (path === 'unlock') return { status: 403, body: JSON.stringify({ protocol: 'custodian-unlock/1', error: { code: 'UNKNOWN_CUSTODIAN', message: '<script>alert(1)</script>' } }) };
      return call(endpoint, path, body, options);
    };
    const [result] = await pushKeys({ servers, keys: [key], signer, call: lying });
    assert.equal(result!.error?.code, 'PUSH_REFUSED');
    assert.equal(result!.error?.details?.['receiver_code'], 'UNKNOWN_CUSTODIAN');
    assert.doesNotMatch(result!.error!.message, /script/, 'the server\'s own text is not shown');
  });

  it('an already unlocked server with the same keys is reported as such; keys it does not accept are refused unsent', async () => {
    const { servers, call, calls } = world(['a']);
    await pushKeys({ servers, keys: [key], signer, call });
    calls.length = 0;
    const [same] = await pushKeys({ servers, keys: [key], signer, call });
    assert.deepEqual([same!.ok, same!.outcome], [true, 'already-unlocked']);
    const [other] = await pushKeys({ servers, keys: [randomBytes(32)], signer, call });
    assert.deepEqual([other!.ok, other!.outcome, other!.error?.code], [false, 'refused', 'PUSH_REFUSED']);
    assert.match(other!.error!.message, /does not accept/);
    assert.deepEqual(calls.map((c) => c.path), ['status', 'status'], 'nothing but status requests');
  });

  it('an unlocked server with another set is rekeyed in place (§12.12), never refused until a restart', async () => {
    const { servers, call, cores } = world(['a']);
    await pushKeys({ servers, keys: [key], signer, call });
    const boot = cores.get('a')!.bootId;
    const [grown] = await pushKeys({ servers, keys: [key, older], signer, call });
    assert.deepEqual([grown!.ok, grown!.outcome], [true, 'rekeyed']);
    assert.deepEqual(cores.get('a')!.installedKeyIds, [keyId(key), keyId(older)]);
    assert.equal(cores.get('a')!.bootId, boot, 'the same boot');
  });

  it('never silently drops a key the server still needs (REKEY_KEY_IN_USE) unless dropPrevious or the server counts 0', async () => {
    const { servers, call, cores, calls } = world(['a']);
    await pushKeys({ servers, keys: [key, older], signer, call });
    calls.length = 0;
    const [unknown] = await pushKeys({ servers, keys: [key], signer, call });
    assert.deepEqual([unknown!.outcome, unknown!.error?.code, unknown!.error?.details?.['tokens_under_previous']], ['refused', 'REKEY_KEY_IN_USE', null]);
    cores.get('a')!.reportTokensUnderPrevious(() => 12);
    const [counted] = await pushKeys({ servers, keys: [key], signer, call });
    assert.deepEqual([counted!.error?.code, counted!.error?.details?.['tokens_under_previous']], ['REKEY_KEY_IN_USE', 12]);
    assert.deepEqual(calls.map((c) => c.path), ['status', 'status'], 'nothing sent');
    cores.get('a')!.reportTokensUnderPrevious(() => 0);
    const [done] = await pushKeys({ servers, keys: [key], signer, call });
    assert.deepEqual([done!.ok, done!.outcome, done!.retired], [true, 'rekeyed', [keyId(older)]]);
    assert.deepEqual(cores.get('a')!.installedKeyIds, [keyId(key)]);
  });

  it('dropping the current key is refused even at 0 tokens; --drop-previous retires it explicitly', async () => {
    const checks = [keyId(older)];
    const { servers, call, cores } = world(['a'], { keyChecks: () => checks });
    await pushKeys({ servers, keys: [older], signer, call });
    cores.get('a')!.reportTokensUnderPrevious(() => 0);
    checks.unshift(keyId(key)); // the operator deploys the new id: the receiver re-reads it at the next status
    const [refused] = await pushKeys({ servers, keys: [key], signer, call });
    assert.equal(refused!.error?.code, 'REKEY_KEY_IN_USE');
    const [dropped] = await pushKeys({ servers, keys: [key], signer, call, dropPrevious: true });
    assert.deepEqual([dropped!.ok, dropped!.outcome, dropped!.retired], [true, 'rekeyed', [keyId(older)]]);
  });

  it('a locked server that also accepts an older key the custodian holds: the key alone goes ahead with a loud warning', async () => {
    const { servers, call, cores } = world(['a']);
    const [warned] = await pushKeys({ servers, keys: [key], signer, call, heldKeyIds: [keyId(key), keyId(older)] });
    assert.deepEqual([warned!.ok, warned!.outcome], [true, 'unlocked']);
    assert.match(warned!.warnings![0]!, /which you hold.*--previous/);
    assert.equal(cores.get('a')!.state, 'unlocked');
  });
});

describe('statusOf', () => {
  it('reports state per server and an error for a server that fails verification', async () => {
    const { servers, call } = world(['a', 'b']);
    const broken: CallReceiver = async (endpoint, path, body, options) => (endpoint.name === 'b' ? { status: 200, body: '{"protocol":"custodian-unlock/1","status":"x.y.z"}' } : call(endpoint, path, body, options));
    const results = await statusOf(servers, broken);
    assert.deepEqual([results[0]!.ok, results[0]!.state], [true, 'locked']);
    assert.deepEqual([results[1]!.ok, results[1]!.error?.code], [false, 'PROTOCOL_ERROR']);
  });

  it('refuses a status whose JSON repeats a member (strict JSON, protocol §12.3)', async () => {
    const { servers, call } = world(['a']);
    const duplicated: CallReceiver = async (endpoint, path, body, options) => {
      const answer: HttpAnswer = await call(endpoint, path, body, options);
      return { ...answer, body: answer.body.replace('{"protocol":"custodian-unlock/1",', '{"protocol":"custodian-unlock/1","protocol":"custodian-unlock/1",') };
    };
    const [result] = await statusOf(servers, duplicated);
    assert.deepEqual([result!.ok, result!.error?.details?.['protocol_code']], [false, 'BAD_REQUEST']);
  });
});

describe('lockServers', () => {
  it('locks unlocked and locked servers (new boot each), verifies and records lock receipts, audits server.lock', async () => {
    const { servers, call, cores } = world(['a', 'b']);
    await pushKeys({ servers: [servers[0]!], keys: [key], signer, call });
    const boots = servers.map((s) => cores.get(s.name)!.bootId);
    const receipts = new ReceiptLog(freshHome());
    const audit = new MemoryAuditLog();
    const results = await lockServers({ servers, signer, call, receipts, audit });
    assert.deepEqual(results.map((r) => [r.server, r.outcome, r.wasState, r.bootId]), [['a', 'locked', 'unlocked', boots[0]], ['b', 'locked', 'locked', boots[1]]]);
    for (const [index, server] of servers.entries()) {
      assert.equal(cores.get(server.name)!.state, 'locked');
      assert.notEqual(cores.get(server.name)!.bootId, boots[index]);
    }
    assert.deepEqual((await receipts.list()).map((r) => [r.kind, r.server, r.keyIds.length]).sort(), [['lock', 'a', 0], ['lock', 'b', 0]]);
    assert.deepEqual(audit.events.map((e) => [e.action, e.outcome]), [['server.lock', 'ok'], ['server.lock', 'ok']]);
  });

  it('a receipt for another request is RECEIPT_MISMATCH and the receiver code of a refusal is kept', async () => {
    const { servers, call } = world(['a']);
    const other = generateKeyPairSync('ed25519').privateKey;
    const otherRaw = Buffer.from(createPublicKey(other).export({ format: 'jwk' }).x as string, 'base64url');
    const stranger: CustodianSigner = { privateKey: other, publicRaw: otherRaw, fingerprint: fingerprintOf(otherRaw) };
    const [refused] = await lockServers({ servers, signer: stranger, call });
    assert.deepEqual([refused!.outcome, refused!.error?.details?.['receiver_code']], ['refused', 'UNKNOWN_CUSTODIAN']);
  });
});

describe('custodian identity life cycle (in memory)', () => {
  it('rotate: hand-over to every server, the old identity signs for a server that missed it, which gets it before its next push', async () => {
    const secrets = new MemorySecretStore();
    const old = await loadOrCreateIdentity(secrets);
    const { servers, call, cores, statementFiles } = world(['a', 'b'], { custodians: [old.fingerprint], statements: true });
    const home = freshHome();
    const registry = new ServerRegistry(home);
    for (const server of servers) await registry.add(server);
    const audit = new MemoryAuditLog();
    const context = { secrets, statements: new StatementLog(home), servers: registry, audit, timeoutMs: 1000 };
    // b is unreachable during the rotation.
    const failingB: CallReceiver = async (endpoint, path, body, options) => {
      if (endpoint.name === 'b') throw new CustodianError('SERVER_UNREACHABLE', 'Cannot reach b (ECONNREFUSED).');
      return call(endpoint, path, body, options);
    };
    const rotated = await rotateIdentity({ ...context, call: failingB }, { label: 'alice (2027)' });
    assert.equal(rotated.oldIdentity, old.fingerprint);
    assert.equal(rotated.oldForgotten, false);
    assert.deepEqual(rotated.deliveries.map((d) => [d.server, d.ok]), [['a', true], ['b', false]]);
    assert.equal(statementFiles.get('a')!.length, 1, 'a wrote the statement to its file');
    const current = await loadOrCreateIdentity(secrets);
    assert.equal(current.fingerprint, rotated.newIdentity);
    assert.ok(await secrets.get(RETIRED_IDENTITY_ACCOUNT), 'the old identity is kept');
    const unlockedBy = new Map<string, string>();
    for (const core of cores.values()) core.onUnlock((info) => unlockedBy.set(core.serverId, info.custodian));
    // b answers again: the push delivers the hand-over first, then signs with the new identity.
    const results = await pushKeys({ servers, keys: [key], signer: current, call, prepare: prepareWithStatements({ ...context, call }, current), audit });
    assert.deepEqual(results.map((r) => r.outcome), ['unlocked', 'unlocked']);
    assert.deepEqual([unlockedBy.get('a'), unlockedBy.get('b')], [current.fingerprint, current.fingerprint]);
    assert.equal(await secrets.get(RETIRED_IDENTITY_ACCOUNT), null, 'forgotten once every server acknowledged');
    assert.ok(audit.events.some((e) => e.action === 'identity.forget-old'));
    assert.ok(await secrets.get(IDENTITY_ACCOUNT));
  });

  it('rotate: a server without statements keeps getting pushes signed by the old identity; a second rotation waits for it', async () => {
    const secrets = new MemorySecretStore();
    const old = await loadOrCreateIdentity(secrets);
    const { servers, call, cores } = world(['legacy'], { custodians: [old.fingerprint], statements: false });
    const home = freshHome();
    const registry = new ServerRegistry(home);
    await registry.add(servers[0]!);
    const context = { secrets, statements: new StatementLog(home), servers: registry, call };
    const rotated = await rotateIdentity(context, { label: 'alice' });
    assert.equal(rotated.deliveries[0]!.error?.details?.['receiver_code'], 'STATEMENTS_DISABLED');
    const current = await loadOrCreateIdentity(secrets);
    let by = '';
    cores.get('legacy')!.onUnlock((info) => { by = info.custodian; });
    const [result] = await pushKeys({ servers, keys: [key], signer: current, call, prepare: prepareWithStatements(context, current) });
    assert.equal(result!.outcome, 'unlocked');
    assert.equal(by, old.fingerprint);
    await assert.rejects(rotateIdentity(context, { label: 'again' }), /not acknowledged by every server yet \(legacy\)/);
    const forced = await rotateIdentity(context, { label: 'again', forgetOld: true });
    assert.equal(forced.oldForgotten, true);
    assert.equal(await secrets.get(RETIRED_IDENTITY_ACCOUNT), null);
  });

  it('revoke: a revocation reaches every server; a statement file is only in the custodian home, nothing secret in it', async () => {
    const secrets = new MemorySecretStore();
    const me = await loadOrCreateIdentity(secrets);
    const bob = fingerprintOf(randomBytes(32));
    const { servers, call, cores } = world(['a'], { custodians: [me.fingerprint, bob], statements: true });
    const home = freshHome();
    const registry = new ServerRegistry(home);
    await registry.add(servers[0]!);
    const outcome = await revokeIdentity({ secrets, statements: new StatementLog(home), servers: registry, call }, me, bob);
    assert.deepEqual(outcome.deliveries.map((d) => [d.ok, d.applied]), [[true, true]]);
    assert.deepEqual(cores.get('a')!.effectiveCustodians(), [me.fingerprint]);
    const last = await revokeIdentity({ secrets, statements: new StatementLog(home), servers: registry, call }, me, me.fingerprint);
    assert.equal(last.deliveries[0]!.error?.details?.['receiver_code'], 'LAST_CUSTODIAN');
    assert.equal(last.statement.servers['a']!.state, 'refused', 'a final refusal is not sent again');
    const file = readFileSync(join(home, 'statements.json'), 'utf8');
    assert.ok(existsSync(join(home, 'statements.json')));
    assert.ok(!file.includes(me.privateKey.export({ format: 'jwk' }).d as string));
  });
});
