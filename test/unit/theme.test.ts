/**
 * The window background Electron paints before the page (src-shared/theme.ts) is the page's own --bg in each
 * colour scheme, and every colour in styles.css is a custom property defined for both schemes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { WINDOW_BACKGROUND } from '../../src-shared/theme.js';

const css = readFileSync(join(process.cwd(), 'src-renderer', 'styles.css'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
const darkStart = css.indexOf('@media (prefers-color-scheme: dark)');
const lightBlock = css.slice(css.indexOf(':root'), darkStart);
const darkBlock = css.slice(darkStart, css.indexOf('}\n}', darkStart) + 3);
const rest = css.slice(darkStart + darkBlock.length);

function properties(block: string): Map<string, string> {
  return new Map([...block.matchAll(/(--[a-z0-9-]+):\s*([^;]+);/g)].map((m) => [m[1]!, m[2]!.trim()]));
}

test('the window background is the page background in light and in dark', () => {
  assert.ok(darkStart > 0, 'styles.css has a prefers-color-scheme: dark block');
  assert.equal(properties(lightBlock).get('--bg'), WINDOW_BACKGROUND.light);
  assert.equal(properties(darkBlock).get('--bg'), WINDOW_BACKGROUND.dark);
});

test('every colour is a custom property, and each one has a dark value', () => {
  const light = properties(lightBlock);
  const dark = properties(darkBlock);
  assert.ok(light.size >= 20, `only ${light.size} custom properties`);
  for (const name of light.keys()) {
    if (/^#|^rgb/.test(light.get(name)!)) assert.ok(dark.has(name), `${name} has no dark value`);
  }
  // Outside the two definitions, colours come only from var(--...): no literal left behind.
  assert.deepEqual(rest.match(/#[0-9a-f]{3,8}\b|rgba?\(|hsla?\(|\b(white|black)\b(?!-)/gi) ?? [], []);
});
