import type { Command } from 'commander';
import { FileAuditLog, type AuditEvent } from '../../core/audit.js';
import { checkShareSheetOutput, writeShareSheets, type Slip39Sheet } from '../../core/backup/sheets.js';
import { checkCounts, restoreKey, restoreMismatch, splitKey, type Slip39Split } from '../../core/backup/slip39.js';
import { isKeyId } from '../../core/crypto/index.js';
import { CustodianError, isCustodianError } from '../../core/errors.js';
import { checkKeyName, type KeyRecord, type KeyStore } from '../../core/keystore/index.js';
import { custodianHome } from '../../core/paths.js';
import { commandHelp as help, type Output } from '../io.js';
import type { CommandContext } from '../main.js';
import { isInteractive } from '../terminal.js';
import { handOut } from './backup-handout.js';
import { collectKeyShares, readPassphrase, type PassphraseFlags } from './backup-input.js';
import { openCliKeyStore } from './key.js';

/** `backup split`, `backup restore` (and `--check` drills): SLIP-39 shares. */
export function registerShareCommands(backup: Command, context: CommandContext): void {
  backup
    .command('split')
    .description('split a key into SLIP-39 mnemonic shares, any T of N restore it; on a terminal, hands them out holder by holder')
    .argument('<key>', 'key id, unique id prefix, or unique name')
    .requiredOption('--shares <n>', 'number of shares (N), 1-16', parseCount)
    .requiredOption('--threshold <t>', 'shares needed to restore (T), 2-N (or 1 with --shares 1)', parseCount)
    .option('--holder <name>', 'who gets the next share, in order (repeat for each holder)', collect)
    .option('--passphrase-file <file>', 'a SLIP-39 passphrase from FILE (- for stdin): needed again at restore')
    .option('--passphrase', 'ask for a SLIP-39 passphrase at a hidden prompt (twice)')
    .option('--pdf <dir>', 'write one PDF sheet per holder into DIR (0600); print them, then delete the files')
    .option('--reveal', 'print the mnemonics (required when not on a terminal, and with --json)')
    .addHelpText('after', help([
      'custodian backup split orders-db --shares 5 --threshold 3 --holder Ana --holder Ben --holder Cem --holder Dana --holder Eli',
      'custodian backup split orders-db --shares 3 --threshold 2 --pdf ./sheets --passphrase',
      'custodian --json backup split orders-db --shares 3 --threshold 2 --reveal   # {"id", "threshold", "shares": [{"index", "holder", "mnemonic"}]}',
    ], 'On a terminal each holder in turn sees their words, writes them down and types back two of them; the screen is\n'
      + 'cleared between holders. Not on a terminal, the words are printed only with --reveal (or written to --pdf sheets).\n'
      + 'The words are the key: whoever holds T shares (and the passphrase, if any) holds the key. See docs/backup.md.'))
    .action(async (ref: string, flags: SplitFlags) => split(context, ref, flags));

  backup
    .command('restore')
    .description('recombine SLIP-39 shares: --name imports the key (origin "restored"); --check K1-... is a drill that imports nothing')
    .option('--name <name>', 'name for the restored key in the keychain')
    .option('--check <key>', 'drill: recombine and compare with this key id (or a key of this custodian); imports nothing')
    .option('--expect <id>', 'with --name: import only if the shares give this key id (printed on every sheet)')
    .option('--passphrase-file <file>', 'the SLIP-39 passphrase the key was split with, from FILE')
    .option('--passphrase', 'ask for the SLIP-39 passphrase at a hidden prompt')
    .addHelpText('after', help([
      'custodian backup restore --name orders-db --expect K1-7Q2M-0X4A-9R1D-BB3T   # each holder types their share, hidden',
      'custodian backup restore --name orders-db < shares.txt                      # one share per line',
      'custodian backup restore --check K1-7Q2M-0X4A-9R1D-BB3T                     # a drill: match or RESTORE_MISMATCH',
    ], 'Each share is checked as it arrives: a word not in the SLIP-39 list (with its position and the nearest words),\n'
      + 'a wrong word count, a bad checksum, a share of another set, a repeated share. A wrong passphrase cannot be\n'
      + 'detected by SLIP-39: it silently gives another key, which is why the key id is compared (--expect, --check).'))
    .action(async (flags: RestoreFlags) => restore(context, flags));
}

interface SplitFlags extends PassphraseFlags {
  shares: number;
  threshold: number;
  holder?: string[];
  pdf?: string;
  reveal?: boolean;
}

interface RestoreFlags extends PassphraseFlags {
  name?: string;
  check?: string;
  expect?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d{1,3}$/.test(value) || !Number.isInteger(n)) throw new CustodianError('USAGE', 'Share counts are whole numbers from 1 to 16.', { hint: 'For example --shares 5 --threshold 3.' });
  return n;
}

async function split(context: CommandContext, ref: string, flags: SplitFlags): Promise<void> {
  const io = context.io;
  const output = context.output();
  checkCounts(flags.threshold, flags.shares);
  const holders = holderNames(flags.holder ?? [], flags.shares);
  // Decide how the words leave the machine before touching the keychain: refusing later would waste a split.
  const onTerminal = isInteractive(io) && Boolean(io.stdout.isTTY) && Boolean(io.stderr.isTTY);
  const mode = flags.reveal ? 'reveal' : flags.pdf ? 'pdf' : onTerminal && !output.json ? 'handout' : undefined;
  if (!mode) {
    throw new CustodianError('CONFIRMATION_REQUIRED', output.json
      ? '--json prints the mnemonics only with --reveal; nothing was split.'
      : 'Not on a terminal, so there is nobody to hand the shares to; nothing was split.', {
      hint: 'Add --reveal to print the mnemonics (keep them out of logs), or --pdf DIR for printable sheets, or run it on a terminal for the holder-by-holder hand-out.',
    });
  }
  const keys = openCliKeyStore(context);
  if (flags.pdf) {
    // An unwritable directory or a name the sheet cannot print is found before anyone types a passphrase.
    const named = await keys.resolve(ref);
    await checkShareSheetOutput(flags.pdf, named.name, flags.shares, [['key name', named.name], ...holders.map((holder): [string, string] => ['holder name', holder])]);
  }
  const passphrase = await readPassphrase(io, flags, { confirm: true, stdinBusy: false });
  let record: KeyRecord | undefined;
  let result: Slip39Split | undefined;
  try {
    result = await keys.withKey(ref, (raw, found) => {
      record = found;
      return splitKey(raw, { threshold: flags.threshold, shares: flags.shares, ...(passphrase ? { passphrase } : {}) });
    }, { purpose: 'backup.split' });
  } finally {
    passphrase?.fill(0);
  }
  const key = record as KeyRecord;
  const audit = auditLog(context);
  const event: AuditEvent = {
    action: 'backup.split', outcome: 'ok', keyId: key.id, keyName: key.name, holders,
    threshold: flags.threshold, shares: flags.shares, passphrase: result.passphraseProtected, pdf: Boolean(flags.pdf),
  };
  try {
    const files = flags.pdf ? await writeShareSheets(flags.pdf, key.name, sheets(result, key, holders)) : undefined;
    if (mode === 'reveal') printShares(output, result, key, holders, files);
    else if (mode === 'pdf') printSheets(output, result, key, holders, files ?? []);
    else await handOut(io, { keyName: key.name, keyId: key.id, threshold: result.threshold, total: result.total, passphraseProtected: result.passphraseProtected, holders, shares: result.shares });
    if (files) output.note(`Wrote ${files.length} sheets to ${flags.pdf}. Print them, hand each to its holder, then delete the files (they hold the shares).`);
  } catch (error) {
    await audit.record({ ...event, outcome: 'error', code: isCustodianError(error) ? error.code : 'INTERNAL' }).catch(() => undefined);
    throw error;
  } finally {
    result.shares.length = 0;
  }
  await audit.record(event);
  await keys.markBackedUp(key.id, 'slip39');
}

/** Names for the N holders: the --holder values in order, "Holder k" for the rest. */
function holderNames(given: string[], total: number): string[] {
  if (given.length > total) throw new CustodianError('USAGE', `${given.length} holders were named for ${total} shares.`, { hint: 'Give at most one --holder per share.' });
  for (const name of given) {
    if (name.trim().length === 0 || name.length > 100 || /[\u0000-\u001f\u007f-\u009f]/.test(name)) {
      throw new CustodianError('USAGE', 'A holder name is empty, too long or has control characters.', { hint: 'Use a plain name of up to 100 characters, like --holder "Ana Silva".' });
    }
  }
  return Array.from({ length: total }, (_, i) => given[i] ?? `Holder ${i + 1}`);
}

function sheets(result: Slip39Split, key: KeyRecord, holders: string[]): Slip39Sheet[] {
  const date = new Date();
  return result.shares.map((share, i) => ({
    kind: 'slip39', holder: holders[i] as string, index: share.index, total: result.total, threshold: result.threshold, date,
    keyName: key.name, keyId: key.id, words: share.words, passphraseProtected: result.passphraseProtected,
  }));
}

/** --reveal: the one place a split prints words (mnemonics are JS strings from the library). */
function printShares(output: Output, result: Slip39Split, key: KeyRecord, holders: string[], files: string[] | undefined): void {
  output.result({
    id: key.id, threshold: result.threshold,
    shares: result.shares.map((share, i) => ({ index: share.index, holder: holders[i], mnemonic: share.mnemonic })),
    ...(files ? { files } : {}),
  });
  output.line(`# Key "${key.name}" (${key.id}): any ${result.threshold} of these ${result.total} SLIP-39 shares restore it${result.passphraseProtected ? ', with the passphrase' : ''}.`);
  for (const [i, share] of result.shares.entries()) {
    output.line(`# Share ${share.index} of ${result.total}: ${holders[i]}`);
    output.line(share.mnemonic);
  }
  if (!output.json) output.note('These words are the key. Hand each share to its holder, then clear the terminal scrollback or delete the file.');
}

function printSheets(output: Output, result: Slip39Split, key: KeyRecord, holders: string[], files: string[]): void {
  output.result({
    id: key.id, threshold: result.threshold,
    shares: result.shares.map((share, i) => ({ index: share.index, holder: holders[i], file: files[i] })),
  });
  output.line(`Split key "${key.name}" (${key.id}) into ${result.total} shares; any ${result.threshold} restore it.`);
  for (const [i, file] of files.entries()) output.line(`  share ${i + 1} of ${result.total} (${holders[i]}): ${file}`);
}

function auditLog(context: CommandContext): FileAuditLog {
  return new FileAuditLog(custodianHome(context.io.env));
}

async function restore(context: CommandContext, flags: RestoreFlags): Promise<void> {
  const io = context.io;
  const output = context.output();
  if (Boolean(flags.name) === Boolean(flags.check)) {
    throw new CustodianError('USAGE', 'Give either --name NAME (restore into the keychain) or --check KEY (a drill).', { hint: 'See `custodian backup restore --help`.' });
  }
  if (flags.check && flags.expect) throw new CustodianError('USAGE', '--expect goes with --name; a drill compares with the --check key.', { hint: 'Drop --expect.' });
  if (flags.name) checkKeyName(flags.name);
  if (flags.expect && !isKeyId(flags.expect)) throw new CustodianError('USAGE', '--expect takes a full key id (K1-XXXX-XXXX-XXXX-XXXX).', { hint: 'Copy the key id from a sheet.' });
  const keys = openCliKeyStore(context);
  const drilled = flags.check ? await drillTarget(keys, flags.check) : undefined;
  // The shares come from stdin, typed or piped, so the passphrase never does.
  const passphrase = await readPassphrase(io, flags, { confirm: false, stdinBusy: true });
  const audit = auditLog(context);
  const withPassphrase = passphrase !== undefined;
  try {
    const collector = await collectKeyShares(io, output);
    const restored = restoreKey(collector, passphrase);
    collector.clear();
    try {
      if (drilled) {
        await drill(keys, audit, output, drilled, restored.id, withPassphrase);
        return;
      }
      if (flags.expect && restored.id !== flags.expect) throw restoreMismatch(flags.expect, restored.id, withPassphrase);
      const record = await keys.importRaw(flags.name as string, restored.rawKey, 'restored');
      // The shares it came from are a backup of it: the key does not show as "never backed up".
      await keys.markBackedUp(record.id, 'slip39');
      await audit.record({ action: 'backup.restore', outcome: 'ok', keyId: record.id, keyName: record.name, passphrase: withPassphrase });
      output.result({ id: record.id, name: record.name, origin: record.origin });
      output.line(`Restored key "${record.name}".`);
      output.line(`id:        ${record.id}`);
      output.line('origin:    restored');
      if (!flags.expect && !output.json) {
        output.note(`Compare the id with the key id on the sheets.${withPassphrase ? ' If it differs, the passphrase was wrong: SLIP-39 then silently gives another key. Delete this one and restore again.' : ''}`);
      }
    } finally {
      restored.rawKey.fill(0);
    }
  } catch (error) {
    if (!drilled) await audit.record({ action: 'backup.restore', outcome: 'error', keyName: flags.name ?? null, code: codeOf(error) }).catch(() => undefined);
    else if (!(isCustodianError(error) && error.code === 'RESTORE_MISMATCH')) {
      await audit.record({ action: 'backup.drill', outcome: 'error', keyId: drilled.id, code: codeOf(error) }).catch(() => undefined);
    }
    throw error;
  } finally {
    passphrase?.fill(0);
  }
}

interface DrillTarget {
  id: string;
  /** The local record, when this custodian holds the key (then the drill is recorded on it). */
  record?: KeyRecord;
}

/** The key a drill checks against: one of ours (id, prefix or name), or any full key id (e.g. from a sheet). */
async function drillTarget(keys: KeyStore, ref: string): Promise<DrillTarget> {
  try {
    const record = await keys.resolve(ref);
    return { id: record.id, record };
  } catch (error) {
    if (isCustodianError(error) && error.code === 'KEY_NOT_FOUND' && isKeyId(ref)) return { id: ref };
    throw error;
  }
}

async function drill(keys: KeyStore, audit: FileAuditLog, output: Output, target: DrillTarget, recoveredId: string, withPassphrase: boolean): Promise<void> {
  const match = recoveredId === target.id;
  await audit.record({
    action: 'backup.drill', outcome: match ? 'ok' : 'error', keyId: target.id, result: match ? 'match' : 'mismatch',
    ...(match ? {} : { code: 'RESTORE_MISMATCH' }), passphrase: withPassphrase,
  });
  if (target.record) await keys.markDrilled(target.id, match ? 'match' : 'mismatch');
  if (!match) throw restoreMismatch(target.id, recoveredId, withPassphrase);
  output.result({ id: target.id, match: true });
  output.line(`match: the shares restore ${target.id}${target.record ? ` ("${target.record.name}")` : ''}. Nothing was imported.`);
}

function codeOf(error: unknown): string {
  return isCustodianError(error) ? error.code : 'INTERNAL';
}
