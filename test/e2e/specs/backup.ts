/**
 * Backup screen against the real core and a real keyring: the SLIP-39 hand-out holder by holder (a wrong
 * type-back word is refused), the restore wizard with one field per word, drills (match, RESTORE_MISMATCH,
 * MNEMONIC_*), age files, the state backup, and the Keys screen's backup status. After every submission the
 * window holds no typed word: no input keeps a value and no `value` attribute carries one.
 */
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { afterPresence, alertWithCode, goTo, waitForText, type SpecContext } from './helpers.js';

export interface Holder { name: string; index: number; words: string[] }

async function backupTab(page: Page, tab: 'Paper shares' | 'Restore' | 'Drill' | 'Encrypted files' | 'Custodian state'): Promise<void> {
  await goTo(page, 'Backup');
  await page.getByRole('group', { name: 'Backup task' }).getByRole('button', { name: tab, exact: true }).click();
}

/** The Keys row of a key, and its backup status cell. */
export function backupStatus(page: Page, name: string): Locator {
  return page.getByLabel(`Backup status of ${name}`, { exact: true });
}

/** No input holds text, and the page's HTML carries none of the words (as a value attribute or a text node). */
export async function assertNoTypedWords(page: Page, words: string[], where: string): Promise<void> {
  const values = await page.locator('input').evaluateAll((inputs) => inputs
    .filter((input) => (input as HTMLInputElement).type !== 'checkbox' && (input as HTMLInputElement).type !== 'radio')
    .map((input) => (input as HTMLInputElement).value).filter((value) => /[a-z]{4,}/.test(value)));
  // Name fields hold key names (letters and dashes, never a list word on its own in these tests).
  const wordValues = values.filter((value) => words.includes(value.trim()));
  assert.deepEqual(wordValues, [], `${where}: an input still holds a typed word`);
  const html = await page.content();
  for (const word of new Set(words)) {
    assert.ok(!html.includes(`value="${word}`), `${where}: a value attribute holds "${word}"`);
    assert.ok(!html.includes(`>${word}<`), `${where}: the page shows the word "${word}"`);
  }
}

/** Splits `keyName` T-of-N through the hand-out; every holder types back their two words (holder 1 first gets one wrong). */
export async function splitSpec(context: SpecContext, keyName: string, keyId: string, holders: string[], threshold: number): Promise<Holder[]> {
  const { page } = context;
  await backupTab(page, 'Paper shares');
  const form = page.getByRole('form', { name: 'Split a key' });
  await form.getByLabel('Key to split').selectOption({ label: `${keyName} (${keyId})` });
  await form.getByLabel('Number of shares (N)').fill(String(holders.length));
  await form.getByLabel('Shares needed (T)').fill(String(threshold));
  for (const [i, name] of holders.entries()) await form.getByLabel(`Holder ${i + 1}`, { exact: true }).fill(name);
  await context.shot('backup-split-form');
  await form.getByRole('button', { name: 'Split and start the hand-out' }).click();
  const handout = page.getByRole('region', { name: `Hand-out of ${keyName}` });
  await handout.waitFor();

  const result: Holder[] = [];
  for (const [i, name] of holders.entries()) {
    const turn = handout.getByRole('group', { name: `Turn of ${name}` });
    await turn.waitFor();
    if (i === 0) {
      // Only the current holder's words can be fetched, and only after they ask.
      assert.equal(await handout.getByRole('list', { name: 'Share words' }).count(), 0, 'no words before the holder asks');
    }
    await turn.getByRole('button', { name: `Show ${name}'s words` }).click();
    const shown = handout.getByRole('group', { name: `Words of ${name}` });
    // Main asks for the officer's presence before it reveals a share (unless confirmed in the last minute).
    await afterPresence(page, shown.locator('.share-words .w'), context.passphrase);
    const words = (await shown.locator('.share-words .w').allInnerTexts()).map((w) => w.trim());
    assert.equal(words.length, 33, `${name} gets a 33-word share`);
    if (i === 0) await context.shot('backup-handout-words');
    await shown.getByRole('button', { name: `${name} has written them down` }).click();
    await assertNoTypedWords(page, words, `after ${name} wrote the words down`);

    const check = handout.getByRole('form', { name: `Check of ${name}` });
    await check.waitFor();
    const labels = await check.locator('input').evaluateAll((inputs) => inputs.map((input) => input.getAttribute('aria-label') ?? ''));
    const positions = labels.map((label) => Number(/Word (\d+)/.exec(label)?.[1]));
    assert.equal(positions.length, 2);
    assert.ok(positions.every((p) => p >= 1 && p <= 33) && positions[0] !== positions[1], `two distinct positions: ${labels.join(', ')}`);
    if (i === 0) {
      // A wrong word is refused, and the turn stays with this holder.
      const wrongWord = words.find((word) => word !== words[positions[0]! - 1])!;
      await check.getByLabel(`Word ${positions[0]}`, { exact: true }).fill(wrongWord);
      await check.getByLabel(`Word ${positions[1]}`, { exact: true }).fill(words[positions[1]! - 1]!);
      await check.getByRole('button', { name: 'Check the words' }).click();
      const refused = await alertWithCode(handout, 'CONFIRMATION_REQUIRED');
      assert.match(refused, new RegExp(`Word ${positions[0]} does not match`));
      await context.shot('backup-handout-wrong-word');
      await assertNoTypedWords(page, words, 'after a refused type-back');
      assert.equal(await handout.getByRole('row').filter({ hasText: name }).filter({ hasText: 'check pending' }).count(), 1);
    }
    // Typed with the keyboard: the first word's first four letters and Enter (completion), the second in full.
    await check.getByLabel(`Word ${positions[0]}`, { exact: true }).focus();
    await page.keyboard.type(words[positions[0]! - 1]!.slice(0, 4));
    await page.keyboard.press('Enter');
    assert.equal(await check.getByLabel(`Word ${positions[0]}`, { exact: true }).inputValue(), words[positions[0]! - 1], 'Enter completes the word');
    await page.keyboard.type(words[positions[1]! - 1]!);
    await check.getByRole('button', { name: 'Check the words' }).click();
    const handover = handout.getByRole('status', { name: 'Hand-over' });
    await waitForText(handover, new RegExp(`${name} has their share`));
    await assertNoTypedWords(page, words, `after ${name}'s check`);
    result.push({ name, index: i + 1, words });
    if (i === 0) {
      // The hand-out lives in main: leaving the screen and coming back loses nothing.
      await goTo(page, 'Keys');
      await backupTab(page, 'Paper shares');
      await handout.getByRole('group', { name: `Turn of ${holders[1]}` }).waitFor();
      assert.match(await handout.getByRole('row').filter({ hasText: name }).innerText(), /has their share/);
    } else if (i < holders.length - 1) {
      await handover.getByRole('button', { name: `${holders[i + 1]} is at the screen` }).click();
    }
    if (i === 1) await context.shot('backup-handout-progress');
  }
  await context.shot('backup-handout-done');
  await handout.getByRole('button', { name: 'Finish the hand-out' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'Hand-out of' }), /ended: 3 of 3 holders confirmed.*marked as backed up/);
  return result;
}

/** Types one share into the restore wizard's word fields with the keyboard (a space moves to the next field). */
async function typeShare(page: Page, words: string[]): Promise<void> {
  const entry = page.getByRole('form', { name: 'Share entry' });
  await entry.getByLabel('Word 1', { exact: true }).focus();
  await page.keyboard.type(words.join(' '));
}

/** Restores the key under `name` from two holders' shares; errors on the way: an unknown word, a repeated share. */
export async function restoreSpec(context: SpecContext, name: string, expectedId: string, holders: Holder[]): Promise<string> {
  const { page } = context;
  const [first, second] = holders as [Holder, Holder];
  const allWords = holders.flatMap((h) => h.words);
  await backupTab(page, 'Restore');
  const start = page.getByRole('form', { name: 'Start a restore' });
  await start.getByLabel('Name for the restored key').fill(name);
  await start.getByLabel('Key id printed on the sheets (optional)').fill(expectedId);
  await start.getByRole('button', { name: 'Start the restore' }).click();
  const wizard = page.getByRole('region', { name: 'Restore', exact: true });
  await wizard.waitFor();

  // A word that is not in the list is flagged while typing, then refused with its position.
  const typo = [...first.words];
  typo[4] = 'xqzvw';
  await typeShare(page, typo);
  const entry = page.getByRole('form', { name: 'Share entry' });
  assert.equal(await entry.getByLabel('Word 5', { exact: true }).getAttribute('aria-invalid'), 'true', 'the unknown word is flagged as typed');
  await waitForText(entry.getByRole('group', { name: 'Words of the share' }).locator('p'), /Not in the SLIP-39 word list: word 5\./);
  await context.shot('backup-restore-typo');
  await entry.getByRole('button', { name: 'Add this share' }).click();
  const invalid = await alertWithCode(wizard, 'MNEMONIC_INVALID');
  assert.match(invalid, /word 5/);
  assert.doesNotMatch(invalid, /xqzvw/, 'the error never quotes what was typed');
  await assertNoTypedWords(page, [...allWords, 'xqzvw'], 'after a refused share');

  // Suggestions: the first letters of a word offer list words.
  await entry.getByLabel('Word 1', { exact: true }).focus();
  await page.keyboard.type(first.words[0]!.slice(0, 3));
  const suggestions = entry.getByRole('list', { name: 'Suggestions for word 1' });
  await waitForText(suggestions, new RegExp(first.words[0]!));
  await context.shot('backup-restore-suggestions');
  await entry.getByLabel('Word 1', { exact: true }).fill('');

  await typeShare(page, first.words);
  await entry.getByRole('button', { name: 'Add this share' }).click();
  await waitForText(wizard.getByRole('status', { name: 'Restore progress' }), /1 share accepted \(share 1\), 1 more needed/);
  await assertNoTypedWords(page, allWords, 'after the first share');

  await typeShare(page, first.words);
  await page.getByRole('form', { name: 'Share entry' }).getByRole('button', { name: 'Add this share' }).click();
  await alertWithCode(wizard, 'MNEMONIC_DUPLICATE');

  await typeShare(page, second.words);
  await page.getByRole('form', { name: 'Share entry' }).getByRole('button', { name: 'Add this share' }).click();
  await waitForText(wizard.getByRole('status', { name: 'Restore progress' }), /2 shares accepted \(share 1, 2\), enough/);
  await assertNoTypedWords(page, allWords, 'after the second share');
  await context.shot('backup-restore-complete');
  await wizard.getByRole('button', { name: 'Restore the key' }).click();
  const done = await waitForText(page.getByRole('status').filter({ hasText: 'Restored "' }), new RegExp(`Restored "${name}" \\((K1-[A-Z0-9-]+)\\)`));
  await context.shot('backup-restored');
  await assertNoTypedWords(page, allWords, 'after the restore');
  return /\((K1-[A-Z0-9-]+)\)/.exec(done)![1]!;
}

/** A drill with two holders' shares: match. */
export async function drillMatchSpec(context: SpecContext, keyName: string, keyId: string, holders: Holder[]): Promise<void> {
  const { page } = context;
  await startDrill(page, keyName, keyId);
  const wizard = page.getByRole('region', { name: 'Restore drill', exact: true });
  for (const [i, holder] of holders.entries()) {
    await typeShare(page, holder.words);
    await page.getByRole('form', { name: 'Share entry' }).getByRole('button', { name: 'Add this share' }).click();
    await waitForText(wizard.getByRole('status', { name: 'Restore progress' }), new RegExp(`^${i + 1} shares? accepted \\(share [0-9, ]*${holder.index}`));
  }
  await wizard.getByRole('button', { name: 'Check the shares' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'Drill passed' }), new RegExp(`the shares give back "${keyName}"`));
  await context.shot('backup-drill-match');
  await assertNoTypedWords(page, holders.flatMap((h) => h.words), 'after the drill');
}

async function startDrill(page: Page, keyName: string, keyId: string): Promise<void> {
  await backupTab(page, 'Drill');
  const start = page.getByRole('form', { name: 'Start a drill' });
  await start.getByLabel('Key to check').selectOption({ label: `${keyName} (${keyId})` });
  await start.getByRole('button', { name: 'Start the drill' }).click();
  await page.getByRole('region', { name: 'Restore drill', exact: true }).waitFor();
}

/**
 * Drills with wrong shares: a share of another set is refused as it arrives (MNEMONIC_SET_MISMATCH); a complete
 * set of another key is RESTORE_MISMATCH at the end.
 */
export async function drillMismatchSpec(context: SpecContext, keyName: string, keyId: string, own: Holder, otherSet: string[][]): Promise<void> {
  const { page } = context;
  await startDrill(page, keyName, keyId);
  const wizard = page.getByRole('region', { name: 'Restore drill', exact: true });
  await typeShare(page, own.words);
  await page.getByRole('form', { name: 'Share entry' }).getByRole('button', { name: 'Add this share' }).click();
  await waitForText(wizard.getByRole('status', { name: 'Restore progress' }), /1 share accepted/);
  await typeShare(page, otherSet[1]!);
  await page.getByRole('form', { name: 'Share entry' }).getByRole('button', { name: 'Add this share' }).click();
  await alertWithCode(wizard, 'MNEMONIC_SET_MISMATCH');
  await context.shot('backup-drill-set-mismatch');
  await wizard.getByRole('button', { name: 'Cancel and forget the shares' }).click();

  await startDrill(page, keyName, keyId);
  for (const [i, words] of otherSet.slice(0, 2).entries()) {
    await typeShare(page, words);
    await page.getByRole('form', { name: 'Share entry' }).getByRole('button', { name: 'Add this share' }).click();
    await waitForText(page.getByRole('region', { name: 'Restore drill', exact: true }).getByRole('status', { name: 'Restore progress' }), new RegExp(`^${i + 1} shares? accepted`));
  }
  await waitForText(page.getByRole('region', { name: 'Restore drill', exact: true }).getByRole('status', { name: 'Restore progress' }), /enough/);
  await page.getByRole('region', { name: 'Restore drill', exact: true }).getByRole('button', { name: 'Check the shares' }).click();
  const mismatch = await alertWithCode(page.getByRole('region', { name: 'Restore drill', exact: true }), 'RESTORE_MISMATCH');
  assert.match(mismatch, /not the expected/);
  await context.shot('backup-drill-restore-mismatch');
  await page.getByRole('region', { name: 'Restore drill', exact: true }).getByRole('button', { name: 'Cancel and forget the shares' }).click();
  await assertNoTypedWords(page, [...own.words, ...otherSet.flat()], 'after the mismatching drills');
}

/** Age: show this custodian's recipient, export a key to it (save dialog), delete the key, import it back with the keychain identity. */
export async function ageRoundTripSpec(context: SpecContext, keyName: string, keyId: string, queueOpen: (path: string | undefined) => Promise<void>): Promise<string> {
  const { page } = context;
  await backupTab(page, 'Encrypted files');
  await page.getByRole('button', { name: 'Show recipient' }).click();
  const recipient = (await page.getByLabel('Age recipient', { exact: true }).innerText()).trim();
  assert.match(recipient, /^age1[0-9a-z]{58}$/);

  const exportForm = page.getByRole('form', { name: 'Export a key as an age file' });
  await exportForm.getByLabel('Key to export').selectOption({ label: `${keyName} (${keyId})` });
  await exportForm.getByLabel('Recipients, one per line').fill(recipient);
  await exportForm.getByRole('button', { name: 'Export to a file…' }).click();
  const saved = await waitForText(exportForm.getByRole('status'), /Saved the encrypted backup to (.+\.age)\./);
  const path = /to (.+\.age)\.$/.exec(saved)![1]!;
  await context.shot('backup-age-export');

  // A wrong way to open it (a passphrase, for a file made for a recipient) changes nothing.
  const importForm = page.getByRole('form', { name: 'Import a key from an age file' });
  await importForm.getByLabel('Name for the imported key').fill(`${keyName}-age`);
  await importForm.getByLabel('A passphrase', { exact: true }).check();
  await importForm.getByLabel('Passphrase of the file', { exact: true }).fill('not the way to open it');
  await queueOpen(path);
  await importForm.getByRole('button', { name: 'Choose the file and import…' }).click();
  await alertWithCode(importForm, 'BACKUP_DECRYPT_FAILED');
  assert.equal(await importForm.getByLabel('Passphrase of the file', { exact: true }).inputValue(), '', 'the passphrase is cleared once sent');
  return path;
}

export async function ageImportSpec(context: SpecContext, name: string, queueOpen: (path: string | undefined) => Promise<void>, path: string): Promise<string> {
  const { page } = context;
  await backupTab(page, 'Encrypted files');
  const importForm = page.getByRole('form', { name: 'Import a key from an age file' });
  await importForm.getByLabel('Name for the imported key').fill(name);
  await importForm.getByLabel('This custodian\'s age identity (in the keychain)').check();
  await queueOpen(path);
  await importForm.getByRole('button', { name: 'Choose the file and import…' }).click();
  const imported = await waitForText(importForm.getByRole('status'), new RegExp(`Imported "${name}" \\((K1-[A-Z0-9-]+)\\)`));
  await context.shot('backup-age-import');
  return /\((K1-[A-Z0-9-]+)\)/.exec(imported)![1]!;
}

/** The state backup with a passphrase (typed twice; a mismatch is caught before anything is written). */
export async function stateBackupSpec(context: SpecContext): Promise<string> {
  const { page } = context;
  await backupTab(page, 'Custodian state');
  const form = page.getByRole('form', { name: 'Back up this custodian' });
  await form.getByLabel('Backup passphrase', { exact: true }).fill('correct horse battery staple');
  await form.getByLabel('Backup passphrase again', { exact: true }).fill('correct horse battery stapel');
  await form.getByRole('button', { name: 'Save the state backup…' }).click();
  await waitForText(form.getByRole('alert'), /The two passphrases differ/);
  await form.getByLabel('Backup passphrase', { exact: true }).fill('correct horse battery staple');
  await form.getByLabel('Backup passphrase again', { exact: true }).fill('correct horse battery staple');
  await form.getByLabel('Include the data keys').check();
  await form.getByRole('button', { name: 'Save the state backup…' }).click();
  const saved = await waitForText(form.getByRole('status'), /Saved the state backup to (.+\.age) with \d+ keys?\./, 60_000);
  await context.shot('backup-state');
  assert.equal(await form.getByLabel('Backup passphrase', { exact: true }).inputValue(), '');
  return /to (.+\.age) with/.exec(saved)![1]!;
}
