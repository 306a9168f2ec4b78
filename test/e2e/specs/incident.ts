/**
 * Servers screen, incident response (issue 10 §2) as an officer uses it: lock one server or all of them, rotate
 * the custodian identity, send pending statements again, revoke another custodian, and accept a server's new
 * identity. Each destructive step goes through its confirmation and, where main asks, presence.
 */
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { afterPresence, confirmPresence, goTo, waitForText, type SpecContext } from './helpers.js';

const serverRow = (page: Page, name: string): Locator => page.getByRole('table', { name: 'Servers' }).getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });

/** Opens the identity section (it creates the identity on first use, as `custodian identity show` does). */
export async function openIdentity({ page }: SpecContext): Promise<Locator> {
  await goTo(page, 'Servers');
  const section = page.getByRole('region', { name: 'This custodian\'s identity' });
  const show = section.getByRole('button', { name: 'Show identity entry' });
  if (await show.count() > 0) await show.click();
  await section.getByTestId('custodian-fingerprint').waitFor();
  return section;
}

/** "Lock NAME": the confirmation names the server; the result is the receipt's outcome. `askedFirst`: presence must be asked. */
export async function lockOneSpec(context: SpecContext, name: string, askedFirst = false): Promise<string> {
  const { page } = context;
  await goTo(page, 'Servers');
  await serverRow(page, name).getByRole('button', { name: `Lock ${name}` }).click();
  const dialog = page.getByRole('alertdialog', { name: `Lock ${name}?` });
  await waitForText(dialog, /wipes its keys at once/);
  await dialog.getByRole('button', { name: `Lock ${name}` }).click();
  const results = page.getByRole('list', { name: 'Lock results' });
  if (askedFirst) assert.equal(await confirmPresence(context, 30_000), true, '"Confirm it is you" before the lock');
  await afterPresence(page, results, context.passphrase);
  return waitForText(results, new RegExp(`${name}: locked \\(was (un)?locked; boot \\S+ ended; lock receipt at \\d{4}-`), 30_000);
}

/** "Lock all": the confirmation lists every server by name; one result line per server. */
export async function lockAllSpec(context: SpecContext, names: string[]): Promise<string> {
  const { page } = context;
  await goTo(page, 'Servers');
  await page.getByRole('button', { name: 'Lock all', exact: true }).click();
  const dialog = page.getByRole('alertdialog', { name: `Lock every pinned server (${names.length})?` });
  const text = await waitForText(dialog, /These servers will be locked: /);
  for (const name of names) assert.ok(text.includes(name), `the confirmation names ${name}: ${text}`);
  await dialog.getByRole('button', { name: `Lock all ${names.length}` }).click();
  const results = page.getByRole('list', { name: 'Lock results' });
  await afterPresence(page, results, context.passphrase);
  for (const name of names) await waitForText(results, new RegExp(`${name}: locked`), 30_000);
  return results.innerText();
}

export async function rotateSpec(context: SpecContext, label: string): Promise<{ line: string; result: string }> {
  const { page } = context;
  const section = await openIdentity(context);
  const form = section.getByRole('form', { name: 'Rotate identity' });
  await form.getByLabel('Label for the new identity').fill(label);
  await form.getByRole('button', { name: 'Rotate identity' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Replace this custodian identity?' });
  await dialog.getByRole('button', { name: 'Rotate identity' }).click();
  const result = form.getByRole('status', { name: 'Rotation result' });
  await afterPresence(page, result, context.passphrase);
  const line = (await result.getByTestId('rotated-line').innerText()).trim();
  return { line, result: await result.innerText() };
}

/** The pending statements list, then "Send again". */
export async function sendAgainSpec({ page }: SpecContext, server: string): Promise<{ before: string; after: string }> {
  const section = page.getByRole('region', { name: 'This custodian\'s identity' });
  const pending = section.getByRole('list', { name: 'Statements not acknowledged by every server' });
  const before = await waitForText(pending, new RegExp(`${server}: not acknowledged \\(SERVER_UNREACHABLE\\); it is sent again before the next push or lock\\.`));
  await section.getByRole('button', { name: 'Send again' }).click();
  const after = await waitForText(section.getByRole('list', { name: 'Sent again' }), new RegExp(`${server}: applied`), 30_000);
  await section.getByText('Every pinned server has acknowledged every hand-over and revocation.').waitFor();
  return { before, after };
}

export async function revokeSpec(context: SpecContext, fingerprint: string): Promise<string> {
  const { page } = context;
  const section = await openIdentity(context);
  const form = section.getByRole('form', { name: 'Revoke a custodian' });
  const field = form.getByLabel('Fingerprint of the custodian to revoke');
  await field.fill(fingerprint.slice(0, 20));
  assert.equal(await form.getByRole('button', { name: 'Revoke custodian' }).isDisabled(), true, 'a partial fingerprint cannot be revoked');
  await field.fill(fingerprint);
  await form.getByRole('button', { name: 'Revoke custodian' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Revoke this custodian?' });
  const phrase = `revoke ${fingerprint.slice(-8)}`;
  const confirm = dialog.getByRole('button', { name: 'Revoke custodian' });
  assert.equal(await confirm.isDisabled(), true, 'not before the phrase is typed');
  await dialog.getByLabel(`Type ${phrase} to confirm`).fill(phrase);
  await confirm.click();
  const result = form.getByRole('status', { name: 'Revocation result' });
  await afterPresence(page, result, context.passphrase);
  return waitForText(result, new RegExp(`Revocation of ${fingerprint} signed`));
}

/** "Accept new identity" on a server that shows IDENTITY_MISMATCH; returns the result, or the refusal's text. */
export async function acceptIdentitySpec(context: SpecContext, name: string, pinned: string): Promise<{ ok: boolean; text: string }> {
  const { page } = context;
  await goTo(page, 'Servers');
  await page.getByRole('button', { name: 'Refresh status' }).click();
  const row = serverRow(page, name);
  await waitForText(row, /another identity than the one pinned/, 30_000);
  await row.getByRole('button', { name: `Accept new identity of ${name}` }).click();
  const dialog = page.getByRole('alertdialog', { name: `Accept a new identity for ${name}?` });
  const shown = await waitForText(dialog, /Pinned identity:/);
  assert.ok(shown.includes(pinned), 'the dialog shows the pinned fingerprint');
  await dialog.getByRole('button', { name: 'Check the proof and accept' }).click();
  const done = page.getByRole('status', { name: 'Identity accepted' });
  const failed = page.locator('[role="alert"][data-code="IDENTITY_MISMATCH"]').filter({ hasText: 'the pin' });
  await afterPresence(page, done.or(failed), context.passphrase);
  if (await done.count() > 0) return { ok: true, text: await done.innerText() };
  return { ok: false, text: await failed.first().innerText() };
}
