/**
 * axe-core (Deque's accessibility engine) run inside the page under test. Its source is evaluated through the
 * DevTools protocol (page.evaluate), not added as a <script> tag: the app's strict CSP would refuse an inline
 * script, and the suite fails on any CSP violation.
 *
 * Every run is recorded (rule ids that applied, nodes examined, violations by impact) in
 * test-results/accessibility/<name>.json, so a reader can see what was checked, and the caller can assert that
 * the run examined a real page rather than an empty one.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

const axeSource: string = (createRequire(import.meta.url)('axe-core') as { source: string }).source;
export const AXE_RESULTS = join(process.cwd(), 'test-results', 'accessibility');

/** WCAG 2.0-2.2 A and AA, plus Deque's best practices (landmarks, headings, ...). */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

export interface AxeFinding {
  rule: string;
  impact: string;
  help: string;
  targets: string[];
  summary: string;
}

export interface AxeRun {
  name: string;
  url: string;
  colorScheme: string;
  /** Rules that found something to check (passed, violated or needing review). */
  rulesChecked: string[];
  /** Elements examined, summed over those rules. */
  nodesChecked: number;
  /** Elements the colour-contrast rule examined and passed. */
  contrastNodesPassed: number;
  violations: AxeFinding[];
  /** Checks axe could not decide alone (e.g. contrast over an image), kept for review. */
  incomplete: AxeFinding[];
}

interface RawNode { target: unknown[]; failureSummary?: string }
interface RawRule { id: string; impact?: string | null; help: string; nodes: RawNode[] }
interface RawResults { url: string; passes: RawRule[]; violations: RawRule[]; incomplete: RawRule[] }

function findings(rules: RawRule[]): AxeFinding[] {
  return rules.map((rule) => ({
    rule: rule.id,
    impact: rule.impact ?? 'unknown',
    help: rule.help,
    targets: rule.nodes.map((node) => node.target.map(String).join(' ')),
    summary: rule.nodes.map((node) => node.failureSummary ?? '').filter(Boolean).join(' | ').slice(0, 600),
  }));
}

/** Runs axe on the whole document as it is now, records the run, and returns it. */
export async function runAxe(page: Page, name: string): Promise<AxeRun> {
  const present = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object');
  if (!present) await page.evaluate(axeSource);
  const raw = await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run(context: Document, options: unknown): Promise<unknown> } }).axe;
    return axe.run(document, { runOnly: { type: 'tag', values: tags } });
  }, TAGS) as RawResults;
  const colorScheme = await page.evaluate(() => (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  const applied = [...raw.passes, ...raw.violations, ...raw.incomplete];
  const run: AxeRun = {
    name,
    url: raw.url,
    colorScheme,
    rulesChecked: [...new Set(applied.map((rule) => rule.id))].sort(),
    nodesChecked: applied.reduce((sum, rule) => sum + rule.nodes.length, 0),
    contrastNodesPassed: raw.passes.find((rule) => rule.id === 'color-contrast')?.nodes.length ?? 0,
    violations: findings(raw.violations),
    incomplete: findings(raw.incomplete),
  };
  mkdirSync(AXE_RESULTS, { recursive: true });
  writeFileSync(join(AXE_RESULTS, `${name}.json`), `${JSON.stringify(run, null, 2)}\n`);
  return run;
}

const serious = (finding: AxeFinding): boolean => finding.impact === 'serious' || finding.impact === 'critical';

/**
 * Serious and critical findings: the ones the suite allows none of. Checks axe could not decide alone count too
 * (an aria-label on an element whose role does not allow one is "needs review" in axe, and a real problem).
 */
export function blocking(run: AxeRun): AxeFinding[] {
  return [...run.violations.filter(serious), ...run.incomplete.filter(serious).map((f) => ({ ...f, rule: `${f.rule} (needs review)` }))];
}
