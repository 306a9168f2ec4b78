/**
 * Reads the renderer's message catalogue (src-renderer/i18n/en.ts, de.ts) and its .tsx sources as text, with the
 * TypeScript parser: the renderer is built by Vite, not by the tsc run that builds these tests.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

export const RENDERER = join(process.cwd(), 'src-renderer');

/** The string entries of the object literal exported as `name` from a catalogue file. */
export function readCatalogue(language: 'en' | 'de'): Map<string, string> {
  const file = join(RENDERER, 'i18n', `${language}.ts`);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const entries = new Map<string, string>();
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && node.name.getText() === language && node.initializer) {
      let init: ts.Expression = node.initializer;
      while (ts.isAsExpression(init) || ts.isSatisfiesExpression(init)) init = init.expression;
      if (!ts.isObjectLiteralExpression(init)) throw new Error(`${file}: ${language} is not an object literal`);
      for (const property of init.properties) {
        if (!ts.isPropertyAssignment(property) || !ts.isStringLiteral(property.name) || !ts.isStringLiteral(property.initializer)) {
          throw new Error(`${file}: every entry must be 'key': 'text' (${property.getText().slice(0, 60)})`);
        }
        if (entries.has(property.name.text)) throw new Error(`${file}: duplicate key ${property.name.text}`);
        entries.set(property.name.text, property.initializer.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return entries;
}

/** Every .tsx (and .ts) file under src-renderer, parsed. */
export function rendererSources(extension = /\.tsx?$/): ts.SourceFile[] {
  const out: ts.SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (extension.test(name)) {
        out.push(ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true, name.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS));
      }
    }
  };
  walk(RENDERER);
  return out;
}

export function lineOf(node: ts.Node): string {
  const source = node.getSourceFile();
  const { line } = source.getLineAndCharacterOfPosition(node.getStart());
  return `${source.fileName.slice(process.cwd().length + 1)}:${line + 1}`;
}

/** The {{placeholders}} of a message, sorted. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!).sort();
}
