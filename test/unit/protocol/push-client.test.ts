// pushKeys/statusOf (src-main/core/push) with receivers in memory: the transport is a function that hands the
// request to a ReceiverCore, so every call the client makes is recorded.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MemoryAuditLog } from '../../../src-main/core/audit.js';
import { keyId } from '../../../src-main/core/crypto/index.js';
import { ReceiptLog, fingerprintOf, pushKeys, statusOf, type CallReceiver, type CustodianSigner, type PinnedServer } from '../../../src-main/core/push/index.js';
import { ReceiverCore } from '../../../receivers/node/src/index.js';

const signerKey = generateKeyPairSync('ed25519').privateKey;
const signerRaw = Buffer.from(createPublicKey(signerKey).export({ format: 'jwk' }).x as string, 'base64url');
const signer: CustodianSigner = { privateKey: signerKey, publicRaw: signerRaw, fingerprint: fingerprintOf(signerRaw) };
const key = randomBytes(32);
const home = mkdtempSync(join(tmpdir(), 'custodian-push-unit-'));
after(() => rmSync(home, { recursive: true, force: true }));

function world(names: string[]) {
  const cores = new Map<string, ReceiverCore>();
  const calls: { server: string; path: string }[] = [];
  const servers: PinnedServer[] = names.map((name) => {
    const core = new ReceiverCore({ serverId: name, identityKey: generateKeyPairSync('ed25519').privateKey, authorizedCustodians: [signer.fingerprint], keyChecks: [keyId(key)] });
    cores.set(name, core);
    return { name, url: `http://in-memory/${name}`, identity: core.identity, serverId: name, added: '' };
  });
  const call: CallReceiver = async (endpoint, path, body) => {
    calls.push({ server: endpoint.name, path });
    const core = cores.get(endpoint.name)!;
    const answer = path === 'status' ? core.status() : await core.unlock(Buffer.from(body ?? ''), 'application/json');
    return { status: answer.httpStatus, body: JSON.stringify(answer.body) };
  };
  return { cores, calls, servers, call };
}

describe('pushKeys', () => {
  it('unlocks every server in parallel, stores the receipts and audits each push', async () => {
    const { servers, call, cores } = world(['a', 'b', 'c']);
    const receipts = new ReceiptLog(home);
    const audit = new MemoryAuditLog();
    const results = await pushKeys({ servers, keys: [key], signer, call, receipts, audit });
    assert.deepEqual(results.map((r) => [r.server, r.outcome, r.ok]), [['a', 'unlocked', true], ['b', 'unlocked', true], ['c', 'unlocked', true]]);
    for (const core of cores.values()) assert.equal(core.state, 'unlocked');
    assert.equal((await receipts.list()).length, 3);
    assert.deepEqual(audit.events.map((e) => [e.action, e.outcome, e['server']]), [['push', 'ok', 'a'], ['push', 'ok', 'b'], ['push', 'ok', 'c']]);
    assert.ok(!readFileSync(receipts.path).includes(key.toString('base64url')));
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

  it('a receiver refusal comes back as PUSH_REFUSED with the receiver code, in our words', async () => {
    const { servers, call, cores } = world(['a']);
    cores.get('a')!.status(); // irrelevant challenge
    const lying: CallReceiver = async (endpoint, path, body) => {
      if (path === 'unlock') return { status: 403, body: JSON.stringify({ protocol: 'custodian-unlock/1', error: { code: 'UNKNOWN_CUSTODIAN', message: '<script>alert(1)</script>' } }) };
      return call(endpoint, path, body);
    };
    const [result] = await pushKeys({ servers, keys: [key], signer, call: lying });
    assert.equal(result!.error?.code, 'PUSH_REFUSED');
    assert.equal(result!.error?.details?.['receiver_code'], 'UNKNOWN_CUSTODIAN');
    assert.doesNotMatch(result!.error!.message, /script/, 'the server\'s own text is not shown');
  });

  it('an already unlocked server with the same keys is reported as such; with other keys it is refused', async () => {
    const { servers, call, calls } = world(['a']);
    await pushKeys({ servers, keys: [key], signer, call });
    calls.length = 0;
    const [same] = await pushKeys({ servers, keys: [key], signer, call });
    assert.deepEqual([same!.ok, same!.outcome], [true, 'already-unlocked']);
    const [other] = await pushKeys({ servers, keys: [randomBytes(32)], signer, call });
    assert.deepEqual([other!.ok, other!.outcome, other!.error?.code], [false, 'refused', 'PUSH_REFUSED']);
    assert.match(other!.error!.message, /already unlocked with other keys/);
    assert.deepEqual(calls.map((c) => c.path), ['status', 'status'], 'nothing but status requests');
  });
});

describe('statusOf', () => {
  it('reports state per server and an error for a server that fails verification', async () => {
    const { servers, call } = world(['a', 'b']);
    const broken: CallReceiver = async (endpoint, path, body) => (endpoint.name === 'b' ? { status: 200, body: '{"protocol":"custodian-unlock/1","status":"x.y.z"}' } : call(endpoint, path, body));
    const results = await statusOf(servers, broken);
    assert.deepEqual([results[0]!.ok, results[0]!.state], [true, 'locked']);
    assert.deepEqual([results[1]!.ok, results[1]!.error?.code], [false, 'PROTOCOL_ERROR']);
  });
});
