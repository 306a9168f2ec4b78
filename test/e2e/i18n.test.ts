/**
 * The desktop UI in German, end to end: the built renderer in Debian's Chromium against the real core (test
 * bridge) and a real gnome-keyring, with the browser's language set to German (as Electron passes the OS locale).
 *
 * On every screen (each Backup task and the lock screen too): no English text from the catalogue's English side is
 * on screen, axe finds nothing serious, and a screenshot is saved as test-results/screenshots/<screen>-de.png.
 * Then the Settings override: English chosen in Settings wins over the OS language, survives a reload, and
 * "as the operating system" goes back to German.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { DEFAULT_UNLOCK_PASSPHRASE, startBridge, type Bridge } from './support/bridge.js';
import { openWindow, screenshot, type Window } from './support/browser.js';
import { expectAxeClean } from './specs/accessibility.js';
import { withDiagnostics, type SpecContext } from './specs/helpers.js';
import { generateKey } from './specs/keys.js';

const KEY = 'orders-db';

/** The catalogue's two sides, read from the sources (the renderer's bundle is minified). */
function catalogue(language: 'en' | 'de'): Map<string, string> {
  const text = readFileSync(join(process.cwd(), 'src-renderer', 'i18n', `${language}.ts`), 'utf8');
  const entries = new Map<string, string>();
  for (const match of text.matchAll(/^ {2}'([^']+)': '((?:[^'\\]|\\.)*)',$/gm)) entries.set(match[1]!, match[2]!.replace(/\\(.)/g, '$1'));
  return entries;
}
const en = catalogue('en');
const de = catalogue('de');
/**
 * English UI text that must not show in a German window: every English text whose German differs, without its
 * {{placeholders}} parts. Product names and commands are the same in both and so never in this list.
 */
const ENGLISH = [...en].filter(([key, text]) => de.get(key) !== text)
  .flatMap(([, text]) => text.split(/\{\{\w+\}\}/))
  .map((part) => part.trim())
  .filter((part) => /\p{L}{2,}/u.test(part));

let keyring: KeyringSession;
let bridge: Bridge;
let english: Window;
let german: Window;
let context: SpecContext;

before(async () => {
  keyring = await startKeyring();
  bridge = await startBridge({ ...keyring.env });
  // A key to list, made in an English window on the same core.
  english = await openWindow(bridge);
  await generateKey({ page: english.page, env: keyring.env, shot: (name) => screenshot(english.page, name), passphrase: DEFAULT_UNLOCK_PASSPHRASE }, KEY);
  german = await openWindow(bridge, { locale: 'de-DE' });
  context = { page: german.page, env: keyring.env, shot: (name) => screenshot(german.page, name), passphrase: DEFAULT_UNLOCK_PASSPHRASE };
});

after(async () => {
  await german?.close();
  await english?.close();
  await bridge?.stop();
  await keyring?.stop();
});

const NAV = { Dashboard: 'Übersicht', Keys: 'Schlüssel', Vault: 'Vault', Servers: 'Server', Settings: 'Einstellungen', Backup: 'Sicherung' } as const;

async function goToGerman(page: Page, screen: keyof typeof NAV): Promise<void> {
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('button', { name: NAV[screen], exact: true }).click();
  await page.getByRole('heading', { level: 1, name: NAV[screen] }).waitFor();
  await page.waitForFunction(() => !document.querySelector('[role="status"] progress'), undefined, { timeout: 60_000 });
}

/** Every text node, accessible name, placeholder and title the page shows, each whitespace-normalised. */
async function shownTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = (node.textContent ?? '').replace(/\s+/g, ' ').trim();
      if (text) out.push(text);
    }
    for (const element of document.body.querySelectorAll('[aria-label], [placeholder], [title]')) {
      for (const name of ['aria-label', 'placeholder', 'title']) {
        const value = element.getAttribute(name)?.replace(/\s+/g, ' ').trim();
        if (value) out.push(value);
      }
    }
    out.push(document.body.innerText.replace(/\s+/g, ' '));
    return out;
  });
}

/** English catalogue text on the page: a text node or attribute that is exactly one, or a long one anywhere. */
async function englishOnPage(page: Page): Promise<string[]> {
  const texts = await shownTexts(page);
  const whole = texts.pop() ?? '';
  const exact = new Set(texts);
  return [...new Set(ENGLISH.filter((phrase) => exact.has(phrase) || (phrase.length >= 24 && whole.includes(phrase))))];
}

async function checkScreen(page: Page, name: string): Promise<void> {
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'de', `${name}: <html lang> follows the language`);
  assert.deepEqual(await englishOnPage(page), [], `English text on ${name}`);
  await expectAxeClean(page, `${name}-de`);
  await screenshot(page, `${name}-de`);
}

test('the check finds English where there is English: hundreds of phrases, and the English window shows many', async () => {
  assert.ok(ENGLISH.length >= 400, `${ENGLISH.length} phrases`);
  assert.ok(ENGLISH.includes('Lock now') && ENGLISH.includes('Dashboard'), 'the navigation is in the list');
  const found = await englishOnPage(english.page);
  for (const phrase of ['Lock now', 'Dashboard', 'Keys in the keychain', 'Generate a key']) assert.ok(found.includes(phrase), `${phrase} found in the English window: ${found.join(' | ')}`);
});

test('German from the OS language: every screen and Backup task has no English UI text, passes axe, and is screenshotted', () => withDiagnostics(context, 'i18n-de', async () => {
  const { page } = context;
  // navigator.language says German: the window starts in German without any setting.
  await page.getByRole('navigation', { name: 'Hauptnavigation' }).waitFor();
  let checked = 0;
  for (const screen of ['Dashboard', 'Keys', 'Vault', 'Servers', 'Settings', 'Backup'] as const) {
    await goToGerman(page, screen);
    if (screen === 'Keys') await page.getByRole('table', { name: 'Schlüssel' }).getByText(KEY).waitFor();
    await checkScreen(page, screen.toLowerCase());
    checked += 1;
  }
  const tabs = { 'paper-shares': 'Papieranteile', restore: 'Wiederherstellen', drill: 'Übung', 'encrypted-files': 'Verschlüsselte Dateien', 'custodian-state': 'Custodian-Zustand' };
  for (const [name, label] of Object.entries(tabs)) {
    await goToGerman(page, 'Backup');
    await page.getByRole('group', { name: 'Sicherungsaufgabe' }).getByRole('button', { name: label, exact: true }).click();
    await page.waitForFunction(() => !document.querySelector('[role="status"] progress'), undefined, { timeout: 60_000 });
    await checkScreen(page, `backup-${name}`);
    checked += 1;
  }
  // A dialog: the key's delete confirmation.
  await goToGerman(page, 'Keys');
  await page.getByRole('button', { name: `Löschen: ${KEY}` }).click();
  await page.getByRole('group', { name: `Löschen: ${KEY}` }).getByLabel(`Geben Sie „${KEY}“ ein, um ihn zu löschen`).waitFor();
  await checkScreen(page, 'keys-delete');
  checked += 1;
  // The lock screen, and back with the German labels.
  await page.getByRole('button', { name: 'Jetzt sperren' }).click();
  await page.getByRole('heading', { name: 'Key Custodian ist gesperrt' }).waitFor();
  await checkScreen(page, 'lock');
  checked += 1;
  await page.getByLabel('Entsperr-Passphrase').fill(DEFAULT_UNLOCK_PASSPHRASE);
  await page.getByRole('button', { name: 'Entsperren', exact: true }).click();
  await page.getByRole('heading', { name: 'Key Custodian ist gesperrt' }).waitFor({ state: 'detached', timeout: 60_000 });
  assert.equal(checked, 13);
}));

test('Settings overrides the OS language, keeps the choice over a reload, and can follow the OS again', () => withDiagnostics(context, 'i18n-override', async () => {
  let page = context.page;
  await goToGerman(page, 'Settings');
  await page.getByLabel('Anzeigesprache').selectOption('en');
  // At once, without a reload: the navigation and the screen are English.
  await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Dashboard', exact: true }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  // A reload keeps it (this window's storage), although the OS language is still German.
  page = await german.reopen();
  context.page = page;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
  assert.equal(await page.getByLabel('Display language').inputValue(), 'en');
  // The English window never changed: the choice is per window, not in the core.
  assert.equal(await english.page.evaluate(() => document.documentElement.lang), 'en');
  await page.getByLabel('Display language').selectOption('system');
  await page.getByRole('heading', { level: 1, name: 'Einstellungen' }).waitFor();
  assert.equal(await page.evaluate(() => window.localStorage.getItem('custodian.language')), null, 'following the OS stores nothing');
}));

test('no CSP violation or page error in the German window', () => {
  const problems = german.console.filter((line) => /Content Security Policy|pageerror|Refused to/i.test(line));
  assert.deepEqual(problems, []);
});
