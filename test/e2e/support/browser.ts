/**
 * Debian's Chromium through playwright-core (never `npx playwright install`), with a fresh profile per run
 * and every background network feature off, showing the renderer served by the test bridge.
 */
import { mkdtempSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { Bridge } from './bridge.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');

export interface Window {
  page: Page;
  context: BrowserContext;
  /** Messages the page logged to its console (CSP violations show up here). */
  console: string[];
  /** Closes the page and opens the app in a new one (same browser profile and bridge), as a closed and reopened window. */
  reopen(): Promise<Page>;
  close(): Promise<void>;
}

export interface WindowOptions {
  /** The OS colour scheme the page sees (prefers-color-scheme); Chromium's default is light. */
  colorScheme?: 'light' | 'dark';
  /** The OS/browser language the page sees (navigator.language); en-US unless a test asks for another. */
  locale?: string;
}

export async function openWindow(bridge: Bridge, options: WindowOptions = {}): Promise<Window> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`apt-get install -y chromium\` (npm test installs it when run as root)`);
  const profile = mkdtempSync(join(tmpdir(), 'custodian-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
    viewport: { width: 1280, height: 860 },
    colorScheme: options.colorScheme ?? 'light',
    locale: options.locale ?? 'en-US',
  });
  const console: string[] = [];
  try {
    await context.addInitScript({ content: bridge.clientScript });
    const listen = (page: Page): Page => {
      page.on('console', (message) => console.push(`${message.type()}: ${message.text()}`));
      page.on('pageerror', (error) => console.push(`pageerror: ${error.message}`));
      return page;
    };
    const page = listen(context.pages()[0] ?? await context.newPage());
    await page.goto(bridge.url);
    const window: Window = {
      page,
      context,
      console,
      async reopen() {
        const fresh = listen(await context.newPage());
        await window.page.close();
        await fresh.goto(bridge.url);
        window.page = fresh;
        return fresh;
      },
      async close() {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
    return window;
  } catch (error) {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
