/**
 * What used to destroy a ceremony held in a window, done in the middle of one: leaving the Vault screen, Alt+number,
 * "Lock now" and resume, a page reload, closing the page and opening a new one. Each comes back to the Vault
 * screen, which re-attaches to the ceremony main still holds. And the check that a typed share never reaches
 * the DOM tree, made after every keystroke.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { unlockWith } from './accessibility.js';
import { afterPresence, E2E_UNLOCK_PASSPHRASE, goTo, type SpecContext } from './helpers.js';

export type Disruption = 'navigate' | 'alt-number' | 'lock' | 'reload' | 'reopen';
export const DISRUPTIONS: Disruption[] = ['navigate', 'alt-number', 'lock', 'reload', 'reopen'];

/** Does one disruption, then comes back to the Vault screen. */
export async function disrupt(context: SpecContext, how: Disruption): Promise<void> {
  const { page } = context;
  switch (how) {
    case 'navigate':
      await goTo(page, 'Keys');
      await goTo(page, 'Vault');
      return;
    case 'alt-number':
      await page.keyboard.press('Alt+1');
      await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
      await page.keyboard.press('Alt+3');
      await page.getByRole('heading', { level: 1, name: 'Vault' }).waitFor();
      return;
    case 'lock':
      await page.getByRole('button', { name: 'Lock now' }).click();
      await page.getByRole('heading', { name: 'Key Custodian is locked' }).waitFor();
      assert.equal(await page.getByRole('region', { name: /^Secret for / }).count(), 0, 'nothing secret on the lock screen');
      await resumeAfterLock(page);
      await page.getByRole('heading', { level: 1, name: 'Vault' }).waitFor();
      return;
    case 'reload':
      await page.reload();
      await goTo(page, 'Vault');
      return;
    case 'reopen': {
      // Without a second window (Electron runner), a reload is the closest the runner can do.
      const fresh = context.reopen ? await context.reopen() : (await page.reload(), page);
      await goTo(fresh, 'Vault');
      return;
    }
  }
}

/** The lock screen's way back in. */
export async function resumeAfterLock(page: Page, passphrase = E2E_UNLOCK_PASSPHRASE): Promise<void> {
  await unlockWith(page, passphrase);
  await page.getByRole('heading', { name: 'Key Custodian is locked' }).waitFor({ state: 'detached', timeout: 60_000 });
}

/** "AbCdEfGh" -> "AbCd EfGh", as the app shows shares. */
export function grouped(text: string): string {
  return text.replace(/(.{4})(?=.)/g, '$1 ');
}

/** The secret shown for a holder in a hand-out, without the spaces between its groups. */
export async function shownSecret(page: Page, label: string, passphrase?: string): Promise<string> {
  const region = page.getByRole('region', { name: `Secret for ${label}` });
  await afterPresence(page, region, passphrase);
  return (await region.locator('code').innerText()).replace(/\s+/g, '');
}

/**
 * Types a share key by key into the field labelled `label` and, after EVERY keystroke, checks that what was typed
 * so far is nowhere in the DOM tree (document.documentElement.outerHTML, the page's text) nor in any attribute of
 * any input, that no other field holds it, and that the share field never gets a `value` attribute. With `show`,
 * the field is revealed first and must show the share in groups of four.
 */
export async function typeShareWatched(page: Page, label: string, share: string, options: { show?: boolean } = {}): Promise<void> {
  const input = page.getByLabel(label, { exact: true });
  if (options.show) await page.getByRole('button', { name: `Show ${label}`, exact: true }).click();
  await input.focus();
  for (let i = 0; i < share.length; i++) {
    await page.keyboard.type(share[i]!);
    const problems = await page.evaluate(({ typed, label }) => {
      const forms = [typed, typed.replace(/(.{4})(?=.)/g, '$1 ')];
      // Six characters of base64 or hex do not appear in the page by chance; a shorter prefix could.
      const long = typed.length >= 6;
      const found: string[] = [];
      if (long && forms.some((f) => document.documentElement.outerHTML.includes(f))) found.push('document.documentElement.outerHTML');
      if (long && forms.some((f) => document.body.innerText.includes(f))) found.push('the page text');
      for (const element of Array.from(document.querySelectorAll('input, textarea'))) {
        const field = element as HTMLInputElement | HTMLTextAreaElement;
        const isShareField = Array.from(field.labels ?? []).some((l) => l.textContent === label);
        if (isShareField && field.getAttribute('value') !== null) found.push('a value attribute on the share field');
        for (const attribute of Array.from(field.attributes)) {
          if (long && forms.some((f) => attribute.value.includes(f))) found.push(`attribute ${attribute.name} of #${field.id}`);
        }
        if (!isShareField && long && forms.some((f) => field.value.includes(f))) found.push(`the value of another field (#${field.id})`);
      }
      return found;
    }, { typed: share.slice(0, i + 1), label });
    assert.deepEqual(problems, [], `after keystroke ${i + 1} of the share, the typed text was found in: ${problems.join(', ')}`);
  }
  // The field itself holds what was typed (in its value property only), grouped when shown.
  assert.equal(await input.inputValue(), options.show ? grouped(share) : share);
  assert.equal(await input.getAttribute('type'), options.show ? 'text' : 'password');
}
