// The Node receiver's core against every wire test vector of docs/protocol.md, revision 2 (fixed keys, nonces,
// challenge secret and clock): status with and without client nonce, unlock, lock, custodian statements,
// statement-file replay and the identity hand-over chain.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ReceiverConfigError, ReceiverCore, checkIdentityHandovers, type Answer, type ReceiverCoreOptions,
} from '../../../receivers/node/src/index.js';
import {
  ed25519FromSeed, loadProtocolVectors, type VectorCase, type VectorReceiverOverrides, type VectorRequest,
} from '../../support/protocol-vectors.js';

const vectors = loadProtocolVectors();
const base = vectors.receiver;

interface World { core: ReceiverCore; clock: { value: number }; written: string[] }

function receiverFor(overrides: VectorReceiverOverrides = {}, random?: () => Buffer, statementsText = ''): World {
  const clock = { value: vectors.status.now * 1000 };
  const written: string[] = [];
  const options: ReceiverCoreOptions = {
    serverId: base.server_id,
    identityKey: ed25519FromSeed(base.identity_seed),
    authorizedCustodians: overrides.authorized_custodians ?? base.authorized_custodians,
    keyChecks: base.key_checks,
    allowOlderCurrentKey: overrides.allow_older_current_key ?? base.allow_older_current_key,
    now: () => clock.value,
    newRekeyKey: (() => {
      const keys = base.rekey_ephemeral_private_keys.map((k) => Buffer.from(k, 'base64url'));
      return () => keys.shift(); // the vectors' rekey keys (§12.12), in order
    })(),
    boot: {
      bootId: overrides.boot_id ?? base.boot_id,
      ephemeralPrivateKey: Buffer.from(overrides.ephemeral_private_key ?? base.ephemeral_private_key, 'base64url'),
      challengeSecret: Buffer.from(overrides.challenge_secret ?? base.challenge_secret, 'base64url'),
      spent: overrides.spent ?? base.spent,
    },
  };
  if (overrides.statements_enabled ?? base.statements_enabled) {
    options.statements = { text: statementsText, append: async (jws) => { written.push(jws); } };
  }
  if (random) options.randomBytes = random;
  return { core: new ReceiverCore(options), clock, written };
}

const errorOf = (answer: Answer) => (answer.body['error'] as { code?: string } | undefined)?.code ?? null;

async function send(core: ReceiverCore, request: VectorRequest): Promise<Answer> {
  const body = Buffer.from(request.body);
  if (request.endpoint === 'lock') return core.remoteLock(body, request.content_type);
  if (request.endpoint === 'custodians') return core.statement(body, request.content_type);
  if (request.endpoint === 'rekey') return core.rekey(body, request.content_type);
  return core.unlock(body, request.content_type);
}

/** Runs a case's requests in order; a refused request changes nothing (state, boot, effective custodians). */
async function runCase(testCase: VectorCase): Promise<World> {
  const world = receiverFor(testCase.receiver);
  for (const [index, request] of testCase.requests.entries()) {
    world.clock.value = request.now * 1000;
    const before = { state: world.core.state, boot: world.core.bootId, custodians: world.core.effectiveCustodians(), written: world.written.length };
    const answer = await send(world.core, request);
    assert.equal(errorOf(answer), request.expect_error, `request ${index} (${request.endpoint})`);
    assert.equal(answer.httpStatus, request.expect_status, `request ${index}`);
    if (request.expect_error !== null) {
      assert.deepEqual({ state: world.core.state, boot: world.core.bootId, custodians: world.core.effectiveCustodians(), written: world.written.length }, before, 'a refused request changes nothing');
      assert.equal(answer.body['receipt'], undefined);
      continue;
    }
    if (request.endpoint === 'unlock' || request.endpoint === 'rekey') {
      assert.equal(world.core.state, 'unlocked');
      assert.equal(typeof answer.body['receipt'], 'string');
    } else if (request.endpoint === 'lock') {
      assert.equal(world.core.state, 'locked');
      assert.notEqual(world.core.bootId, before.boot, 'a lock starts a new boot');
      assert.equal(typeof answer.body['receipt'], 'string');
    } else {
      assert.equal(answer.body['applied'], request.expect_applied, `request ${index}: applied`);
      assert.equal(world.written.length, before.written + (request.expect_applied ? 1 : 0), 'an applied statement is written first');
    }
  }
  return world;
}

describe('receiver core: custodian-unlock/1 revision 2 vectors', () => {
  it('has the fixed identity of the vectors', () => {
    const { core } = receiverFor();
    assert.equal(core.identity, base.identity);
    assert.equal(core.bootId, base.boot_id);
    assert.equal(core.state, 'locked');
  });

  it('signs the status exactly as the vector, without and with a client nonce (stateless challenge, §12.1-12.2)', () => {
    const nonce = () => Buffer.from(vectors.status.challenge_nonce, 'base64url');
    assert.equal(JSON.stringify(receiverFor({}, nonce).core.status().body), vectors.status.body);
    assert.equal(JSON.stringify(receiverFor({}, nonce).core.status(vectors.status.with_nonce.query).body), vectors.status.with_nonce.body);
  });

  it('accepts the valid request, installs both keys, signs the receipt exactly, then issues challenges while unlocked', async () => {
    const nonce = vectors.status.unlocked_challenge_nonce;
    const { core, clock } = receiverFor({}, () => Buffer.from(nonce, 'base64url'));
    clock.value = vectors.receipt.now * 1000;
    const answer = await core.unlock(Buffer.from(vectors.request.body), 'application/json');
    assert.equal(answer.httpStatus, 200, JSON.stringify(answer.body));
    assert.equal(JSON.stringify(answer.body), vectors.receipt.body);
    assert.equal(core.state, 'unlocked');
    assert.deepEqual(core.installedKeys().map((k) => k.toString('base64url')), [vectors.keys.current.raw, vectors.keys.previous.raw]);
    clock.value = vectors.status.unlocked_now * 1000;
    assert.equal(core.status().body['status'], vectors.status.unlocked_jws);
  });

  for (const testCase of vectors.status_query_cases) {
    it(`status query ${testCase.name} -> ${testCase.expect_error ?? 'accepted'}`, () => {
      const answer = receiverFor().core.status(testCase.query);
      assert.equal(answer.httpStatus, testCase.expect_status);
      assert.equal(errorOf(answer), testCase.expect_error);
      if (testCase.expect_error === null) {
        const payload = JSON.parse(Buffer.from(String(answer.body['status']).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
        assert.equal(payload['client_nonce'], testCase.expect_client_nonce);
      }
    });
  }

  for (const testCase of vectors.request_cases) {
    it(`unlock ${testCase.name}: ${testCase.description}`, async () => { await runCase(testCase); });
  }

  it('signs the lock receipt exactly as the vector, tells its lock listeners before answering, and starts a new boot', () => {
    const { core, clock } = receiverFor();
    clock.value = vectors.lock.receipt.now * 1000;
    const heard: string[] = [];
    core.onLock((info) => heard.push(`${info.reason}:${info.bootId}:${info.custodian ?? ''}`));
    const answer = core.remoteLock(Buffer.from(vectors.lock.request.body), 'application/json');
    assert.equal(JSON.stringify(answer.body), vectors.lock.receipt.body);
    assert.deepEqual(heard, [`remote:${base.boot_id}:${vectors.identities.custodian.fingerprint}`]);
    assert.notEqual(core.bootId, base.boot_id);
    assert.equal(core.state, 'locked');
  });

  for (const testCase of vectors.lock.cases) {
    it(`lock ${testCase.name}: ${testCase.description}`, async () => {
      const world = await runCase(testCase);
      assert.equal(world.core.state, testCase.expect_state);
      assert.equal(world.core.bootId !== (testCase.receiver?.boot_id ?? base.boot_id), testCase.expect_new_boot);
      if (testCase.expect_state === 'locked') assert.equal(world.core.installedKeys().length, 0);
    });
  }

  for (const testCase of vectors.rekey.cases) {
    it(`rekey ${testCase.name}: ${testCase.description}`, async () => {
      const world = await runCase(testCase);
      assert.deepEqual(world.core.installedKeyIds, testCase.expect_installed_key_ids);
    });
  }

  it('the rekey receipt is byte-exact and the rekey listeners hear of it', async () => {
    const { core, clock } = receiverFor();
    clock.value = vectors.receipt.now * 1000;
    assert.equal((await core.unlock(Buffer.from(vectors.request.body), 'application/json')).httpStatus, 200);
    clock.value = vectors.rekey.receipt.now * 1000;
    const heard: string[][] = [];
    core.onRekey((info) => heard.push(info.retired));
    const answer = await core.rekey(Buffer.from(vectors.rekey.request.body), 'application/json');
    assert.equal(JSON.stringify(answer.body), vectors.rekey.receipt.body);
    assert.deepEqual(heard, [[vectors.keys.previous.key_id]]);
    assert.equal(core.installedKeys().length, 1);
  });

  for (const testCase of vectors.statements.cases) {
    it(`statement ${testCase.name}: ${testCase.description}`, async () => {
      const world = await runCase(testCase);
      assert.deepEqual(world.core.effectiveCustodians(), testCase.expect_effective_custodians);
    });
  }

  it('statement answers are exactly the vector body', async () => {
    const { core } = receiverFor({ authorized_custodians: vectors.statements.cases[0]!.receiver!.authorized_custodians!, statements_enabled: true });
    assert.equal(JSON.stringify((await core.statement(Buffer.from(vectors.statements.handover.body), 'application/json')).body), vectors.statements.applied_body);
  });

  for (const testCase of vectors.statements.file_cases) {
    it(`statements file ${testCase.name}: ${testCase.description}`, () => {
      const text = `${testCase.lines.join('\n')}\n`;
      const build = () => receiverFor({ authorized_custodians: testCase.authorized_custodians, statements_enabled: true }, undefined, text).core;
      if (testCase.expect_error_line === null) {
        assert.deepEqual(build().effectiveCustodians(), testCase.expect_effective_custodians);
      } else {
        assert.throws(build, (error) => error instanceof ReceiverConfigError
          && error.message.includes(`line ${testCase.expect_error_line} `) && !testCase.lines.some((line) => error.message.includes(line.slice(0, 20))));
      }
    });
  }

  it('checks an identity hand-over file and serves it as the vector identity body', () => {
    const text = `${vectors.receiver_handover.handover.jws}\n`;
    const links = checkIdentityHandovers(text, base.server_id, vectors.identities.receiver_rotated.fingerprint);
    const core = new ReceiverCore({
      serverId: base.server_id, identityKey: ed25519FromSeed(vectors.identities.receiver_rotated.seed),
      authorizedCustodians: base.authorized_custodians, keyChecks: base.key_checks, identityHandovers: links,
    });
    assert.equal(JSON.stringify(core.identityAnswer().body), vectors.receiver_handover.identity_body);
    // A chain that does not end at this receiver, names another server, or is broken, stops the start.
    assert.throws(() => checkIdentityHandovers(text, base.server_id, base.identity), /line 1 does not end/);
    assert.throws(() => checkIdentityHandovers(text, 'app-2', vectors.identities.receiver_rotated.fingerprint), /line 1 is not a valid/);
    for (const testCase of vectors.receiver_handover.cases.filter((c) => ['bad-signature', 'wrong-typ', 'duplicate-member', 'signed-by-new-key', 'other-server-id'].includes(c.name))) {
      const lines = (JSON.parse(testCase.identity_body) as { handovers: string[] }).handovers;
      assert.throws(() => checkIdentityHandovers(lines.join('\n'), base.server_id, vectors.identities.receiver_rotated.fingerprint), ReceiverConfigError, testCase.name);
    }
  });
});
