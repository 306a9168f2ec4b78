/**
 * The desktop app's incident levers and custodian life cycle (handlers/incident.ts, handlers/custodian-identity.ts,
 * and the push's key-order override in handlers/servers.ts) through the contract's validation (invokeAction), on
 * an in-memory keychain and in-memory receivers: the transport hands each request to a real ReceiverCore
 * (receivers/node), as the core's push-client unit tests do. Lock, rotate, revoke, "Send again" and
 * accept-identity run the CLI's core functions: receipts, statements and audit entries land where the CLI's do.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { revocationPhrase, type ErrorView, type IdentityStatusView, type LockResultView, type PushResultView, type RevocationView, type RotationView, type ServerStatusView } from '../../../src-shared/contract.js';
import { invokeAction, type HandlerTable } from '../../../src-main/app/dispatch.js';
import { guardTable, NEEDS_PRESENCE } from '../../../src-main/app/guard.js';
import { custodianIdentityHandlers } from '../../../src-main/app/handlers/custodian-identity.js';
import { incidentHandlers } from '../../../src-main/app/handlers/incident.js';
import { serverHandlers } from '../../../src-main/app/handlers/servers.js';
import { MemoryVerifierStore, Presence } from '../../../src-main/app/presence/presence.js';
import { SessionLock } from '../../../src-main/app/presence/session-lock.js';
import { AttemptThrottle, MemoryThrottleStore } from '../../../src-main/app/presence/throttle.js';
import { MemoryAuditLog } from '../../../src-main/core/audit.js';
import { CustodianError } from '../../../src-main/core/errors.js';
import { KeyStore } from '../../../src-main/core/keystore/index.js';
import { MemorySecretStore } from '../../../src-main/core/keystore/secret-store.js';
import { ReceiptLog, ServerRegistry, StatementLog, fingerprintOf, type CallReceiver } from '../../../src-main/core/push/index.js';
import { ReceiverCore, createReceiverHandover } from '../../../receivers/node/src/index.js';

let home: string;
let audit: MemoryAuditLog;
let secrets: MemorySecretStore;
let keys: KeyStore;
let table: HandlerTable;
let cores: Map<string, ReceiverCore>;
let down: Set<string>;
let ids: { current: string; previous: string };

const call: CallReceiver = async (endpoint, path, body, options) => {
  if (down.has(endpoint.name)) throw new CustodianError('SERVER_UNREACHABLE', `${endpoint.name} did not answer.`);
  const core = cores.get(endpoint.name)!;
  const query = new URLSearchParams(options?.query ?? {}).toString();
  const bytes = Buffer.from(body ?? '');
  const answer = path === 'status' ? core.status(query)
    : path === 'unlock' ? await core.unlock(bytes, 'application/json')
      : path === 'lock' ? core.remoteLock(bytes, 'application/json')
        : path === 'custodians' ? await core.statement(bytes, 'application/json')
          : core.identityAnswer();
  return { status: answer.httpStatus, body: JSON.stringify(answer.body) };
};

interface ReceiverOptions { statements?: boolean; custodians?: string[]; identityKey?: KeyObject; handovers?: string[]; allowOlder?: boolean }

/** A receiver core under `name` (replacing one with the same name: a restart with other files). */
function receiver(name: string, options: ReceiverOptions = {}): ReceiverCore {
  const core = new ReceiverCore({
    serverId: name, identityKey: options.identityKey ?? generateKeyPairSync('ed25519').privateKey,
    authorizedCustodians: options.custodians ?? [], keyChecks: [ids.current, ids.previous],
    ...(options.statements === false ? {} : { statements: { text: '', append: async () => {} } }),
    ...(options.handovers ? { identityHandovers: options.handovers } : {}),
    ...(options.allowOlder ? { allowOlderCurrentKey: true } : {}),
  });
  cores.set(name, core);
  return core;
}

async function pin(name: string, options: ReceiverOptions = {}): Promise<ReceiverCore> {
  const core = receiver(name, { ...options, custodians: options.custodians ?? [await fingerprint()] });
  await new ServerRegistry(home).add({ name, url: `http://in-memory/${name}`, identity: core.identity, serverId: name, added: new Date().toISOString() });
  return core;
}

async function act<T>(action: string, request: unknown, on: HandlerTable = table): Promise<T> {
  const result = await invokeAction(on, action as never, request);
  assert.ok(result.ok, `${action}: ${JSON.stringify(result)}`);
  return result.value as T;
}
async function refused(action: string, request: unknown, on: HandlerTable = table): Promise<ErrorView> {
  const result = await invokeAction(on, action as never, request);
  assert.ok(!result.ok, `${action} was expected to fail`);
  return result.error;
}
const fingerprint = async (): Promise<string> => (await act<IdentityStatusView>('identityStatus', {})).fingerprint;
const push = (servers: string[], extra: Record<string, unknown> = {}): Promise<PushResultView[]> => act('pushKey', { key: 'current', previous: ['previous'], servers, ...extra });
const receiptsOf = async (server: string) => (await new ReceiptLog(home).list()).filter((r) => r.server === server);

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'custodian-incident-handlers-'));
  audit = new MemoryAuditLog();
  secrets = new MemorySecretStore();
  keys = new KeyStore({ secrets, home, audit });
  ids = { current: (await keys.generate('current')).id, previous: (await keys.generate('previous')).id };
  cores = new Map();
  down = new Set();
  const deps = { env: {}, home, audit, secrets: () => secrets, call };
  table = {
    ...serverHandlers({ ...deps, keys: () => keys }),
    ...incidentHandlers(deps),
    ...custodianIdentityHandlers(deps),
  } as unknown as HandlerTable;
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

test('lock one server, then all: each answers locked, a signed lock receipt is kept and the core audits server.lock (via desktop)', async () => {
  const a = await pin('a');
  const b = await pin('b');
  assert.deepEqual((await push(['a', 'b'])).map((r) => r.outcome), ['unlocked', 'unlocked']);
  const bootBefore = (await act<ServerStatusView[]>('serverStatus', { names: ['a'] }))[0]!.bootId;
  const one = await act<LockResultView[]>('lockServers', { servers: ['a'] });
  assert.equal(one.length, 1);
  assert.deepEqual([one[0]!.server, one[0]!.ok, one[0]!.outcome, one[0]!.wasState, one[0]!.bootId], ['a', true, 'locked', 'unlocked', bootBefore]);
  assert.match(one[0]!.lockedAt!, /^\d{4}-\d\d-\d\dT/);
  assert.equal(a.state, 'locked');
  assert.equal(b.state, 'unlocked', 'only the chosen server');
  assert.notEqual((await act<ServerStatusView[]>('serverStatus', { names: ['a'] }))[0]!.bootId, bootBefore, 'a new boot');
  assert.deepEqual((await receiptsOf('a')).map((r) => r.kind ?? 'unlock'), ['unlock', 'lock']);
  const all = await act<LockResultView[]>('lockServers', { all: true });
  assert.deepEqual(all.map((r) => [r.server, r.outcome, r.wasState]), [['a', 'locked', 'locked'], ['b', 'locked', 'unlocked']]);
  assert.equal(b.state, 'locked');
  const entries = audit.events.filter((e) => e.action === 'server.lock');
  assert.deepEqual(entries.map((e) => [e['server'], e.outcome, e['via']]), [['a', 'ok', 'desktop'], ['a', 'ok', 'desktop'], ['b', 'ok', 'desktop']]);
});

test('lock: the contract wants servers or all (not both, not neither); an unreachable server is reported, the others still lock', async () => {
  await pin('a');
  await pin('b');
  for (const request of [{}, { servers: ['a'], all: true }, { servers: [] }, { all: false }]) {
    assert.equal((await refused('lockServers', request)).code, 'INVALID_INPUT', JSON.stringify(request));
  }
  assert.equal((await refused('lockServers', { servers: ['nope'] })).code, 'SERVER_NOT_FOUND');
  down.add('b');
  const results = await act<LockResultView[]>('lockServers', { all: true });
  assert.deepEqual(results.map((r) => [r.server, r.outcome, r.error?.code]), [['a', 'locked', undefined], ['b', 'failed', 'SERVER_UNREACHABLE']]);
  assert.match(results[1]!.error!.message, /b did not answer/);
});

test('rotate: a hand-over to every server; one without statements keeps the old identity, listed as pending with why; pushes sign with the identity each server accepts', async () => {
  await pin('a');
  await pin('legacy', { statements: false });
  const original = await fingerprint();
  assert.equal((await refused('rotateIdentity', { label: '' })).code, 'INVALID_INPUT');
  assert.equal((await refused('rotateIdentity', { label: 'caf\u00e9' })).code, 'INVALID_INPUT', 'printable ASCII only');
  const rotated = await act<RotationView>('rotateIdentity', { label: 'alice (2027 laptop)' });
  assert.equal(rotated.oldIdentity, original);
  assert.notEqual(rotated.newIdentity, original);
  assert.equal(rotated.line, `${rotated.newIdentity} alice (2027 laptop)`);
  assert.deepEqual(rotated.deliveries.map((d) => [d.server, d.ok, d.applied, d.error?.details?.['receiver_code']]), [['a', true, true, undefined], ['legacy', false, undefined, 'STATEMENTS_DISABLED']]);
  assert.equal(rotated.oldForgotten, false);
  const status = await act<IdentityStatusView>('identityStatus', {});
  assert.equal(status.fingerprint, rotated.newIdentity);
  assert.equal(status.retired, original);
  assert.match(status.line, new RegExp(`^${rotated.newIdentity} `));
  assert.equal(status.pending.length, 1);
  assert.deepEqual(status.pending[0]!.servers, [
    { server: 'a', state: 'acknowledged', at: status.pending[0]!.servers[0]!.at! },
    { server: 'legacy', state: 'pending', code: 'STATEMENTS_DISABLED', at: status.pending[0]!.servers[1]!.at! },
  ]);
  // A second rotation while the first is not acknowledged everywhere is refused with the core's sentence.
  const again = await refused('rotateIdentity', { label: 'alice (2028)' });
  assert.match(again.message, /not acknowledged by every server yet \(legacy\); nothing was changed/);
  assert.deepEqual((await push(['a', 'legacy'])).map((r) => r.outcome), ['unlocked', 'unlocked']);
  assert.equal((await receiptsOf('a'))[0]!.custodian, rotated.newIdentity, 'a took the hand-over: the new identity signs');
  assert.equal((await receiptsOf('legacy'))[0]!.custodian, original, 'legacy did not: the old identity keeps signing for it');
  assert.deepEqual(audit.events.filter((e) => e.action === 'identity.rotate').map((e) => [e['oldIdentity'], e['newIdentity'], e['via']]), [[original, rotated.newIdentity, 'desktop']]);
});

test('Send again: a server that was down gets the pending hand-over; once every server acknowledged, the old identity is forgotten', async () => {
  await pin('a');
  await pin('b');
  down.add('b');
  const rotated = await act<RotationView>('rotateIdentity', { label: 'alice' });
  assert.equal(rotated.deliveries.find((d) => d.server === 'b')?.error?.code, 'SERVER_UNREACHABLE');
  const still = await act<{ deliveries: { server: string; ok: boolean; error?: ErrorView }[]; status: IdentityStatusView }>('resendStatements', {});
  assert.deepEqual(still.deliveries.map((d) => [d.server, d.ok, d.error?.code]), [['b', false, 'SERVER_UNREACHABLE']]);
  assert.match(still.deliveries[0]!.error!.message, /sent again before the next push or lock/);
  down.delete('b');
  const sent = await act<{ deliveries: { server: string; ok: boolean }[]; status: IdentityStatusView }>('resendStatements', {});
  assert.deepEqual(sent.deliveries.map((d) => [d.server, d.ok]), [['b', true]]);
  assert.deepEqual(sent.status.pending, []);
  assert.equal(sent.status.retired, undefined, 'every server acknowledged: the retired identity was deleted');
  assert.ok(audit.events.some((e) => e.action === 'identity.forget-old' && e['reason'] === 'acknowledged'));
  assert.deepEqual(audit.events.filter((e) => e.action === 'identity.statement.deliver' && e['server'] === 'b').map((e) => e.outcome), ['error', 'error', 'ok']);
  // Nothing pending: "Send again" contacts nobody.
  assert.deepEqual((await act<{ deliveries: unknown[] }>('resendStatements', {})).deliveries, []);
});

test('revoke: only with the typed phrase (nothing signed otherwise); delivered to every server; a receiver refuses to lose its last custodian', async () => {
  const bobKey = generateKeyPairSync('ed25519').publicKey;
  const bob = fingerprintOf(Buffer.from(bobKey.export({ format: 'jwk' }).x as string, 'base64url'));
  await pin('a', { custodians: [await fingerprint(), bob] });
  assert.equal((await refused('revokeCustodian', { fingerprint: 'ed25519:short', confirmation: 'x' })).code, 'INVALID_INPUT');
  const wrong = await refused('revokeCustodian', { fingerprint: bob, confirmation: 'revoke' });
  assert.equal(wrong.code, 'INVALID_INPUT');
  assert.equal(wrong.message, `Type "revoke ${bob.slice(-8)}" to confirm the revocation; nothing was signed.`);
  assert.deepEqual(await new StatementLog(home).list(), [], 'nothing signed');
  const revoked = await act<RevocationView>('revokeCustodian', { fingerprint: bob, confirmation: `  ${revocationPhrase(bob).toUpperCase()} ` });
  assert.equal(revoked.revoked, bob);
  assert.equal(revoked.revokesSelf, false);
  assert.deepEqual(revoked.deliveries.map((d) => [d.server, d.ok, d.applied]), [['a', true, true]]);
  assert.ok(audit.events.some((e) => e.action === 'identity.revoke' && e['revoked'] === bob && e['via'] === 'desktop'));
  // Revoking oneself where one is the last custodian: the receiver refuses for good (LAST_CUSTODIAN), listed as such.
  const self = await fingerprint();
  const last = await act<RevocationView>('revokeCustodian', { fingerprint: self, confirmation: revocationPhrase(self) });
  assert.equal(last.revokesSelf, true);
  assert.equal(last.deliveries[0]!.error?.details?.['receiver_code'], 'LAST_CUSTODIAN');
  const pending = (await act<IdentityStatusView>('identityStatus', {})).pending;
  assert.deepEqual(pending.map((s) => [s.type, s.servers[0]!.state, s.servers[0]!.code]), [['revocation', 'refused', 'LAST_CUSTODIAN']]);
  assert.deepEqual((await push(['a'])).map((r) => r.outcome), ['unlocked'], 'still a custodian there');
});

test('accept-identity: a server that rotated its key shows IDENTITY_MISMATCH; accepted only along its signed hand-over; an impostor is refused with the core\'s sentence', async () => {
  const oldKey = generateKeyPairSync('ed25519').privateKey;
  const first = await pin('rot', { identityKey: oldKey });
  const newKey = generateKeyPairSync('ed25519').privateKey;
  const custodians = [await fingerprint()];
  const second = receiver('rot', { identityKey: newKey, custodians, handovers: [createReceiverHandover(oldKey, newKey, 'rot', Math.floor(Date.now() / 1000))] });
  const mismatch = (await act<ServerStatusView[]>('serverStatus', {}))[0]!;
  assert.deepEqual([mismatch.reachable, mismatch.error?.code, mismatch.error?.details?.['protocol_code']], [false, 'IDENTITY_MISMATCH', 'IDENTITY_MISMATCH']);
  const accepted = await act('acceptServerIdentity', { name: 'rot' });
  assert.deepEqual(accepted, { server: 'rot', oldIdentity: first.identity, newIdentity: second.identity, links: 1, changed: true });
  assert.equal((await act<ServerStatusView[]>('serverStatus', {}))[0]!.state, 'locked');
  assert.deepEqual(await act('acceptServerIdentity', { name: 'rot' }), { server: 'rot', oldIdentity: second.identity, newIdentity: second.identity, links: 0, changed: false });
  // Another key at the address, with no hand-over from the pinned one.
  receiver('rot', { custodians });
  const impostor = await refused('acceptServerIdentity', { name: 'rot' });
  assert.equal(impostor.code, 'IDENTITY_MISMATCH');
  assert.match(impostor.message, /no chain of hand-overs signed by its pinned identity leads to it; the pin \(.*\) was not changed\./);
  assert.equal((await new ServerRegistry(home).get('rot')).identity, second.identity, 'the pin did not move');
  assert.deepEqual(audit.events.filter((e) => e.action === 'server.accept-identity').map((e) => [e.outcome, e['via']]), [['ok', 'desktop'], ['error', 'desktop']]);
});

test('push: a key-order refusal names the newest key (the screen offers the override); the override is sent only when asked, with a warning', async () => {
  const strict = await pin('strict');
  await pin('lenient', { allowOlder: true });
  const refusedOrder = await act<PushResultView[]>('pushKey', { key: 'previous', previous: ['current'], servers: ['strict'] });
  assert.equal(refusedOrder[0]!.outcome, 'refused');
  assert.equal(refusedOrder[0]!.error?.details?.['newest_key'], ids.current);
  assert.match(refusedOrder[0]!.error!.message, new RegExp(`newest key is ${ids.current}.*nothing was sent`));
  assert.equal(strict.state, 'locked');
  // Overridden: sent; this receiver was not told to allow it and refuses (KEY_ORDER_REFUSED) ...
  const forced = await act<PushResultView[]>('pushKey', { key: 'previous', previous: ['current'], servers: ['strict'], allowOlderCurrentKey: true });
  assert.equal(forced[0]!.error?.details?.['receiver_code'], 'KEY_ORDER_REFUSED');
  // ... one started with --allow-older-current-key takes it, and the result carries the warning.
  const rolledBack = await act<PushResultView[]>('pushKey', { key: 'previous', previous: ['current'], servers: ['lenient'], allowOlderCurrentKey: true });
  assert.equal(rolledBack[0]!.outcome, 'unlocked');
  assert.match(rolledBack[0]!.warnings?.[0] ?? '', /\[previous, current\] order/);
});

test('guard: lock, rotate, revoke and accept-identity need presence; showing the identity and sending statements again do not', async () => {
  for (const action of ['lockServers', 'rotateIdentity', 'revokeCustodian', 'acceptServerIdentity'] as const) assert.ok(NEEDS_PRESENCE.has(action), action);
  assert.ok(!NEEDS_PRESENCE.has('identityStatus') && !NEEDS_PRESENCE.has('resendStatements'));
  const a = await pin('a');
  await push(['a']);
  const presence = new Presence({ verifiers: new MemoryVerifierStore(), throttle: new AttemptThrottle(new MemoryThrottleStore()), cost: { log2N: 10, r: 8, p: 1 } });
  await presence.setPassphrase(Buffer.from('the right passphrase'), undefined);
  presence.forget();
  const guarded = guardTable(table, new SessionLock(presence, async () => {}), presence);
  assert.equal((await refused('lockServers', { all: true }, guarded)).code, 'PRESENCE_REQUIRED');
  assert.equal(a.state, 'unlocked', 'nothing was sent');
  assert.equal((await refused('rotateIdentity', { label: 'x' }, guarded)).code, 'PRESENCE_REQUIRED');
  await act('identityStatus', {}, guarded);
  await presence.confirm(Buffer.from('the right passphrase'), 'test');
  await act('lockServers', { all: true }, guarded);
  assert.equal(a.state, 'locked');
});
