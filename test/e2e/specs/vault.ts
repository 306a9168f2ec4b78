/**
 * Vault screen against a real 3-node OpenBao cluster (Raft, TLS with a per-run CA): initialise through the
 * wizard (each holder's share handed out one at a time), then the unseal ceremony with three holders taking
 * turns, including a repeated share (refused locally) and a wrong share (rejected by the nodes at the threshold).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { alertWithCode, goTo, waitForText, type SpecContext } from './helpers.js';

export interface VaultOutcome { shares: string[]; rootToken: string }

/** Typed addresses use the app's VAULT_* environment for TLS; a saved profile brings its own CA. */
export async function saveCluster({ page }: SpecContext, cluster: { addresses: string[] } | { profile: string }): Promise<void> {
  await goTo(page, 'Vault');
  const select = page.getByLabel('Saved cluster profile');
  if ('profile' in cluster) {
    await select.selectOption(cluster.profile);
  } else {
    await select.selectOption('');
    await page.getByLabel('Node addresses, one per line').fill(cluster.addresses.join('\n'));
  }
  await page.getByRole('button', { name: 'Save cluster' }).click();
}

export async function initSpec(context: SpecContext, addresses: string[], profile: string): Promise<VaultOutcome> {
  const { page } = context;
  // Typed addresses, and the app was not given the cluster's CA: every node is reported, none is trusted.
  await saveCluster(context, { addresses });
  const nodes = page.getByRole('table', { name: 'Vault nodes' });
  await waitForText(nodes, /unreachable[\s\S]*unreachable[\s\S]*unreachable/i, 60_000);
  assert.match(await nodes.innerText(), /certificate|TLS/i, 'the TLS failure is named');
  // The saved profile carries the CA.
  await saveCluster(context, { profile });
  await waitForText(nodes, /uninitialized[\s\S]*uninitialized[\s\S]*uninitialized/i, 60_000);

  await page.getByRole('group', { name: 'Ceremony' }).getByRole('button', { name: 'Initialise', exact: true }).click();
  await page.getByLabel('Number of shares').fill('5');
  await page.getByLabel('Threshold (shares needed to unseal)').fill('3');
  const submit = page.getByRole('button', { name: 'Initialise cluster' });
  assert.equal(await submit.isDisabled(), true, 'initialise waits for the typed confirmation');
  await page.getByLabel('Type "initialise" to confirm').fill('initialise');
  await submit.click();

  // Hand-out: each holder reveals and records their own share; only one is on screen at a time.
  const shares: string[] = [];
  let rootToken = '';
  for (let i = 1; i <= 6; i++) {
    const label = i <= 5 ? `Holder ${i}` : 'Root token holder';
    await page.getByRole('button', { name: `Reveal for ${label}` }).click({ timeout: 60_000 });
    const secret = (await page.getByRole('region', { name: `Secret for ${label}` }).locator('code').innerText()).trim();
    assert.equal(await page.getByRole('region', { name: /^Secret for / }).count(), 1, 'one secret on screen at a time');
    if (i <= 5) shares.push(secret); else rootToken = secret;
    await page.getByRole('button', { name: /I have recorded it/ }).click();
  }
  assert.equal(new Set(shares).size, 5);
  for (const share of shares) assert.equal(Buffer.from(share, 'base64').length, 33, 'a 33-byte Shamir share, base64');
  await waitForText(page.getByRole('status').filter({ hasText: 'Initialised' }), /Initialised/);
  return { shares, rootToken };
}

async function giveShare(context: SpecContext, holder: number, share: string): Promise<void> {
  const { page } = context;
  const input = page.getByLabel(`Unseal share of holder ${holder}`);
  await input.fill(share);
  assert.equal(await input.getAttribute('type'), 'password', 'the share input is masked');
  await page.getByRole('button', { name: 'Submit share' }).click();
}

async function nextHolder(context: SpecContext, accepted: number): Promise<void> {
  const handover = context.page.getByRole('region', { name: 'Hand over' });
  await waitForText(handover, new RegExp(`Share ${accepted} accepted`), 60_000);
  assert.doesNotMatch(await handover.innerText(), /[A-Za-z0-9+/]{40,}={0,2}/, 'no share on the hand-over screen');
  await handover.getByRole('button', { name: 'Next holder is ready' }).click();
}

export async function unsealSpec(context: SpecContext, shares: string[]): Promise<void> {
  const { page } = context;
  await goTo(page, 'Vault');
  await page.getByRole('group', { name: 'Ceremony' }).getByRole('button', { name: 'Unseal', exact: true }).click();
  await page.getByRole('button', { name: 'Start unseal ceremony' }).click();
  const progress = page.getByLabel('Progress per node');
  await waitForText(progress, /Shares given[\s\S]*0 \/ 3/, 60_000);

  // Holder 1.
  await giveShare(context, 1, shares[0]!);
  await waitForText(page.getByRole('region', { name: 'Hand over' }), /Share 1 accepted/, 60_000);
  await waitForText(progress, /Shares given[\s\S]*1 \/ 3/);
  await context.shot('unseal');
  await nextHolder(context, 1);

  // Holder 2 types holder 1's share by mistake: refused before anything is sent.
  await giveShare(context, 2, shares[0]!);
  const repeated = await alertWithCode(page, 'SHARE_REPEATED');
  assert.doesNotMatch(repeated, new RegExp(shares[0]!.slice(0, 12).replace(/[+/]/g, '\\$&')));
  assert.equal(await page.getByLabel('Unseal share of holder 2').inputValue(), '', 'the refused share is cleared from the window');
  await giveShare(context, 2, shares[1]!);
  await nextHolder(context, 2);

  // Holder 3 gives a wrong share: OpenBao can only tell at the threshold; every node resets, the holders start over.
  const wrong = Buffer.concat([randomBytes(32), Buffer.from([0xf7])]).toString('base64');
  await giveShare(context, 3, wrong);
  const rejected = await alertWithCode(page, 'SHARE_REJECTED');
  assert.match(rejected, /at least one of the shares given is wrong/);
  await waitForText(progress, /Shares given[\s\S]*0 \/ 3/);

  // Start over: three holders, right shares.
  await page.getByRole('button', { name: 'Dismiss' }).click();
  await giveShare(context, 1, shares[2]!);
  await nextHolder(context, 1);
  await giveShare(context, 2, shares[3]!);
  await nextHolder(context, 2);
  await giveShare(context, 3, shares[4]!);
  await waitForText(page.getByRole('status').filter({ hasText: 'Cluster unsealed' }), /Every reachable node is unsealed/, 120_000);
  const nodes = page.getByLabel('Progress per node').getByRole('listitem');
  assert.equal(await nodes.count(), 3);
  for (let i = 0; i < 3; i++) assert.match(await nodes.nth(i).innerText(), /unsealed/i);
}
