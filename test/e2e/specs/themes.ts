/**
 * Both colour schemes, screen by screen: each view is opened in a window whose OS scheme is light and in one whose
 * scheme is dark (Playwright's colorScheme, i.e. prefers-color-scheme), checked with axe (colour contrast
 * included), its focus rings measured, and screenshotted as test-results/screenshots/<view>-<scheme>.png.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { expectAxeClean, focusRingSpec, unlockWith } from './accessibility.js';
import { fernetForm } from './fernet.js';
import { alertWithCode, E2E_UNLOCK_PASSPHRASE, goTo, type SpecContext } from './helpers.js';

export type Scheme = 'light' | 'dark';

/** One thing the window can show, and how to get there from any screen. */
export interface View {
  name: string;
  open(page: Page): Promise<void>;
  /** Leaves the view when the next one cannot be reached from it (the lock screen). */
  close?(page: Page): Promise<void>;
  /** Fewest Tab stops the view has (default 7: the navigation and one control of its own). */
  focusStops?: number;
}

/** Opens each view in each window, then runs axe and takes the screenshot. Returns the number of views checked. */
export async function themedViews(windows: Record<Scheme, SpecContext>, views: View[]): Promise<number> {
  for (const view of views) {
    for (const scheme of ['light', 'dark'] as const) {
      const { page, shot } = windows[scheme];
      await view.open(page);
      // Let the fetches the view started settle, so the screenshot and axe see the finished screen.
      await page.waitForFunction(() => !document.querySelector('[role="status"] progress'), undefined, { timeout: 60_000 });
      await expectAxeClean(page, `${view.name}-${scheme}`);
      await shot(`${view.name}-${scheme}`);
      // Dialogs and notices have surfaces of their own: the focus ring is measured on each view too.
      await focusRingSpec(page, `${view.name}-${scheme}`, { minStops: view.focusStops ?? 7 });
      await view.close?.(page);
    }
  }
  return views.length;
}

/** The colours each window paints: the page background, the text, and a card's surface. */
export async function paintedColours(page: Page): Promise<{ background: string; text: string; card: string; scheme: string }> {
  return page.evaluate(() => {
    const root = getComputedStyle(document.documentElement);
    const card = document.querySelector('.card');
    return {
      background: root.backgroundColor,
      text: root.color,
      card: card ? getComputedStyle(card).backgroundColor : '',
      scheme: matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light',
    };
  });
}

/** Relative luminance of a computed rgb() colour (0 black, 1 white). */
export function luminanceOf(colour: string): number {
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(colour);
  assert.ok(m, `not an rgb() colour: ${colour}`);
  const [r, g, b] = [m[1], m[2], m[3]].map((v) => { const s = Number(v) / 255; return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** The same screen differs between the schemes: dark background with light text, and the other way round. */
export async function schemesDifferSpec(windows: Record<Scheme, SpecContext>): Promise<void> {
  const painted: Record<string, Awaited<ReturnType<typeof paintedColours>>> = {};
  for (const scheme of ['light', 'dark'] as const) {
    await goTo(windows[scheme].page, 'Keys');
    painted[scheme] = await paintedColours(windows[scheme].page);
    assert.equal(painted[scheme]!.scheme, scheme, `the ${scheme} window sees prefers-color-scheme: ${scheme}`);
  }
  const light = painted['light']!;
  const dark = painted['dark']!;
  assert.notEqual(light.background, dark.background, 'the page background differs between the schemes');
  assert.notEqual(light.card, dark.card, 'the card surface differs between the schemes');
  assert.ok(luminanceOf(light.background) > 0.8, `light background is light: ${light.background}`);
  assert.ok(luminanceOf(dark.background) < 0.05, `dark background is dark: ${dark.background}`);
  assert.ok(luminanceOf(dark.text) > luminanceOf(dark.background), 'light text on the dark background');
  assert.ok(luminanceOf(light.text) < luminanceOf(light.background), 'dark text on the light background');
}

/** The views reachable without a Vault cluster (keys, servers with a pinned receiver, settings, the lock screen). */
export function viewsWithoutCluster(keyName: string, receiverUrl: string): View[] {
  return [
    { name: 'dashboard', open: (page) => goTo(page, 'Dashboard') },
    { name: 'keys', open: (page) => goTo(page, 'Keys') },
    {
      name: 'keys-import-error',
      open: async (page) => {
        await goTo(page, 'Keys');
        await page.getByLabel('Imported key name').fill('not-a-key');
        await page.getByLabel('Fernet key').fill('this-is-not-a-fernet-key');
        await page.getByRole('button', { name: 'Import key' }).click();
        await alertWithCode(page, 'INVALID_KEY');
      },
    },
    {
      name: 'keys-export',
      open: async (page) => {
        await goTo(page, 'Keys');
        await page.getByRole('button', { name: `Export ${keyName}` }).click();
        const dialog = page.getByRole('group', { name: `Export ${keyName}` });
        await dialog.getByLabel(`Type "${keyName}" to confirm`).fill('not-the-name');
        // The buttons stay disabled until the name matches (their disabled look is part of the screenshot).
        if (!(await dialog.getByRole('button', { name: 'Reveal key once' }).isDisabled())) throw new Error('Reveal enabled before the name matches');
      },
    },
    {
      name: 'keys-delete',
      open: async (page) => {
        await goTo(page, 'Keys');
        await page.getByRole('button', { name: `Delete ${keyName}` }).click();
        await page.getByRole('group', { name: `Delete ${keyName}` }).waitFor();
      },
    },
    {
      name: 'keys-fernet-decrypt',
      open: async (page) => {
        // The Keys screen's file section, decrypt form, with a field error and its alert (no dialog, no presence).
        const form = await fernetForm(page, 'Decrypt');
        await form.getByLabel('Maximum token age in seconds (optional)').fill('0');
        await form.getByRole('button', { name: 'Choose a token file and decrypt…' }).click();
        await alertWithCode(form, 'INVALID_INPUT');
      },
    },
    { name: 'vault-no-cluster', open: (page) => goTo(page, 'Vault') },
    { name: 'servers', open: (page) => goTo(page, 'Servers') },
    {
      name: 'servers-identity',
      open: async (page) => {
        await goTo(page, 'Servers');
        await page.getByRole('button', { name: 'Show identity entry' }).click();
        await page.getByLabel('Authorized-custodians entry').waitFor();
      },
    },
    {
      name: 'servers-add-fingerprint',
      open: async (page) => {
        await goTo(page, 'Servers');
        await page.getByLabel('Server name').fill('app-2');
        await page.getByLabel('Receiver URL').fill(receiverUrl);
        await page.getByRole('button', { name: 'Fetch server identity' }).click();
        await page.getByTestId('server-identity').waitFor({ timeout: 30_000 });
        // The mismatch warning is the alert an officer must not miss: it is checked too.
        await page.getByLabel('Fingerprint from the deploy output (optional)').fill('ed25519:not-the-same');
        await page.getByRole('alert').filter({ hasText: 'The fingerprints differ' }).waitFor();
      },
    },
    {
      name: 'servers-push-result',
      open: async (page) => {
        await goTo(page, 'Servers');
        const form = page.locator('form', { has: page.getByRole('heading', { name: 'Push a key' }) });
        const box = form.getByRole('checkbox').first();
        if (!(await box.isChecked())) await box.check();
        await form.getByRole('button', { name: 'Push key' }).click();
        await page.getByRole('list', { name: 'Push results' }).waitFor({ timeout: 60_000 });
      },
    },
    {
      name: 'servers-remove-confirm',
      open: async (page) => {
        await goTo(page, 'Servers');
        await page.getByRole('table', { name: 'Servers' }).getByRole('button', { name: /^Remove / }).first().click();
        await page.getByRole('alertdialog').waitFor();
      },
      close: (page) => page.getByRole('alertdialog').getByRole('button', { name: 'Keep' }).click(),
    },
    { name: 'settings', open: (page) => goTo(page, 'Settings') },
    // Backup screen: each task's first step (no share is shown in any of them).
    ...(['Paper shares', 'Restore', 'Drill', 'Encrypted files', 'Custodian state'] as const).map((tab) => ({
      name: `backup-${tab.toLowerCase().replace(/ /g, '-')}`,
      open: async (page: Page) => {
        await goTo(page, 'Backup');
        await page.getByRole('group', { name: 'Backup task' }).getByRole('button', { name: tab, exact: true }).click();
      },
    })),
    {
      name: 'settings-error',
      open: async (page) => {
        await goTo(page, 'Settings');
        await page.getByLabel('Lock after idle (minutes)').fill('0');
        await page.getByRole('button', { name: 'Save settings' }).click();
        await alertWithCode(page, 'INVALID_INPUT');
      },
    },
    {
      name: 'lock',
      open: async (page) => {
        await page.getByRole('button', { name: 'Lock now' }).click();
        await page.getByRole('heading', { name: 'Key Custodian is locked' }).waitFor();
      },
      close: resume,
      focusStops: 1,
    },
  ];
}

/** Leaves the lock screen. */
export async function resume(page: Page): Promise<void> {
  await unlockWith(page, E2E_UNLOCK_PASSPHRASE);
  // The lock screen has a heading too: wait for it to go (the scrypt check takes a while on a loaded machine),
  // or the next screen mounts while main still refuses everything but the lock screen's actions.
  await page.getByRole('heading', { name: 'Key Custodian is locked' }).waitFor({ state: 'detached', timeout: 60_000 });
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}

/** The Vault screen's views on a real, uninitialised cluster: status, and each ceremony's first step. */
export function viewsWithCluster(profile: string): View[] {
  const openTab = async (page: Page, tab: string): Promise<void> => {
    await goTo(page, 'Vault');
    await page.getByRole('group', { name: 'Ceremony' }).getByRole('button', { name: tab, exact: true }).click();
  };
  return [
    {
      name: 'vault-uninitialised',
      open: async (page) => {
        await goTo(page, 'Vault');
        await page.getByLabel('Saved cluster profile').selectOption(profile);
        await page.getByRole('button', { name: 'Save cluster' }).click();
        await page.getByRole('table', { name: 'Vault nodes' }).getByText(/uninitialized/i).first().waitFor({ timeout: 60_000 });
      },
    },
    { name: 'vault-init', open: (page) => openTab(page, 'Initialise') },
    {
      name: 'vault-init-pgp',
      open: async (page) => {
        await openTab(page, 'Initialise');
        await page.getByRole('checkbox', { name: "Encrypt each share to its holder's PGP public key" }).check();
        await page.getByLabel('PGP public key of holder 1').waitFor();
        await page.getByRole('checkbox', { name: 'Encrypt the root token to a PGP public key' }).check();
        await page.getByLabel('PGP public key for the root token').waitFor();
      },
    },
    { name: 'vault-rekey', open: (page) => openTab(page, 'Rekey') },
    {
      name: 'vault-rekey-error',
      open: async (page) => {
        await openTab(page, 'Rekey');
        await page.getByRole('button', { name: 'Start rekey' }).click();
        await page.locator('[role="alert"]').first().waitFor({ timeout: 60_000 });
      },
    },
    { name: 'vault-generate-root', open: (page) => openTab(page, 'Generate root') },
    { name: 'vault-unseal', open: (page) => openTab(page, 'Unseal') },
    {
      name: 'vault-profile-error',
      open: async (page) => {
        await goTo(page, 'Vault');
        const form = page.getByRole('form', { name: 'Save a profile' });
        await form.getByLabel('Profile name').fill('a11y');
        await form.getByLabel('Profile node addresses').fill('https://127.0.0.1:1');
        await form.getByLabel('Client certificate file').fill('/etc/hosts');
        await form.getByRole('button', { name: 'Save profile' }).click();
        await alertWithCode(form, 'INVALID_INPUT');
      },
    },
    {
      name: 'vault-seal-confirm',
      open: async (page) => {
        await goTo(page, 'Vault');
        const card = page.getByRole('region', { name: 'Seal and step-down' });
        await card.getByLabel('Vault token').fill('not-a-token');
        await card.getByRole('button', { name: 'Seal…' }).click();
        await page.getByRole('alertdialog', { name: 'Seal the cluster?' }).waitFor();
      },
      close: (page) => page.getByRole('alertdialog', { name: 'Seal the cluster?' }).getByRole('button', { name: 'Keep' }).click(),
    },
    { name: 'dashboard-uninitialised', open: (page) => goTo(page, 'Dashboard') },
  ];
}
