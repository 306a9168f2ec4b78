/**
 * The main-side ceremony registry and hand-out (src-main/app/ceremonies): secrets stay in main, go out one
 * holder at a time in order, are wiped once recorded, completed or abandoned; abandoning needs the phrase that
 * names who is still waiting; the listing the screens re-attach with never carries a secret.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Handout, type HandoutItem } from '../../../src-main/app/ceremonies/handout.js';
import { nodeProblemInWords, withAppHint } from '../../../src-main/app/ceremonies/node-words.js';
import { CeremonyRegistry } from '../../../src-main/app/ceremonies/registry.js';
import { typedShareBytes } from '../../../src-main/app/ceremonies/typed-share.js';
import { CustodianError, isCustodianError } from '../../../src-main/core/errors.js';

function initItems(shares: number): { items: HandoutItem[]; secrets: Buffer[] } {
  const secrets = Array.from({ length: shares }, () => randomBytes(33));
  const token = Buffer.from(`s.${randomBytes(18).toString('hex')}`, 'utf8');
  const items: HandoutItem[] = [
    ...secrets.map((secret): HandoutItem => ({ kind: 'share', secret, encoding: 'base64' })),
    { kind: 'root-token', secret: token, encoding: 'utf8' },
  ];
  return { items, secrets: [...secrets, token] };
}

const isZero = (buffer: Buffer): boolean => buffer.every((byte) => byte === 0);
const textsOf = (secrets: Buffer[]): string[] => secrets.flatMap((s) => [s.toString('base64'), s.toString('utf8'), s.toString('hex')]);

function assertCode(fn: () => unknown, code: string): CustodianError {
  try {
    fn();
  } catch (error) {
    assert.ok(isCustodianError(error), `a CustodianError, got ${String(error)}`);
    assert.equal(error.code, code);
    return error;
  }
  assert.fail(`expected ${code}`);
}

test('a hand-out counts shares apart from the root token and shows no secret in its view', () => {
  const { items, secrets } = initItems(5);
  const handout = new Handout(items, false);
  const view = handout.view();
  assert.equal(view.shareCount, 5);
  assert.deepEqual(view.items.map((i) => [i.label, i.kind, i.shareNumber]), [
    ['Holder 1', 'share', 1], ['Holder 2', 'share', 2], ['Holder 3', 'share', 3], ['Holder 4', 'share', 4], ['Holder 5', 'share', 5],
    ['Root token holder', 'root-token', undefined],
  ]);
  assert.equal(view.next, 0);
  const json = JSON.stringify(view);
  for (const text of textsOf(secrets)) assert.ok(!json.includes(text), 'no secret in the view');
});

test('secrets go out in order, one at a time; each is wiped once its holder recorded it', () => {
  const { items, secrets } = initItems(3);
  const handout = new Handout(items, false);
  assert.equal(handout.reveal(0).secret, secrets[0]!.toString('base64'));
  // The same holder may ask again (the window was reloaded before they confirmed); nobody else may jump the queue.
  assert.equal(handout.reveal(0).label, 'Holder 1');
  assertCode(() => handout.reveal(1), 'INVALID_INPUT');
  assertCode(() => handout.confirm(2), 'INVALID_INPUT');
  handout.confirm(0);
  assert.ok(isZero(secrets[0]!), 'holder 1\'s share is wiped in main once recorded');
  assert.ok(!isZero(secrets[1]!));
  assertCode(() => handout.reveal(0), 'INVALID_INPUT');
  assert.equal(handout.view().next, 1);
  for (const index of [1, 2]) {
    assert.equal(handout.reveal(index).secret, secrets[index]!.toString('base64'));
    handout.confirm(index);
  }
  const token = handout.reveal(3);
  assert.equal(token.kind, 'root-token');
  assert.equal(token.secret, secrets[3]!.toString('utf8'));
  handout.confirm(3);
  assert.equal(handout.complete, true);
  assert.equal(handout.view().next, -1);
  assert.equal(handout.abandonPhrase(), '');
  assert.ok(secrets.every(isZero), 'every secret wiped at the end');
});

test('abandoning needs the phrase that names the holders still waiting; a wrong phrase changes nothing', () => {
  const { items, secrets } = initItems(5);
  const handout = new Handout(items, false);
  assert.equal(handout.abandonPhrase(), 'abandon holders 1-5 and root token');
  handout.reveal(0); handout.confirm(0);
  handout.reveal(1); handout.confirm(1);
  assert.equal(handout.abandonPhrase(), 'abandon holders 3-5 and root token');
  for (const typed of [undefined, '', 'abandon', 'abandon holders 1-5 and root token', 'abandon holders 3-5']) {
    const error = assertCode(() => handout.checkAbandon(typed), 'HANDOUT_OPEN');
    assert.match(error.message, /Holder 3, Holder 4, Holder 5 and Root token holder have not received their secrets/);
    assert.match(error.hint ?? '', /abandon holders 3-5 and root token/);
  }
  assert.ok(!isZero(secrets[2]!), 'a refused abandon keeps the secrets');
  assert.equal(handout.reveal(2).label, 'Holder 3', 'and the hand-out goes on with the same holder');
  // Case and spacing do not matter.
  handout.checkAbandon('  Abandon Holders 3 - 5  and ROOT token ');
  handout.wipe();
  assert.ok(secrets.every(isZero));
  assert.equal(handout.view().next, -1);
});

test('the phrase for a single holder, and for a token-only hand-out', () => {
  const one = new Handout([{ kind: 'share', secret: randomBytes(33), encoding: 'base64' }], false);
  assert.equal(one.abandonPhrase(), 'abandon holder 1');
  const token = new Handout([{ kind: 'root-token', secret: Buffer.from('s.token'), encoding: 'utf8' }], false);
  assert.equal(token.abandonPhrase(), 'abandon root token');
  assert.equal(token.view().shareCount, 0);
});

test('the registry lists open ceremonies with stage and progress, never a secret; it survives any number of listings', async () => {
  const registry = new CeremonyRegistry();
  const { items, secrets } = initItems(5);
  const entry = registry.add('init', { addrs: ['https://v1:8200'], profile: 'prod' }, undefined, 'handout', new Date('2026-12-01T00:00:00Z'));
  entry.handout = new Handout(items, false);
  entry.required = 5;
  entry.handout.reveal(0);
  entry.handout.confirm(0);
  for (let i = 0; i < 3; i++) {
    const [summary, ...rest] = registry.list();
    assert.equal(rest.length, 0);
    assert.equal(summary!.ceremonyId, entry.id);
    assert.equal(summary!.kind, 'init');
    assert.equal(summary!.stage, 'handout');
    assert.deepEqual(summary!.target, { addrs: ['https://v1:8200'], profile: 'prod' });
    assert.equal(summary!.startedAt, '2026-12-01T00:00:00.000Z');
    assert.equal(summary!.handout?.next, 1, 'the same holder position every time');
    const json = JSON.stringify(summary);
    for (const text of textsOf(secrets.slice(1))) assert.ok(!json.includes(text), 'no secret in the listing');
  }
  assert.equal(registry.openCount(), 1);
  assert.equal(registry.get(entry.id, 'init'), entry);
  assertCode(() => registry.get(entry.id, 'rekey'), 'CEREMONY_NOT_STARTED');
  assertCode(() => registry.get('no-such-ceremony'), 'CEREMONY_NOT_STARTED');
  await registry.close(entry.id);
  assert.ok(secrets.every(isZero), 'closing wipes what was not handed out');
  assert.deepEqual(registry.list(), []);
  assert.equal(registry.openCount(), 0);
  await registry.close(entry.id); // closing twice is harmless
});

test('find matches a ceremony by cluster (profile, or the same addresses); ids are unguessable and distinct', () => {
  const registry = new CeremonyRegistry();
  const a = registry.add('unseal', { addrs: ['https://v1:8200', 'https://v2:8200'] }, undefined, 'collect');
  const b = registry.add('unseal', { addrs: ['https://v1:8200'], profile: 'prod' }, undefined, 'collect');
  assert.notEqual(a.id, b.id);
  assert.match(a.id, /^[A-Za-z0-9_-]{16}$/);
  assert.equal(registry.find('unseal', { addrs: ['https://v1:8200', 'https://v2:8200'] }), a);
  assert.equal(registry.find('unseal', { addrs: ['https://v2:8200', 'https://v1:8200'] }), undefined);
  assert.equal(registry.find('unseal', { addrs: [], profile: 'prod' }), b);
  assert.equal(registry.find('rekey', { addrs: [], profile: 'prod' }), undefined);
  // An unseal nobody has typed into yet loses nothing if the app closes: it does not hold the unload prompt.
  assert.equal(registry.openCount(), 0);
});

test('closeAll wipes every hand-out', async () => {
  const registry = new CeremonyRegistry();
  const held: Buffer[] = [];
  for (const kind of ['init', 'generate-root'] as const) {
    const { items, secrets } = initItems(2);
    held.push(...secrets);
    registry.add(kind, { addrs: ['https://v1:8200'] }, undefined, 'handout').handout = new Handout(items, false);
  }
  assert.equal(registry.openCount(), 2);
  await registry.closeAll();
  assert.ok(held.every(isZero));
  assert.equal(registry.openCount(), 0);
});

test('a typed share loses the spaces of its groups; an armoured PGP message keeps its lines', () => {
  assert.equal(typedShareBytes(' AbCd EfGh\tIjKl\n', false).toString(), 'AbCdEfGhIjKl');
  const armoured = '-----BEGIN PGP MESSAGE-----\n\nwcBMA\n-----END PGP MESSAGE-----\n';
  assert.equal(typedShareBytes(armoured, true).toString(), armoured);
});

test('node problems are said in words; TLS points to a profile with a CA', () => {
  const wrong = nodeProblemInWords({ code: 'VAULT_REQUEST_FAILED', message: 'HTTP 400: cipher: message authentication failed' });
  assert.doesNotMatch(wrong.error, /HTTP|cipher/);
  assert.match(wrong.error, /at least one of them is wrong/);
  assert.equal(wrong.errorCode, 'SHARE_REJECTED');
  const tls = nodeProblemInWords({ code: 'VAULT_TLS', message: 'TLS with https://v1:8200 failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE); nothing was sent.' });
  assert.match(tls.error, /TLS failed/);
  assert.match(tls.errorHint ?? '', /profile[\s\S]*--ca-cert/);
  assert.match(nodeProblemInWords({ code: 'VAULT_REQUEST_FAILED', message: 'HTTP 500: internal error' }).error, /internal error \(HTTP 500\)/);
  const hinted = withAppHint(new CustodianError('VAULT_TLS', 'TLS failed with every node.', { hint: 'Check VAULT_CACERT/--ca-cert' }));
  assert.ok(isCustodianError(hinted));
  assert.match(hinted.hint ?? '', /saved cluster profile/);
});
