/**
 * Presence: the scrypt verifier, attempt throttling, the grace period, Touch ID through its port, the lock kept
 * in main, and the guard that refuses actions while locked and asks for presence before a reveal or copy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HandlerTable } from '../../../src-main/app/dispatch.js';
import { guardTable } from '../../../src-main/app/guard.js';
import { MemoryVerifierStore, Presence, type TouchIdPort } from '../../../src-main/app/presence/presence.js';
import { SessionLock } from '../../../src-main/app/presence/session-lock.js';
import { AttemptThrottle, FREE_ATTEMPTS, MemoryThrottleStore, waitAfter } from '../../../src-main/app/presence/throttle.js';
import { checkVerifier, makeVerifier } from '../../../src-main/app/presence/verifier.js';
import { isCustodianError } from '../../../src-main/core/errors.js';

/** Small scrypt cost for tests; the format records it, so checking uses the same. */
const CHEAP = { log2N: 10, r: 8, p: 1 };
const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

function setup(options: { touchId?: TouchIdPort } = {}) {
  let now = 1_000_000;
  const clock = { now: () => now, advance: (ms: number) => { now += ms; } };
  const verifiers = new MemoryVerifierStore();
  const throttleStore = new MemoryThrottleStore();
  const presence = new Presence({ verifiers, throttle: new AttemptThrottle(throttleStore, clock.now), now: clock.now, cost: CHEAP, touchId: options.touchId });
  return { clock, verifiers, throttleStore, presence };
}

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isCustodianError(error), `expected a CustodianError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return error.details ?? {};
  }
  assert.fail(`expected ${code}`);
}

test('verifier: scrypt with a random salt, checks the right passphrase only, tolerates nothing malformed', async () => {
  const a = await makeVerifier(bytes('correct horse battery'), CHEAP);
  const b = await makeVerifier(bytes('correct horse battery'), CHEAP);
  assert.match(a, /^scrypt\$10\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, b, 'a fresh salt each time');
  assert.doesNotMatch(a, /correct|horse/);
  assert.equal(await checkVerifier(a, bytes('correct horse battery')), true);
  assert.equal(await checkVerifier(a, bytes('correct horse batterY')), false);
  assert.equal(await checkVerifier(a, bytes('')), false);
  for (const bad of ['', 'scrypt$10$8$1$abc', a.replace('scrypt', 'pbkdf2'), a.replace('$10$', '$30$'), `${a}x`]) {
    assert.equal(await checkVerifier(bad, bytes('correct horse battery')), false, bad);
  }
  // The default cost is OWASP's: N=2^17, r=8.
  assert.match(await makeVerifier(bytes('x'.repeat(12))), /^scrypt\$17\$8\$1\$/);
});

test('throttle: three free tries, then 5 s doubling to a 15 min cap; a success resets it', async () => {
  assert.deepEqual([0, 1, 2].map(waitAfter), [0, 0, 0]);
  assert.deepEqual([3, 4, 5].map(waitAfter), [5_000, 10_000, 20_000]);
  assert.equal(waitAfter(40), 15 * 60_000);
  const { presence, clock, throttleStore } = setup();
  await presence.setPassphrase(bytes('the right passphrase'), undefined);
  for (let i = 0; i < FREE_ATTEMPTS; i++) await rejectsWith(presence.confirm(bytes('wrong guess'), 'test'), 'PRESENCE_REQUIRED', /not the unlock passphrase/);
  // Now even the right passphrase must wait: the check is not even run.
  const details = await rejectsWith(presence.confirm(bytes('the right passphrase'), 'test'), 'PRESENCE_REQUIRED', /wait 5 s/);
  assert.equal(details['retryAfterSeconds'], 5);
  assert.equal(throttleStore.state.failures, FREE_ATTEMPTS, 'a refused-for-waiting attempt is not counted');
  clock.advance(5_000);
  await rejectsWith(presence.confirm(bytes('wrong again'), 'test'), 'PRESENCE_REQUIRED', /not the unlock/);
  await rejectsWith(presence.confirm(bytes('the right passphrase'), 'test'), 'PRESENCE_REQUIRED', /wait 10 s/);
  clock.advance(10_000);
  await presence.confirm(bytes('the right passphrase'), 'test');
  assert.deepEqual(throttleStore.state, { failures: 0, lastFailureAt: 0 });
});

test('presence: no passphrase set is refused; the grace period lets "reveal, then copy" ask once; forget ends it', async () => {
  const { presence, clock, verifiers } = setup();
  const unset = await rejectsWith(presence.require('reveal'), 'PRESENCE_REQUIRED');
  assert.deepEqual(unset, { method: 'passphrase', passphraseSet: false, retryAfterSeconds: 0 });
  await rejectsWith(presence.confirm(bytes('anything at all'), 'reveal'), 'PRESENCE_REQUIRED', /No unlock passphrase/);
  await rejectsWith(presence.setPassphrase(bytes('short'), undefined), 'INVALID_INPUT', /at least 10/);
  await presence.setPassphrase(bytes('the right passphrase'), undefined);
  assert.doesNotMatch(verifiers.value ?? '', /right/);
  presence.forget();
  await rejectsWith(presence.require('reveal'), 'PRESENCE_REQUIRED', /type the unlock passphrase/);
  await rejectsWith(presence.confirm(undefined, 'reveal'), 'PRESENCE_REQUIRED');
  await presence.confirm(bytes('the right passphrase'), 'reveal');
  await presence.require('reveal');
  clock.advance(59_000);
  await presence.require('copy');
  clock.advance(2_000);
  await rejectsWith(presence.require('copy'), 'PRESENCE_REQUIRED');
  await presence.confirm(bytes('the right passphrase'), 'reveal');
  presence.forget();
  await rejectsWith(presence.require('copy'), 'PRESENCE_REQUIRED');
});

test('presence: changing the passphrase needs the current one (throttled like any attempt)', async () => {
  const { presence } = setup();
  await presence.setPassphrase(bytes('first passphrase'), undefined);
  await rejectsWith(presence.setPassphrase(bytes('second passphrase'), undefined), 'PRESENCE_REQUIRED');
  await rejectsWith(presence.setPassphrase(bytes('second passphrase'), bytes('not the first')), 'PRESENCE_REQUIRED', /not the unlock/);
  await presence.setPassphrase(bytes('second passphrase'), bytes('first passphrase'));
  presence.forget();
  await rejectsWith(presence.confirm(bytes('first passphrase'), 'x'), 'PRESENCE_REQUIRED');
  await presence.confirm(bytes('second passphrase'), 'x');
});

test('presence: Touch ID where the Mac has it, prompted by main; a cancelled prompt is PRESENCE_REQUIRED', async () => {
  const reasons: string[] = [];
  let answer = true;
  const touchId: TouchIdPort = { canPrompt: () => true, prompt: async (reason) => { reasons.push(reason); if (!answer) throw new Error('cancelled'); } };
  const { presence } = setup({ touchId });
  assert.equal(presence.method(), 'touch-id');
  await presence.require('reveal a data key');
  assert.deepEqual(reasons, ['reveal a data key']);
  await presence.require('copy a data key');
  assert.equal(reasons.length, 1, 'within the grace period, no second prompt');
  presence.forget();
  answer = false;
  const details = await rejectsWith(presence.require('reveal a data key'), 'PRESENCE_REQUIRED', /Touch ID/);
  assert.equal(details['method'], 'touch-id');
});

test('lock: kept in main, resumes only with presence, runs its hooks (clipboard) and forgets presence', async () => {
  const { presence } = setup();
  await presence.setPassphrase(bytes('the right passphrase'), undefined);
  let hooks = 0;
  const lock = new SessionLock(presence, async () => { hooks += 1; });
  await lock.lock();
  assert.equal(lock.locked, true);
  assert.equal(hooks, 1, 'locking clears the clipboard');
  assert.equal(presence.isFresh(), false);
  await rejectsWith(lock.unlock(bytes('resume')), 'PRESENCE_REQUIRED');
  await rejectsWith(lock.unlock(undefined), 'PRESENCE_REQUIRED');
  assert.equal(lock.locked, true);
  await lock.unlock(bytes('the right passphrase'));
  assert.equal(lock.locked, false);
});

test('guard: while locked only the lock screen\'s actions answer; reveal and copy need presence first', async () => {
  const { presence } = setup();
  await presence.setPassphrase(bytes('the right passphrase'), undefined);
  const lock = new SessionLock(presence, async () => {});
  const calls: string[] = [];
  const table = new Proxy({}, { get: (_t, action: string) => async () => { calls.push(action); return {}; } }) as HandlerTable;
  const handlers = { listKeys: table.listKeys, revealKey: table.revealKey, copyKey: table.copyKey, sessionState: table.sessionState, unlock: table.unlock, watchState: table.watchState } as unknown as HandlerTable;
  const guarded = guardTable(handlers, lock, presence) as unknown as Record<string, (request: unknown) => Promise<unknown>>;

  presence.forget();
  await rejectsWith(guarded['revealKey']!({}), 'PRESENCE_REQUIRED');
  await rejectsWith(guarded['copyKey']!({}), 'PRESENCE_REQUIRED');
  await guarded['listKeys']!({});
  assert.deepEqual(calls, ['listKeys'], 'the reveal handler never ran');
  await presence.confirm(bytes('the right passphrase'), 'x');
  await guarded['revealKey']!({});
  assert.deepEqual(calls, ['listKeys', 'revealKey']);

  await lock.lock();
  const locked = await rejectsWith(guarded['listKeys']!({}), 'PRESENCE_REQUIRED', /locked/);
  assert.equal(locked['locked'], true);
  await rejectsWith(guarded['revealKey']!({}), 'PRESENCE_REQUIRED', /locked/);
  await guarded['sessionState']!({});
  await guarded['watchState']!({});
  await guarded['unlock']!({});
  assert.deepEqual(calls, ['listKeys', 'revealKey', 'sessionState', 'watchState', 'unlock']);
});
