/**
 * The desktop app's ceremonies held in main (src-main/app/handlers/vault.ts over ceremonies/registry.ts), against
 * one real OpenBao node: the init hand-out gives one secret at a time and only the next one, refuses to be
 * abandoned without the phrase that names the holders still waiting, and leaves nothing open once done; a second
 * unseal for the same cluster joins the open one; a rekey whose new shares are not all handed out takes no share
 * and cannot be cancelled without the phrase, and abandoning its hand-out cancels it on the server (the old
 * shares stay in force). Nothing the listing returns carries a secret.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { vaultHandlers, type VaultHandlers } from '../../src-main/app/handlers/vault.js';
import { FileAuditLog } from '../../src-main/core/audit.js';
import { isCustodianError } from '../../src-main/core/errors.js';
import { leakForms, startSingleNode, type BaoCluster } from '../support/openbao.js';
import { MemorySecretStore } from '../../src-main/core/keystore/index.js';

let server: BaoCluster;
let home: string;
let vault: VaultHandlers;
let target: { addrs: string[] };
const shares: string[] = [];
const secrets: string[] = [];

before(async () => {
  server = await startSingleNode();
  home = await mkdtemp(join(tmpdir(), 'custodian-app-ceremonies-'));
  vault = vaultHandlers({ env: { VAULT_CACERT: server.ca.caCert }, home, audit: new FileAuditLog(home, { secrets: new MemorySecretStore() }) });
  target = { addrs: [server.addresses[0]!] };
});

after(async () => {
  await vault?.closeAll();
  await server?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isCustodianError(error), `a CustodianError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error.message;
  }
  assert.fail(`expected ${code}`);
}

/** No secret handed out so far appears in what the screens list. */
async function listingHasNoSecret(): Promise<void> {
  const listing = JSON.stringify(await vault.handlers.vaultCeremonies({}));
  for (const secret of secrets) for (const form of leakForms(Buffer.from(secret, 'utf8'))) assert.ok(!listing.includes(form));
}

test('init: the hand-out stays in main, goes out one holder at a time, and cannot be abandoned without naming who waits', async () => {
  const started = await vault.handlers.vaultInit({ ...target, shares: 5, threshold: 3 });
  assert.deepEqual([started.kind, started.stage, started.handout?.shareCount, started.handout?.next], ['init', 'handout', 5, 0]);
  assert.equal(vault.openCount(), 1, 'an open hand-out holds the unload confirmation');
  const id = started.ceremonyId;
  await rejectsWith(vault.handlers.handoutReveal({ ceremonyId: id, index: 1 }), 'INVALID_INPUT');
  for (let index = 0; index < 3; index++) {
    const first = await vault.handlers.handoutReveal({ ceremonyId: id, index });
    const again = await vault.handlers.handoutReveal({ ceremonyId: id, index });
    assert.equal(again.secret, first.secret, 'a holder who reloads gets the same share');
    shares.push(first.secret);
    secrets.push(first.secret);
    await vault.handlers.handoutConfirm({ ceremonyId: id, index });
  }
  await listingHasNoSecret();
  const [open] = await vault.handlers.vaultCeremonies({});
  assert.equal(open?.handout?.next, 3);
  assert.equal(open?.handout?.abandonPhrase, 'abandon holders 4-5 and root token');
  const refused = await rejectsWith(vault.handlers.handoutAbandon({ ceremonyId: id, confirmation: 'abandon' }), 'HANDOUT_OPEN');
  assert.match(refused, /Holder 4, Holder 5 and Root token holder have not received their secrets/);
  assert.equal((await vault.handlers.vaultCeremonies({})).length, 1, 'still open after a refused abandon');
  for (let index = 3; index < 6; index++) {
    const secret = await vault.handlers.handoutReveal({ ceremonyId: id, index });
    secrets.push(secret.secret);
    if (secret.kind === 'share') shares.push(secret.secret);
    else assert.equal(secret.label, 'Root token holder');
    const progress = await vault.handlers.handoutConfirm({ ceremonyId: id, index });
    assert.equal(progress.finished, index === 5);
  }
  assert.deepEqual(await vault.handlers.vaultCeremonies({}), []);
  assert.equal(vault.openCount(), 0);
  await rejectsWith(vault.handlers.handoutReveal({ ceremonyId: id, index: 5 }), 'CEREMONY_NOT_STARTED');
  const audit = await readFile(join(home, 'audit.log'), 'utf8');
  for (const secret of secrets) assert.ok(!audit.includes(secret), 'no handed-out secret in the audit log');
});

test('unseal: a second begin for the same cluster joins the open ceremony; shares typed in groups are accepted; done closes it', async () => {
  const first = await vault.handlers.unsealBegin(target);
  const again = await vault.handlers.unsealBegin(target);
  assert.equal(again.ceremonyId, first.ceremonyId);
  assert.equal(vault.openCount(), 0, 'nothing typed yet: nothing to lose');
  const grouped = shares[0]!.replace(/(.{4})(?=.)/g, '$1 ');
  const one = await vault.handlers.unsealSubmit({ ceremonyId: first.ceremonyId, share: grouped });
  assert.equal(one.submitted, 1);
  assert.equal(vault.openCount(), 1);
  const listed = await vault.handlers.vaultCeremonies({});
  assert.deepEqual(listed.map((c) => [c.kind, c.progress, c.required, c.unseal?.submitted]), [['unseal', 1, 3, 1]]);
  await vault.handlers.unsealSubmit({ ceremonyId: first.ceremonyId, share: shares[1]!, holderName: 'Bob' });
  const done = await vault.handlers.unsealSubmit({ ceremonyId: first.ceremonyId, share: shares[2]!, holderName: '  Carol\n' });
  assert.equal(done.done, true);
  assert.deepEqual(await vault.handlers.vaultCeremonies({}), [], 'an unsealed cluster leaves nothing open');
  // The app's ceremony leaves one transcript: names as typed (one line, trimmed), each share's Shamir index.
  const transcripts = (await readFile(join(home, 'audit.log'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry['action'] === 'vault.transcript' && entry['ceremony'] === 'unseal');
  assert.equal(transcripts.length, 1);
  const x = (b64: string): number => Buffer.from(b64.replace(/\s/g, ''), 'base64').at(-1)!;
  assert.deepEqual(transcripts[0]!['holders'], [
    { turn: 1, shareIndex: x(shares[0]!), result: 'accepted' },
    { turn: 2, shareIndex: x(shares[1]!), name: 'Bob', result: 'accepted' },
    { turn: 3, shareIndex: x(shares[2]!), name: 'Carol', result: 'accepted' },
  ]);
  assert.equal(transcripts[0]!['state'], 'unsealed');
});

test('rekey: no share and no cancel while new shares are not all handed out; abandoning cancels the rekey, the old shares stay', async () => {
  const started = await vault.handlers.rekeyBegin({ ...target, shares: 3, threshold: 2 });
  let view = started;
  for (const share of shares.slice(0, 3)) view = await vault.handlers.rekeySubmit({ ceremonyId: started.ceremonyId, share, confirmedFingerprint: started.fingerprint });
  assert.deepEqual([view.stage, view.complete, view.handout?.shareCount], ['handout', true, 3]);
  assert.ok(!JSON.stringify(view).includes(shares[0]!));
  await rejectsWith(vault.handlers.rekeySubmit({ ceremonyId: started.ceremonyId, share: shares[3]!, confirmedFingerprint: started.fingerprint }), 'HANDOUT_OPEN');
  await rejectsWith(vault.handlers.rekeyCancel({ ceremonyId: started.ceremonyId }), 'HANDOUT_OPEN');
  const holder1 = await vault.handlers.handoutReveal({ ceremonyId: started.ceremonyId, index: 0 });
  secrets.push(holder1.secret);
  await vault.handlers.handoutConfirm({ ceremonyId: started.ceremonyId, index: 0 });
  await listingHasNoSecret();
  await vault.handlers.handoutAbandon({ ceremonyId: started.ceremonyId, confirmation: 'Abandon holders 2-3' });
  assert.deepEqual(await vault.handlers.vaultCeremonies({}), []);
  // The rekey is gone from the server and the old 5/3 shares are still the ones in force.
  const status = await vault.handlers.vaultStatus(target);
  assert.deepEqual([status[0]?.shares, status[0]?.threshold], [5, 3]);
  const again = await vault.handlers.rekeyBegin({ ...target, shares: 3, threshold: 2 });
  assert.notEqual(again.fingerprint, started.fingerprint, 'a new rekey can start: the abandoned one was cancelled');
  await vault.handlers.rekeyCancel({ ceremonyId: again.ceremonyId });
  assert.equal(vault.openCount(), 0);
});

test('rekey: Cancel with the typed phrase during the hand-out is the same abandon: rekey cancelled, one audit line naming who waits', async () => {
  const started = await vault.handlers.rekeyBegin({ ...target, shares: 2, threshold: 2 });
  for (const share of shares.slice(0, 3)) await vault.handlers.rekeySubmit({ ceremonyId: started.ceremonyId, share, confirmedFingerprint: started.fingerprint });
  await rejectsWith(vault.handlers.rekeyCancel({ ceremonyId: started.ceremonyId, confirmation: 'wrong words' }), 'HANDOUT_OPEN');
  const abandonLines = async () => (await readFile(join(home, 'audit.log'), 'utf8')).trim().split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry['action'] === 'vault.handout.abandon');
  const before = (await abandonLines()).length;
  await vault.handlers.rekeyCancel({ ceremonyId: started.ceremonyId, confirmation: 'Abandon holders 1-2' });
  assert.equal(vault.openCount(), 0);
  const after = await abandonLines();
  assert.equal(after.length, before + 1, 'the cancel wrote one vault.handout.abandon line');
  assert.equal(after.at(-1)?.['ceremony'], 'rekey');
  assert.equal((after.at(-1)?.['waiting'] as string[]).length, 2);
  const status = await vault.handlers.vaultStatus(target);
  assert.deepEqual([status[0]?.shares, status[0]?.threshold], [5, 3], 'the abandoned rekey never came into force');
});

test('rekey: once every new share is handed out the verification stays open in main; its Cancel ends it and the old shares stay', async () => {
  const started = await vault.handlers.rekeyBegin({ ...target, shares: 2, threshold: 2 });
  for (const share of shares.slice(0, 3)) await vault.handlers.rekeySubmit({ ceremonyId: started.ceremonyId, share, confirmedFingerprint: started.fingerprint });
  let progress;
  for (const index of [0, 1]) {
    secrets.push((await vault.handlers.handoutReveal({ ceremonyId: started.ceremonyId, index })).secret);
    progress = await vault.handlers.handoutConfirm({ ceremonyId: started.ceremonyId, index });
  }
  assert.deepEqual([progress?.finished, progress?.ceremony?.stage, progress?.ceremony?.progress, progress?.ceremony?.required], [false, 'verify', 0, 2]);
  assert.ok(progress?.ceremony?.fingerprint && progress.ceremony.fingerprint !== started.fingerprint, 'the verification has its own fingerprint');
  const listed = await vault.handlers.vaultCeremonies({});
  assert.deepEqual(listed.map((c) => [c.kind, c.stage, c.fingerprint]), [['rekey', 'verify', progress?.ceremony?.fingerprint]]);
  assert.equal(vault.openCount(), 1);
  await listingHasNoSecret();
  await vault.handlers.rekeyCancel({ ceremonyId: started.ceremonyId });
  assert.deepEqual(await vault.handlers.vaultCeremonies({}), []);
  const status = await vault.handlers.vaultStatus(target);
  assert.deepEqual([status[0]?.shares, status[0]?.threshold], [5, 3], 'the new shares never came into force');
  const again = await vault.handlers.rekeyBegin({ ...target, shares: 3, threshold: 2 });
  await vault.handlers.rekeyCancel({ ceremonyId: again.ceremonyId });
});

test('generate-root: the new token waits in main; abandoning it needs "abandon root token"', async () => {
  const started = await vault.handlers.generateRootBegin(target);
  let view = started;
  for (const share of shares.slice(0, 3)) view = await vault.handlers.generateRootSubmit({ ceremonyId: started.ceremonyId, share, confirmedFingerprint: started.fingerprint });
  assert.deepEqual([view.stage, view.handout?.items.map((i) => i.label)], ['handout', ['Root token holder']]);
  await rejectsWith(vault.handlers.generateRootCancel({ ceremonyId: started.ceremonyId, confirmation: 'abandon' }), 'HANDOUT_OPEN');
  const [open] = await vault.handlers.vaultCeremonies({});
  assert.equal(open?.handout?.abandonPhrase, 'abandon root token');
  await vault.handlers.generateRootCancel({ ceremonyId: started.ceremonyId, confirmation: 'abandon root token' });
  assert.deepEqual(await vault.handlers.vaultCeremonies({}), []);
});
