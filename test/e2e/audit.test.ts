/**
 * End-to-end: the Audit screen (issue 13 §3) in Debian's Chromium against the real core (test bridge, the handler
 * table Electron registers) and a real gnome-keyring holding the audit key. Entries made through the app show in
 * the timeline (source "app"), the action filter narrows it, an entry's detail shows its fields, Verify says OK;
 * the whole log and one entry export into the directory main's dialog chose; then the test edits one line of
 * audit.log and Verify names that entry as edited. Screenshots: test-results/screenshots/audit-*.png.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { expectAxeCleanBothSchemes } from './specs/accessibility.js';
import { waitForText, withDiagnostics } from './specs/helpers.js';
import { generateKey } from './specs/keys.js';
import { closeSession, openSession, type Session } from './support/session.js';

let keyring: KeyringSession;
let session: Session;
let home: string;

before(async () => {
  keyring = await startKeyring();
  home = keyring.env['CUSTODIAN_HOME']!;
  session = await openSession({ ...keyring.env });
});

after(async () => {
  await closeSession(session);
  await keyring?.stop();
});

async function openAudit(): Promise<void> {
  const { page } = session.context;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Audit', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
}

const timeline = () => session.context.page.getByRole('table', { name: 'Timeline' });

/** Clicks Verify and reads the verdict box; `expected` waits for that verdict (a previous box may still be shown). */
async function verify(expected: 'ok' | 'failed'): Promise<{ text: string; verdict: string | null; entry: string | null; reason: string | null }> {
  const { page } = session.context;
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  const box = page.locator(`[data-verdict="${expected}"]`);
  await box.waitFor({ timeout: 30_000 });
  return { text: await box.innerText(), verdict: await box.getAttribute('data-verdict'), entry: await box.getAttribute('data-entry'), reason: await box.getAttribute('data-reason') };
}

test('the timeline shows what the app did, Verify says OK, the log and one entry export with their proofs', () => withDiagnostics(session.context, 'audit-timeline', async () => {
  const { page } = session.context;
  await generateKey(session.context, 'audit-e2e-one');
  await generateKey(session.context, 'audit-e2e-two');
  await openAudit();
  const rows = timeline().getByRole('row').filter({ hasText: 'key.generate' });
  await waitForText(rows.first(), /key\.generate/);
  assert.equal(await rows.count(), 2, 'both key generations, made in the app');
  assert.match(await rows.first().innerText(), /\(app\)/, 'recorded by the app');

  // The action filter: only key actions.
  await page.getByLabel('Action', { exact: true }).fill('key');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  const onlyKeys = (list: Array<string | null>): boolean => list.length >= 2 && list.every((a) => a === 'key' || Boolean(a?.startsWith('key.')));
  let actions: Array<string | null> = [];
  for (const deadline = Date.now() + 10_000; Date.now() < deadline && !onlyKeys(actions);) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    actions = await timeline().locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action')));
  }
  assert.ok(onlyKeys(actions), `filtered: ${actions.join(', ')}`);
  // A time filter in the future: nothing.
  await page.getByLabel('Since', { exact: true }).fill('2999-01-01');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'No entries match' }), /No entries match/);
  await page.getByLabel('Since', { exact: true }).fill('');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await waitForText(timeline(), /key\.generate/);

  // One entry's detail.
  const newest = timeline().locator('tbody tr').first();
  const seq = await newest.getAttribute('data-seq');
  await newest.getByRole('button', { name: `Details of entry ${seq}` }).click();
  const detail = page.getByRole('region', { name: `Entry ${seq}` });
  await waitForText(detail, /audit-e2e-two/);

  const verdict = await verify('ok');
  assert.equal(verdict.verdict, 'ok', verdict.text);
  assert.match(verdict.text, /^OK: all \d+ entries verify/);
  await session.context.shot('audit-verified');
  await expectAxeCleanBothSchemes(page, 'audit screen');

  // Export this entry with its proof, then the whole log: each into a new folder inside the one the dialog chose.
  await detail.getByRole('button', { name: 'Export this entry with its proof…' }).click();
  const one = await waitForText(page.getByRole('status').filter({ hasText: 'Exported to' }), /Exported to .*entry\.jsonl/);
  await page.getByRole('button', { name: 'Export the whole log…' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'log.jsonl' }), /Exported to .*log\.jsonl/);
  const asked = await session.bridge.dialogs();
  const dirs = asked.filter((d) => d.kind === 'directory').map((d) => d.answer!);
  assert.equal(dirs.length, 2, 'main asked for the directory twice');
  const entryDir = join(dirs[0]!, readdirSync(dirs[0]!)[0]!);
  assert.match(one, new RegExp(entryDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  const exported = JSON.parse(readFileSync(join(entryDir, 'entry.jsonl'), 'utf8')) as { seq: number; name?: string };
  assert.equal(String(exported.seq), seq);
  const proof = JSON.parse(readFileSync(join(entryDir, 'inclusion.json'), 'utf8')) as { index: number };
  assert.equal(String(proof.index), seq);
}));

test('after one line of audit.log is edited, Verify names that entry as edited', () => withDiagnostics(session.context, 'audit-tampered', async () => {
  const path = join(home, 'audit.log');
  const lines = readFileSync(path, 'utf8').split('\n');
  const index = lines.findIndex((line) => line.includes('audit-e2e-one'));
  assert.ok(index >= 0, 'the first key generation is in the log');
  const seq = (JSON.parse(lines[index]!) as { seq: number }).seq;
  lines[index] = lines[index]!.replace('audit-e2e-one', 'audit-e2e-ONE');
  writeFileSync(path, lines.join('\n'));

  const verdict = await verify('failed');
  assert.equal(verdict.verdict, 'failed', verdict.text);
  assert.equal(verdict.entry, String(seq));
  assert.equal(verdict.reason, 'edited');
  assert.match(verdict.text, new RegExp(`Verification FAILED at entry ${seq}: edited\\.`));
  await session.context.shot('audit-tampered');
}));
