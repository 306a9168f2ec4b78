/**
 * Vault screen against a real 3-node OpenBao cluster (Raft, TLS with a per-run CA): initialise through the
 * wizard (each holder's share handed out one at a time), then the unseal ceremony with three holders taking
 * turns, including a repeated share (refused locally) and a wrong share (rejected by the nodes at the threshold).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { alertWithCode, goTo, waitForText, type SpecContext } from './helpers.js';
import { expectAxeCleanBothSchemes } from './accessibility.js';
import { disrupt, shownSecret, typeShareWatched, type Disruption } from './survival.js';

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
  assert.match(await nodes.innerText(), /saved cluster profile that carries the cluster's CA certificate/, 'and the way out: a profile with the CA');
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

  // Hand-out: each holder reveals and records their own share; only one is on screen at a time. The shares stay
  // in main: leaving the screen, Alt+number, locking, reloading or reopening the window in the middle of the
  // hand-out comes back to the same holder, and the remaining shares are handed out as before.
  const shares: string[] = [];
  let rootToken = '';
  const before: Record<number, Disruption> = { 2: 'navigate', 3: 'alt-number', 4: 'lock', 5: 'reopen' };
  for (let i = 1; i <= 6; i++) {
    const label = i <= 5 ? `Holder ${i}` : 'Root token holder';
    const disruption = before[i];
    if (disruption) {
      await disrupt(context, disruption);
      await waitForText(context.page.getByRole('region', { name: 'Unseal shares' }).getByRole('heading'), new RegExp(`^Unseal shares: Holder ${i} \\(share ${i} of 5\\)`), 30_000);
    }
    const current = context.page;
    if (i === 1) {
      // The root token is not counted as a share: "share 1 of 5", not "1 of 6". (Screenshots never show a share.)
      await current.getByRole('button', { name: `Reveal for ${label}` }).waitFor({ timeout: 60_000 });
      assert.match(await current.getByRole('region', { name: 'Unseal shares' }).getByRole('heading').innerText(), /^Unseal shares: Holder 1 \(share 1 of 5\)$/);
      await expectAxeCleanBothSchemes(current, 'init-handout', context.shot);
    }
    if (i === 4) await abandonIsRefused(context);
    await current.getByRole('button', { name: `Reveal for ${label}` }).click({ timeout: 60_000 });
    let secret = await shownSecret(current, label);
    if (i === 2) {
      // Revealed but not yet confirmed, then the page reloads: the same holder gets the same share again.
      await disrupt(context, 'reload');
      await context.page.getByRole('button', { name: `Reveal for ${label}` }).click({ timeout: 60_000 });
      assert.equal(await shownSecret(context.page, label), secret, 'the same share for the same holder after a reload');
      secret = await shownSecret(context.page, label);
    }
    if (i === 6) assert.match(await context.page.getByRole('region', { name: 'Unseal shares' }).getByRole('heading').innerText(), /Root token holder \(the root token, not a share\)/);
    assert.equal(await context.page.getByRole('region', { name: /^Secret for / }).count(), 1, 'one secret on screen at a time');
    if (i <= 5) shares.push(secret); else rootToken = secret;
    await context.page.getByRole('button', { name: /I have recorded it/ }).click();
  }
  assert.equal(new Set(shares).size, 5);
  for (const share of shares) assert.equal(Buffer.from(share, 'base64').length, 33, 'a 33-byte Shamir share, base64');
  await waitForText(context.page.getByRole('status').filter({ hasText: 'Initialised' }), /Initialised/);
  // Nothing is left open in main: no ceremony, no secret.
  assert.deepEqual(await openCeremonies(context), []);
  // Initialised, sealed: the Raft followers are sealed nodes waiting for the first one ("0 of 3", not
  // "uninitialized 0 of 0"), and a sealed node has no role.
  await context.page.getByRole('button', { name: 'Refresh status' }).click();
  const table = context.page.getByRole('table', { name: 'Vault nodes' });
  await waitForText(table, /sealed[\s\S]*sealed[\s\S]*sealed/i, 60_000);
  const rows = table.locator('tbody tr');
  assert.equal(await rows.count(), 3);
  for (let i = 0; i < 3; i++) {
    const cells = rows.nth(i).locator('td');
    assert.match(await cells.nth(1).innerText(), /^sealed/i);
    assert.equal((await cells.nth(2).innerText()).trim(), '0 of 3');
    assert.equal((await cells.nth(3).innerText()).trim(), '—', 'no "sealed" in the Role column');
  }
  await expectAxeCleanBothSchemes(context.page, 'vault-initialised-sealed', context.shot);
  return { shares, rootToken };
}

/** What main lists as open (through the page's own bridge, as the screens ask). */
export async function openCeremonies(context: SpecContext): Promise<Array<{ kind: string; stage: string; ceremonyId: string }>> {
  return context.page.evaluate(async () => {
    const api = (window as unknown as { custodian: { vaultCeremonies(r: object): Promise<{ ok: boolean; value: Array<{ kind: string; stage: string; ceremonyId: string }> }> } }).custodian;
    const result = await api.vaultCeremonies({});
    return result.ok ? result.value.map(({ kind, stage, ceremonyId }) => ({ kind, stage, ceremonyId })) : [];
  });
}

/**
 * Abandoning the hand-out names the holders still waiting and needs that phrase typed: the button stays off
 * for anything else, and main refuses a call without it (HANDOUT_OPEN), changing nothing.
 */
async function abandonIsRefused(context: SpecContext): Promise<void> {
  const { page } = context;
  await page.getByRole('button', { name: 'Abandon hand-out…' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Abandon the hand-out?' });
  assert.match(await dialog.innerText(), /Holder 4, Holder 5 and Root token holder have not received their secrets/);
  const phrase = 'abandon holders 4-5 and root token';
  const input = dialog.getByLabel(`Type ${phrase} to confirm`);
  const confirm = dialog.getByRole('button', { name: 'Abandon and wipe' });
  assert.equal(await confirm.isDisabled(), true);
  await input.fill('abandon');
  assert.equal(await confirm.isDisabled(), true, 'a phrase that does not name the holders does not abandon');
  await input.fill('abandon holders 4-5');
  assert.equal(await confirm.isDisabled(), true);
  await expectAxeCleanBothSchemes(page, 'init-abandon-dialog', context.shot);
  await dialog.getByRole('button', { name: 'Keep' }).click();
  const [open] = await openCeremonies(context);
  assert.equal(open?.kind, 'init');
  const refused = await page.evaluate(async (ceremonyId) => {
    const api = (window as unknown as { custodian: { handoutAbandon(r: object): Promise<{ ok: boolean; error?: { code: string; message: string } }> } }).custodian;
    return api.handoutAbandon({ ceremonyId, confirmation: 'abandon' });
  }, open!.ceremonyId);
  assert.equal(refused.ok, false);
  assert.equal(refused.error?.code, 'HANDOUT_OPEN');
  assert.match(refused.error?.message ?? '', /Holder 4, Holder 5 and Root token holder have not received/);
  assert.equal((await openCeremonies(context)).length, 1, 'the hand-out is still open');
}

/** A holder types their share key by key (the DOM is checked after every keystroke), then submits it. */
async function giveShare(context: SpecContext, holder: number, share: string, options: { show?: boolean } = {}): Promise<void> {
  const { page } = context;
  await typeShareWatched(page, `Unseal share of holder ${holder}`, share, options);
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
  // Shown while typing: grouped in fours; the spaces do not reach the share main sends.
  await giveShare(context, 2, shares[1]!, { show: true });
  await nextHolder(context, 2);

  // Holder 3 gives a wrong share: OpenBao can only tell at the threshold; every node resets, the holders start over.
  const wrong = Buffer.concat([randomBytes(32), Buffer.from([0xf7])]).toString('base64');
  await giveShare(context, 3, wrong);
  // At the threshold OpenBao tries to open the barrier on every node before it answers; on a loaded CI machine
  // that has taken over 30 s, so this one wait is longer (still bounded).
  const rejected = await alertWithCode(page, 'SHARE_REJECTED', 90_000);
  assert.match(rejected, /at least one of the shares given is wrong/);
  await waitForText(progress, /Shares given[\s\S]*0 \/ 3/);
  // The node that refused says so in words, on its own line: its progress bar keeps its width.
  const nodeError = progress.locator('.node-error').first();
  await nodeError.waitFor();
  assert.match(await nodeError.innerText(), /did not open this node: at least one of them is wrong/);
  assert.doesNotMatch(await progress.innerText(), /HTTP \d{3}|cipher|message authentication/);
  const widths = await progress.getByRole('listitem').locator('progress').evaluateAll((bars) => bars.map((bar) => bar.getBoundingClientRect().width));
  assert.equal(widths.length, 3);
  assert.ok(Math.min(...widths) >= 0.95 * Math.max(...widths), `every node's bar has the same width: ${widths.join(', ')}`);
  await expectAxeCleanBothSchemes(page, 'unseal-wrong-share', context.shot);

  // Start over: three holders, right shares. Leaving the screen between two holders keeps the ceremony.
  await page.getByRole('button', { name: 'Dismiss' }).click();
  await giveShare(context, 1, shares[2]!);
  await waitForText(page.getByRole('region', { name: 'Hand over' }), /Share 1 accepted/, 60_000);
  await disrupt(context, 'navigate');
  await waitForText(page.getByRole('heading', { name: /^Holder 2 of 3: your turn/ }), /Holder 2/);
  await waitForText(progress, /Shares given[\s\S]*1 \/ 3/);
  // Reset asks first; "Keep" keeps the share given.
  await page.getByRole('button', { name: 'Reset ceremony (discard shares given so far)' }).click();
  const ask = page.getByRole('alertdialog', { name: 'Reset the unseal ceremony?' });
  assert.match(await ask.innerText(), /discards the 1 share given so far/);
  await expectAxeCleanBothSchemes(page, 'unseal-reset-confirmation', context.shot);
  await ask.getByRole('button', { name: 'Keep' }).click();
  await waitForText(progress, /Shares given[\s\S]*1 \/ 3/);
  await giveShare(context, 2, shares[3]!);
  await nextHolder(context, 2);
  await giveShare(context, 3, shares[4]!);
  await waitForText(page.getByRole('status').filter({ hasText: 'Cluster unsealed' }), /Every reachable node is unsealed/, 120_000);
  const nodes = page.getByLabel('Progress per node').getByRole('listitem');
  assert.equal(await nodes.count(), 3);
  for (let i = 0; i < 3; i++) assert.match(await nodes.nth(i).innerText(), /unsealed/i);
}
