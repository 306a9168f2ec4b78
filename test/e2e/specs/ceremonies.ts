/**
 * The nonce-based ceremonies through their wizards, against the unsealed OpenBao cluster: generate-root (every
 * holder confirms the ceremony fingerprint; a ceremony cancelled behind the app's back is refused; the token
 * works) and rekey 5/3 -> 3/2 with verification by holders of the new shares.
 */
import assert from 'node:assert/strict';
import { alertWithCode, goTo, waitForText, type SpecContext } from './helpers.js';
import { expectAxeCleanBothSchemes } from './accessibility.js';
import { disrupt, DISRUPTIONS, shownSecret } from './survival.js';
import { openCeremonies } from './vault.js';

export type VaultCall = (method: string, path: string, token?: string) => Promise<{ status: number; body: Record<string, unknown> }>;

async function openTab(context: SpecContext, tab: 'Rekey' | 'Generate root'): Promise<void> {
  await goTo(context.page, 'Vault');
  await context.page.getByRole('group', { name: 'Ceremony' }).getByRole('button', { name: tab, exact: true }).click();
}

/** One holder: check the fingerprint box, continue, type the share, submit. */
async function holderTurn(context: SpecContext, label: string, share: string, fingerprint: string): Promise<void> {
  const { page } = context;
  await page.getByTestId('ceremony-fingerprint').waitFor({ timeout: 60_000 });
  assert.equal((await page.getByTestId('ceremony-fingerprint').innerText()).trim(), fingerprint, 'the same fingerprint for every holder');
  const proceed = page.getByRole('button', { name: 'Continue to my share' });
  assert.equal(await proceed.isDisabled(), true, 'no share before the fingerprint is confirmed');
  await page.getByRole('checkbox', { name: /matches the one the ceremony lead announced/ }).check();
  await proceed.click();
  await page.getByLabel(label).fill(share);
  await page.getByRole('button', { name: 'Submit share' }).click();
}

async function handOver(context: SpecContext): Promise<void> {
  const handover = context.page.getByRole('region', { name: 'Hand over' });
  await handover.waitFor({ timeout: 60_000 });
  await handover.getByRole('button', { name: 'Next holder is ready' }).click();
}

export async function generateRootSpec(context: SpecContext, shares: string[], vault: VaultCall): Promise<string> {
  const { page } = context;
  await openTab(context, 'Generate root');
  await page.getByRole('button', { name: 'Start generate-root' }).click();
  const fingerprint = (await page.getByTestId('ceremony-fingerprint').innerText({ timeout: 60_000 })).trim();
  assert.match(fingerprint, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);

  await holderTurn(context, 'Unseal share of holder 1', shares[0]!, fingerprint);
  await handOver(context);
  // Someone cancels the attempt on the server between two holders: the next share is not sent.
  assert.equal((await vault('DELETE', '/v1/sys/generate-root/attempt')).status, 204);
  await holderTurn(context, 'Unseal share of holder 2', shares[1]!, fingerprint);
  const changed = await alertWithCode(page, 'CEREMONY_CHANGED');
  assert.match(changed, /No share was sent/);

  // Start again: three holders, then the token is handed out once.
  await page.getByRole('button', { name: 'Dismiss' }).click();
  // Cancelling asks first; "Keep" keeps the ceremony.
  await page.getByRole('button', { name: 'Cancel ceremony' }).click();
  const ask = page.getByRole('alertdialog', { name: 'Cancel the generate-root ceremony?' });
  assert.match(await ask.innerText(), /cancelled on the server/);
  await expectAxeCleanBothSchemes(page, 'cancel-ceremony-confirmation', context.shot);
  await ask.getByRole('button', { name: 'Keep' }).click();
  assert.equal((await openCeremonies(context))[0]?.kind, 'generate-root', 'kept');
  await page.getByRole('button', { name: 'Cancel ceremony' }).click();
  await page.getByRole('button', { name: 'Yes, cancel the ceremony' }).click();
  await page.getByRole('button', { name: 'Start generate-root' }).waitFor();
  assert.deepEqual(await openCeremonies(context), []);
  await openTab(context, 'Rekey');
  await openTab(context, 'Generate root');
  await page.getByRole('button', { name: 'Start generate-root' }).click();
  const second = (await page.getByTestId('ceremony-fingerprint').innerText({ timeout: 60_000 })).trim();
  assert.notEqual(second, fingerprint, 'a new attempt has a new fingerprint');
  for (let holder = 1; holder <= 3; holder++) {
    await holderTurn(context, `Unseal share of holder ${holder}`, shares[holder - 1]!, second);
    if (holder < 3) await handOver(context);
  }
  await page.getByRole('button', { name: 'Reveal for Root token holder' }).click({ timeout: 60_000 });
  const token = await shownSecret(page, 'Root token holder');
  await page.getByRole('button', { name: /I have recorded it: finish/ }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'Root token handed over' }), /Revoke it/);
  // The token is real: OpenBao accepts it.
  const lookup = await vault('GET', '/v1/auth/token/lookup-self', token);
  assert.equal(lookup.status, 200);
  assert.deepEqual((lookup.body['data'] as { policies?: string[] }).policies, ['root']);
  return token;
}

/**
 * Rekey 5/3 -> 3/2 with verification. The new shares go out from main one holder at a time (a reload in the
 * middle of the hand-out gives the same holder the same share); then, in the verification, every disruption
 * (navigation, Alt+number, lock, reload, a closed and reopened window) leaves the ceremony where it was: same
 * fingerprint, same holder, and the rekey completes.
 */
export async function rekeySpec(context: SpecContext, shares: string[], vault: VaultCall): Promise<string[]> {
  const page = (): SpecContext['page'] => context.page;
  await openTab(context, 'Rekey');
  await page().getByLabel('New number of shares').fill('3');
  await page().getByLabel('New threshold').fill('2');
  await page().getByRole('button', { name: 'Start rekey' }).click();
  const fingerprint = (await page().getByTestId('ceremony-fingerprint').innerText({ timeout: 60_000 })).trim();
  for (let holder = 1; holder <= 3; holder++) {
    await holderTurn(context, `Unseal share of holder ${holder}`, shares[holder - 1]!, fingerprint);
    if (holder < 3) await handOver(context);
  }
  // The new shares, one holder at a time, from main.
  const fresh: string[] = [];
  for (let holder = 1; holder <= 3; holder++) {
    await page().getByRole('button', { name: `Reveal for Holder ${holder}` }).click({ timeout: 60_000 });
    let secret = await shownSecret(page(), `Holder ${holder}`);
    if (holder === 2) {
      await disrupt(context, 'reload');
      await page().getByRole('button', { name: `Reveal for Holder ${holder}` }).click({ timeout: 60_000 });
      assert.equal(await shownSecret(page(), `Holder ${holder}`), secret, 'the same new share for the same holder after a reload');
      secret = await shownSecret(page(), `Holder ${holder}`);
    }
    fresh.push(secret);
    await page().getByRole('button', { name: /I have recorded it/ }).click();
  }
  assert.equal(new Set(fresh).size, 3);
  // Verification: two holders of the NEW shares prove them, under a new fingerprint.
  await page().getByText('Verification: holders of the new shares').waitFor();
  const verify = (await page().getByTestId('ceremony-fingerprint').innerText()).trim();
  assert.notEqual(verify, fingerprint);
  await holderTurn(context, 'New unseal share of holder 1', fresh[0]!, verify);
  await handOver(context);
  for (const how of DISRUPTIONS) {
    await disrupt(context, how);
    // Back on the Vault screen, the Rekey tab re-attached: same fingerprint, same holder, 1 of 2 given.
    await page().getByText('Verification: holders of the new shares').waitFor({ timeout: 30_000 });
    assert.equal((await page().getByTestId('ceremony-fingerprint').innerText()).trim(), verify, `same fingerprint after ${how}`);
    await waitForText(page().getByRole('heading', { name: /New-share holder 2: check the fingerprint/ }), /New-share holder 2/);
    const [open] = await openCeremonies(context);
    assert.deepEqual([open?.kind, open?.stage], ['rekey', 'verify'], `still open in main after ${how}`);
  }
  await expectAxeCleanBothSchemes(page(), 'rekey-verification-resumed', context.shot);
  await holderTurn(context, 'New unseal share of holder 2', fresh[1]!, verify);
  await waitForText(page().getByRole('status').filter({ hasText: 'Rekey complete' }), /new shares are in force/, 60_000);
  const seal = await vault('GET', '/v1/sys/seal-status');
  assert.deepEqual([seal.body['n'], seal.body['t']], [3, 2]);
  assert.deepEqual(await openCeremonies(context), []);
  return fresh;
}
