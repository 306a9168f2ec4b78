/**
 * No untranslated UI text in the renderer: every JSX text node with a word in it, and every string literal given
 * to an aria-label, label, placeholder or title prop (also inside a template or a ternary), must come from t().
 * The allow-list is short on purpose: names that are the same in every language.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import ts from 'typescript';
import { lineOf, rendererSources } from './catalogue.js';

/** Text that is the same in every language: each language's own name in the language menu. */
const ALLOWED = new Set(['English', 'Deutsch']);
/** Props whose value is read or shown to the officer. */
const PROPS = new Set(['aria-label', 'label', 'placeholder', 'title', 'ariaLabel', 'confirmLabel', 'hint', 'message', 'alt']);

/** React's rendering of a JSX text node: lines trimmed and joined with a space. */
function jsxText(raw: string): string {
  return raw.split(/\r?\n/).map((line, i, all) => {
    let out = line;
    if (i > 0) out = out.replace(/^\s+/, '');
    if (i < all.length - 1) out = out.replace(/\s+$/, '');
    return out;
  }).filter(Boolean).join(' ').trim();
}

const wordy = (text: string): boolean => /\p{L}{2,}/u.test(text) && !ALLOWED.has(text.trim());

export function untranslated(source: ts.SourceFile): string[] {
  const found: string[] = [];
  /** String literals and template text that end up as the value of `expression`. */
  const literalsIn = (expression: ts.Node): ts.Node[] => {
    if (ts.isStringLiteral(expression) || ts.isNoSubstitutionTemplateLiteral(expression)) return [expression];
    if (ts.isTemplateExpression(expression)) {
      return [expression.head, ...expression.templateSpans.map((s) => s.literal)].filter((part) => wordy(part.text)).length > 0
        ? [expression] : expression.templateSpans.flatMap((s) => literalsIn(s.expression));
    }
    if (ts.isConditionalExpression(expression)) return [...literalsIn(expression.whenTrue), ...literalsIn(expression.whenFalse)];
    if (ts.isParenthesizedExpression(expression)) return literalsIn(expression.expression);
    if (ts.isBinaryExpression(expression) && [ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.PlusToken].includes(expression.operatorToken.kind)) {
      return [...literalsIn(expression.left), ...literalsIn(expression.right)];
    }
    return [];
  };
  const textOf = (node: ts.Node): string => (ts.isTemplateExpression(node) ? node.getText() : (node as ts.StringLiteral).text);
  const visit = (node: ts.Node): void => {
    if (ts.isJsxText(node)) {
      const text = jsxText(node.text);
      if (wordy(text)) found.push(`${lineOf(node)} text "${text}"`);
    } else if (ts.isJsxAttribute(node) && PROPS.has(node.name.getText()) && node.initializer) {
      const value = ts.isJsxExpression(node.initializer) ? node.initializer.expression : node.initializer;
      for (const literal of value ? literalsIn(value) : []) {
        if (wordy(textOf(literal))) found.push(`${lineOf(literal)} ${node.name.getText()}=${textOf(literal)}`);
      }
    } else if (ts.isJsxExpression(node) && node.expression && (ts.isJsxElement(node.parent) || ts.isJsxFragment(node.parent))) {
      // {cond ? 'Some text' : 'Other text'} as a child.
      for (const literal of literalsIn(node.expression)) {
        if (wordy(textOf(literal))) found.push(`${lineOf(literal)} child ${textOf(literal)}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

test('every user-visible string in src-renderer/*.tsx goes through t()', () => {
  const sources = rendererSources(/\.tsx$/);
  assert.ok(sources.length >= 25, `${sources.length} .tsx files`);
  assert.deepEqual(sources.flatMap(untranslated), []);
});

test('the scan finds what it should: text, props, ternaries and templates not wrapped in t()', () => {
  const probe = ts.createSourceFile('probe.tsx', `
    const a = <p>Plain text</p>;
    const b = <input aria-label="Key name" placeholder={'mail-helper'} />;
    const c = <button>{busy ? 'Saving' : t('x')}</button>;
    const d = <Field label={\`Type \${name} to confirm\`} title={t('ok')} />;
    const e = <p>{t('fine')} — <kbd>{phrase}</kbd>. English</p>;
  `, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found = untranslated(probe).map((line) => line.replace(/^\S+ /, ''));
  assert.deepEqual(found, ['text "Plain text"', 'aria-label=Key name', 'placeholder=mail-helper', 'child Saving', 'label=`Type ${name} to confirm`', 'text ". English"']);
});
