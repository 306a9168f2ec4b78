/**
 * The desktop UI's message catalogue: English and German have exactly the same keys, no empty text, the same
 * {{placeholders}}, and every key the renderer asks for with t('…') exists.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import ts from 'typescript';
import { lineOf, placeholders, readCatalogue, rendererSources } from './catalogue.js';

const en = readCatalogue('en');
const de = readCatalogue('de');

test('en and de have exactly the same keys, hundreds of them', () => {
  assert.ok(en.size >= 400, `${en.size} keys in en.ts`);
  assert.deepEqual([...de.keys()].filter((k) => !en.has(k)), [], 'keys only in de.ts');
  assert.deepEqual([...en.keys()].filter((k) => !de.has(k)), [], 'keys only in en.ts');
});

test('no text is empty or only whitespace, in either language', () => {
  for (const [language, catalogue] of [['en', en], ['de', de]] as const) {
    const empty = [...catalogue].filter(([, text]) => text.trim() === '').map(([key]) => key);
    assert.deepEqual(empty, [], `${language}: empty texts`);
  }
});

test('each German text has the same {{placeholders}} as the English one', () => {
  const differing = [...en].filter(([key, text]) => placeholders(text).join() !== placeholders(de.get(key) ?? '').join()).map(([key]) => key);
  assert.deepEqual(differing, []);
});

test('German is really German: most texts differ from the English, and none reads "Tresor" for Vault', () => {
  const same = [...en].filter(([key, text]) => de.get(key) === text);
  assert.ok(same.length < en.size / 10, `${same.length} of ${en.size} texts are the same in both languages: ${same.map(([k]) => k).join(', ')}`);
  const tresor = [...de].filter(([, text]) => /tresor/i.test(text)).map(([key]) => key);
  assert.deepEqual(tresor, [], 'Vault is a product name');
});

test('every t(\'…\') key used in src-renderer exists in the catalogue, and every catalogue key is used', () => {
  const used = new Set<string>();
  const unknown: string[] = [];
  for (const source of rendererSources()) {
    if (source.fileName.includes('/src-renderer/i18n/')) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 't') {
        const first = node.arguments[0];
        // t('key'), t(cond ? 'a' : 'b') and t(`state.${x}`) (checked against the state.* keys below).
        const literals: ts.Node[] = [];
        const collect = (n: ts.Node): void => {
          if (ts.isStringLiteral(n)) literals.push(n);
          else if (ts.isConditionalExpression(n)) { collect(n.whenTrue); collect(n.whenFalse); }
          else if (ts.isParenthesizedExpression(n)) collect(n.expression);
        };
        if (first) collect(first);
        for (const literal of literals as ts.StringLiteral[]) {
          used.add(literal.text);
          if (!en.has(literal.text)) unknown.push(`${lineOf(literal)} ${literal.text}`);
        }
      }
      // Keys kept in tables (tab and navigation labels, kinds): a 'screen.key' literal that names a catalogue key.
      if (ts.isStringLiteral(node) && en.has(node.text)) used.add(node.text);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  assert.deepEqual(unknown, [], 'keys used but missing from en.ts');
  for (const key of en.keys()) if (key.startsWith('state.')) used.add(key);
  assert.deepEqual([...en.keys()].filter((k) => !used.has(k)), [], 'catalogue keys nothing uses');
});
