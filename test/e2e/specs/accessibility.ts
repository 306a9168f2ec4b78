/** Keyboard use and accessible names, on every screen of the running app. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { AXE_RESULTS, blocking, runAxe, type AxeRun } from '../support/axe.js';
import { afterPresence, alertWithCode, confirmPresence, goTo, type SpecContext } from './helpers.js';

const SCREENS = ['Dashboard', 'Keys', 'Vault', 'Servers', 'Settings', 'Backup'] as const;

/** Controls without an accessible name (label, aria-label/labelledby, or text), described for the failure message. */
async function unnamedControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    for (const element of Array.from(document.querySelectorAll('button, input, select, textarea, progress, [role="button"]'))) {
      const html = element as HTMLElement & { labels?: NodeListOf<HTMLLabelElement> | null };
      const named = (html.labels && html.labels.length > 0)
        || Boolean(html.getAttribute('aria-label'))
        || Boolean(html.getAttribute('aria-labelledby'))
        || ((element.tagName === 'BUTTON' || html.getAttribute('role') === 'button') && (html.textContent ?? '').trim() !== '')
        || (element.tagName === 'INPUT' && (element as HTMLInputElement).type === 'checkbox' && html.closest('label') !== null);
      if (!named) problems.push(element.outerHTML.slice(0, 120));
    }
    return problems;
  });
}

export async function accessibilitySpec(context: SpecContext): Promise<void> {
  const { page } = context;
  for (const screen of SCREENS) {
    await goTo(page, screen);
    assert.deepEqual(await unnamedControls(page), [], `controls without an accessible name on ${screen}`);
    await expectAxeClean(page, `session-${screen.toLowerCase()}`);
  }
  // Keyboard only: Alt+1..6 switch screens; a form is filled and submitted with the keyboard alone.
  for (const [index, screen] of SCREENS.entries()) {
    await page.keyboard.press(`Alt+${index + 1}`);
    await page.getByRole('heading', { level: 1, name: screen }).waitFor();
  }
  await page.keyboard.press('Alt+2');
  await page.getByLabel('Key name', { exact: true }).focus();
  await page.keyboard.type('typed-with-keyboard');
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: 'Generated "typed-with-keyboard"' }).waitFor();
  // Tab reaches the key's actions in order, each focusable (once the list has been re-read).
  const copy = page.getByRole('button', { name: 'Copy key id of typed-with-keyboard' });
  await copy.waitFor();
  await page.waitForFunction(() => !document.querySelector('[role="status"] progress'));
  await copy.focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Export typed-with-keyboard');
}

/** "Lock now" (the same path the idle timer takes) drops what the window showed; resuming needs the passphrase. */
export async function lockSpec(context: SpecContext, keyName: string): Promise<void> {
  const { page } = context;
  await goTo(page, 'Keys');
  await page.getByRole('button', { name: `Export ${keyName}` }).click();
  const dialog = page.getByRole('group', { name: `Export ${keyName}` });
  await dialog.getByLabel(`Type "${keyName}" to confirm`).fill(keyName);
  await dialog.getByRole('button', { name: 'Reveal key once' }).click();
  await confirmPresence(context);
  await dialog.getByRole('region', { name: 'Revealed key' }).waitFor();
  await page.getByRole('button', { name: 'Lock now' }).click();
  await page.getByRole('heading', { name: 'Key Custodian is locked' }).waitFor();
  assert.equal(await page.getByRole('region', { name: 'Revealed key' }).count(), 0, 'the revealed key is gone');
  // The word that used to unlock it does nothing now.
  await unlockWith(page, 'resume');
  await alertWithCode(page.locator('.lock'), 'PRESENCE_REQUIRED');
  assert.equal(await page.getByRole('heading', { name: 'Key Custodian is locked' }).count(), 1);
  await unlockWith(page, context.passphrase);
  // Back on the same screen, freshly mounted: the export dialog is closed and the key is not shown.
  await page.getByRole('heading', { level: 1, name: 'Keys' }).waitFor();
  assert.equal(await page.getByRole('group', { name: `Export ${keyName}` }).count(), 0);
  assert.equal(await page.getByRole('region', { name: 'Revealed key' }).count(), 0, 'nothing comes back after resuming');
}

// ---------------------------------------------------------------------------------------------------------------
// axe-core on what the window shows now.

/** Rules that must have run on any screen of the app: if one is missing, axe saw an empty or broken page. */
const CORE_RULES = ['color-contrast', 'document-title', 'html-has-lang', 'landmark-one-main', 'page-has-heading-one', 'region'];
/** Every screen has the navigation, a heading and a form or a list: fewer elements examined means axe saw too little. */
const MIN_NODES = 40;

/** Runs axe, records it (test-results/accessibility/<name>.json) and fails on any serious or critical violation. */
export async function expectAxeClean(page: Page, name: string): Promise<AxeRun> {
  const run = await runAxe(page, name);
  const serious = blocking(run);
  assert.deepEqual(serious.map((v) => `${v.impact} ${v.rule}: ${v.help} at ${v.targets.join(', ')} (${v.summary})`), [],
    `axe found serious or critical violations on ${name}`);
  assert.ok(run.nodesChecked >= MIN_NODES, `axe examined only ${run.nodesChecked} elements on ${name}`);
  for (const rule of CORE_RULES) assert.ok(run.rulesChecked.includes(rule), `axe did not run ${rule} on ${name} (ran: ${run.rulesChecked.join(' ')})`);
  assert.ok(run.contrastNodesPassed > 0, `no text passed the contrast check on ${name}`);
  return run;
}

/**
 * Runs expectAxeClean in the page's own scheme and in the other one (emulated), back to its own scheme after;
 * with `focusRing`, also tabs round the step and checks every focus ring (focus then ends up elsewhere: the
 * caller moves on with tabTo).
 */
export async function expectAxeCleanBothSchemes(page: Page, name: string, shot?: (name: string) => Promise<string>, options: { focusRing?: boolean } = {}): Promise<void> {
  const own = await page.evaluate(() => (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  try {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await expectAxeClean(page, `${name}-${scheme}`);
      if (shot) await shot(`${name}-${scheme}`);
      if (options.focusRing) await focusRingSpec(page, `${name}-${scheme}`);
    }
  } finally {
    await page.emulateMedia({ colorScheme: own });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Keyboard: moving focus with Tab / Shift+Tab only, and the focus ring's contrast.

/** True when `target` is the focused element. */
async function focused(target: Locator): Promise<boolean> {
  return target.evaluate((element) => element === document.activeElement, undefined, { timeout: 2000 }).catch(() => false);
}

/**
 * Presses Tab (or Shift+Tab) until `target` has focus, as a keyboard user would, and fails after `max` presses.
 * The target is named by role and accessible name, so layout changes do not break it, only a missing control.
 */
export async function tabTo(page: Page, target: Locator, options: { backwards?: boolean; max?: number } = {}): Promise<void> {
  await target.waitFor({ timeout: 60_000 });
  const max = options.max ?? 60;
  for (let i = 0; i <= max; i++) {
    if (await focused(target)) return;
    await page.keyboard.press(options.backwards ? 'Shift+Tab' : 'Tab');
  }
  const now = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 160) ?? 'nothing');
  assert.fail(`${max} presses of ${options.backwards ? 'Shift+Tab' : 'Tab'} did not reach ${String(target)}; focus is on ${now}`);
}

/** Focus there, select what is in the field (Ctrl+A) and type over it. */
export async function typeInto(page: Page, field: Locator, text: string, options: { backwards?: boolean } = {}): Promise<void> {
  await tabTo(page, field, options);
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text);
}

export interface FocusStop {
  element: string;
  visible: boolean;
  outlineStyle: string;
  outlineWidth: number;
  outlineColor: string;
  background: string;
  contrast: number;
}

/**
 * The focus ring of the focused element, measured from computed styles: its colour, and the contrast of that colour
 * against the background it is drawn on. With outline-offset >= 0 the ring lies outside the element, on what
 * surrounds it (the nearest ancestors' backgrounds, composited); with a negative offset it lies on the element's
 * own background. This is WCAG 2.4.13's measure: the ring's pixels before and after focus.
 */
async function focusStop(page: Page): Promise<FocusStop | undefined> {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (!element || element === document.body || element === document.documentElement) return undefined;
    type Rgba = [number, number, number, number];
    const parse = (text: string): Rgba => {
      const m = /rgba?\(([^)]+)\)/.exec(text);
      if (!m) throw new Error(`unexpected colour syntax: ${text}`);
      const parts = m[1]!.split(/[,\s/]+/).filter(Boolean).map(Number);
      return [parts[0]!, parts[1]!, parts[2]!, parts[3] ?? 1];
    };
    const over = (top: Rgba, base: Rgba): Rgba => [0, 1, 2].map((i) => top[i]! * top[3] + base[i]! * (1 - top[3])).concat(1) as Rgba;
    const luminance = (c: Rgba): number => {
      const [r, g, b] = [c[0], c[1], c[2]].map((v) => { const s = v / 255; return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const style = getComputedStyle(element);
    const offset = Number.parseFloat(style.outlineOffset) || 0;
    // Backgrounds from the root down to the surface the ring sits on.
    const layers: Element[] = [];
    for (let node: Element | null = offset < 0 ? element : element.parentElement; node; node = node.parentElement) layers.unshift(node);
    let background: Rgba = [255, 255, 255, 1];
    const canvas = parse(getComputedStyle(document.documentElement).backgroundColor);
    if (canvas[3] > 0) background = over(canvas, background);
    for (const layer of layers) {
      const colour = parse(getComputedStyle(layer).backgroundColor);
      if (colour[3] > 0) background = over(colour, background);
    }
    const ring = over(parse(style.outlineColor), background);
    const [hi, lo] = [luminance(ring), luminance(background)].sort((a, b) => b - a);
    const describe = (c: Rgba): string => `rgb(${c.slice(0, 3).map((v) => Math.round(v)).join(', ')})`;
    return {
      element: element.outerHTML.slice(0, 100),
      visible: element.matches(':focus-visible'),
      outlineStyle: style.outlineStyle,
      outlineWidth: Number.parseFloat(style.outlineWidth) || 0,
      outlineColor: describe(ring),
      background: describe(background),
      contrast: Math.round(((hi! + 0.05) / (lo! + 0.05)) * 100) / 100,
    };
  });
}

/**
 * Tabs through everything focusable on the current screen, from the top, and checks each stop's focus ring:
 * shown (focus-visible, an outline at least 2 px wide) and at least 3:1 against its background. Returns the stops.
 */
export async function focusRingSpec(page: Page, name: string, options: { minStops?: number; maxStops?: number } = {}): Promise<FocusStop[]> {
  // Every screen has at least the six navigation buttons and one control of its own.
  const { minStops = 7, maxStops = 80 } = options;
  await page.evaluate(() => { (document.activeElement as HTMLElement | null)?.blur(); });
  const stops: FocusStop[] = [];
  const seen = new Set<string>();
  let outside = 0;
  for (let i = 0; i < maxStops + 3; i++) {
    await page.keyboard.press('Tab');
    const stop = await focusStop(page);
    // Past the last control focus leaves the page once, then comes back to the first: go round once.
    if (!stop) { if (++outside > 2) break; continue; }
    outside = 0;
    const key = `${stop.element}@${await page.evaluate(() => { const r = document.activeElement!.getBoundingClientRect(); return `${r.x},${r.y}`; })}`;
    if (seen.has(key)) break; // wrapped around to the first stop
    seen.add(key);
    stops.push(stop);
  }
  mkdirSync(AXE_RESULTS, { recursive: true });
  writeFileSync(join(AXE_RESULTS, `focus-${name.replace(/[^A-Za-z0-9-]+/g, '-')}.json`), `${JSON.stringify(stops, null, 2)}\n`);
  assert.ok(stops.length >= minStops, `only ${stops.length} focus stops on ${name}`);
  const bad = stops.filter((s) => !s.visible || s.outlineStyle === 'none' || s.outlineWidth < 2 || s.contrast < 3);
  assert.deepEqual(bad, [], `focus rings on ${name} that are missing or below 3:1`);
  return stops;
}

// ---------------------------------------------------------------------------------------------------------------
// Keyboard-only ceremonies against a real cluster: Tab, Shift+Tab, Enter, Space and typing; never the mouse.

/** Counts pointer presses in the page from now on, so a keyboard-only run can prove it used none. */
export async function countPointerPresses(page: Page): Promise<() => Promise<number>> {
  await page.evaluate(() => {
    const w = window as unknown as { pointerPresses?: number };
    w.pointerPresses = 0;
    for (const type of ['pointerdown', 'mousedown']) window.addEventListener(type, () => { w.pointerPresses! += 1; }, { capture: true });
  });
  return () => page.evaluate(() => (window as unknown as { pointerPresses: number }).pointerPresses);
}

/** Activates the control with the keyboard: Tab to it, then Enter (or Space for toggles). */
async function press(page: Page, target: Locator, key: 'Enter' | 'Space' = 'Enter', options: { backwards?: boolean } = {}): Promise<void> {
  await tabTo(page, target, options);
  await page.keyboard.press(key);
}

/**
 * Initialise the cluster from the Vault screen with the keyboard alone: choose the saved profile, open the
 * Initialise wizard, fill it, then hand out each holder's share. axe runs at each step in both schemes.
 */
export async function keyboardInitSpec(context: SpecContext, profile: string, shares: number, threshold: number): Promise<{ shares: string[]; rootToken: string }> {
  const { page } = context;
  await page.keyboard.press('Alt+3');
  await page.getByRole('heading', { level: 1, name: 'Vault' }).waitFor();
  const select = page.getByLabel('Saved cluster profile');
  await tabTo(page, select);
  await page.keyboard.type(profile); // a closed <select> picks the option whose text starts with what is typed
  assert.equal(await select.inputValue(), profile);
  await press(page, page.getByRole('button', { name: 'Save cluster' }));
  await press(page, page.getByRole('button', { name: 'Refresh status' }));
  const nodes = page.getByRole('table', { name: 'Vault nodes' });
  await nodes.getByText(/uninitialized/i).first().waitFor({ timeout: 60_000 });

  await press(page, page.getByRole('group', { name: 'Ceremony' }).getByRole('button', { name: 'Initialise', exact: true }), 'Space');
  await typeInto(page, page.getByLabel(/^Type "initialise" to confirm/), 'initialise');
  // Back up the form with Shift+Tab to set the numbers.
  await typeInto(page, page.getByLabel(/^Threshold/), String(threshold), { backwards: true });
  await typeInto(page, page.getByLabel('Number of shares'), String(shares), { backwards: true });
  await expectAxeCleanBothSchemes(page, 'keyboard-init-form', context.shot, { focusRing: true });
  await press(page, page.getByRole('button', { name: 'Initialise cluster' }));

  const secrets: string[] = [];
  const holders = [...Array.from({ length: shares }, (_, i) => `Holder ${i + 1}`), 'Root token holder'];
  for (const [index, holder] of holders.entries()) {
    const reveal = page.getByRole('button', { name: `Reveal for ${holder}` });
    await reveal.waitFor({ timeout: 60_000 });
    if (index === 0) await expectAxeCleanBothSchemes(page, 'keyboard-init-handout', context.shot, { focusRing: true });
    await press(page, reveal);
    const secret = page.getByRole('region', { name: `Secret for ${holder}` });
    await afterPresence(page, secret, context.passphrase);
    // Shares are shown in groups of four; the spaces are not part of the share.
    secrets.push((await secret.locator('code').innerText({ timeout: 30_000 })).replace(/\s+/g, ''));
    // The revealed share is checked by axe but never screenshotted.
    if (index === 0) await expectAxeCleanBothSchemes(page, 'keyboard-init-handout-revealed');
    await press(page, page.getByRole('button', { name: /^I have recorded it/ }));
  }
  await page.getByRole('status').filter({ hasText: 'Initialised' }).waitFor({ timeout: 60_000 });
  await expectAxeCleanBothSchemes(page, 'keyboard-init-done', context.shot);
  return { shares: secrets.slice(0, shares), rootToken: secrets[shares]! };
}

/**
 * Unseal the cluster with the keyboard alone, holder by holder; a holder who types the previous holder's share
 * is refused (the alert is checked by axe too) and types theirs.
 */
export async function keyboardUnsealSpec(context: SpecContext, shares: string[], threshold: number): Promise<void> {
  const { page } = context;
  await page.keyboard.press('Alt+3');
  await page.getByRole('heading', { level: 1, name: 'Vault' }).waitFor();
  await press(page, page.getByRole('group', { name: 'Ceremony' }).getByRole('button', { name: 'Unseal', exact: true }), 'Space');
  await press(page, page.getByRole('button', { name: 'Start unseal ceremony' }));
  for (let holder = 1; holder <= threshold; holder++) {
    const field = page.getByLabel(`Unseal share of holder ${holder}`);
    if (holder === 2) {
      await typeInto(page, field, shares[0]!);
      await page.keyboard.press('Enter');
      await page.locator('[role="alert"][data-code="SHARE_REPEATED"]').waitFor({ timeout: 60_000 });
      await expectAxeCleanBothSchemes(page, 'keyboard-unseal-repeated-share', context.shot, { focusRing: true });
    }
    await typeInto(page, field, shares[holder - 1]!);
    assert.equal(await field.getAttribute('type'), 'password', 'the share is typed into a masked field');
    if (holder === 1) await expectAxeCleanBothSchemes(page, 'keyboard-unseal-enter', context.shot);
    await page.keyboard.press('Enter');
    if (holder < threshold) {
      const next = page.getByRole('region', { name: 'Hand over' }).getByRole('button', { name: 'Next holder is ready' });
      await next.waitFor({ timeout: 60_000 });
      if (holder === 1) await expectAxeCleanBothSchemes(page, 'keyboard-unseal-handover', context.shot, { focusRing: true });
      await press(page, next);
    }
  }
  const done = page.getByRole('status').filter({ hasText: 'Cluster unsealed' });
  await done.waitFor({ timeout: 120_000 });
  await expectAxeCleanBothSchemes(page, 'keyboard-unseal-done', context.shot);
  await press(page, done.getByRole('button', { name: 'Finish' }));
}

/** Types into the lock screen's passphrase field and submits; the field is empty again right after. */
export async function unlockWith(page: Page, passphrase: string): Promise<void> {
  const field = page.getByLabel('Unlock passphrase');
  await field.fill(passphrase);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  const left = await field.inputValue({ timeout: 1000 }).catch(() => ''); // gone already: unlocked
  assert.equal(left, '', 'the typed passphrase is cleared from the window at once');
}
