import { timingSafeEqual } from 'node:crypto';
import { checkSheetLayout, checkShareSheetOutput, writeShareSheets, type VaultShareSheet } from '../../core/backup/sheets.js';
import { CustodianError, isCustodianError } from '../../core/errors.js';
import type { AuditLog } from '../../core/audit.js';
import type { InitResult } from '../../core/vault/index.js';
import type { Output } from '../io.js';
import type { CommandContext } from '../main.js';
import { isInteractive, readHiddenLine, readVisibleLine } from '../terminal.js';
import { progress } from './vault-holders.js';

// What `vault init` does with the shares once the server returned them: print them (the default, and for
// scripts), write one paper sheet per holder (--pdf), and on a terminal hand them out one holder at a time, each
// holder proving they recorded their share by typing back its last 6 characters. The root token goes to the
// operator at the end, never on a sheet.

export interface InitHandoutFlags {
  holder?: string[];
  pdf?: string;
  profile?: string;
}

/** Decided and checked before init, so that a bad name or an unwritable directory stops before shares exist. */
export interface InitHandoutPlan {
  /** One name per share ('' when --holder was not given). */
  holders: string[];
  named: boolean;
  sheets?: { dir: string; baseName: string; addresses: string[] };
  /** A person is at the terminal: hand out holder by holder with the type-back check. */
  handout: boolean;
}

/** How many characters of the share a holder types back. */
export const TYPE_BACK = 6;

const CLEAR_SCREEN = '\x1b[H\x1b[2J\x1b[3J'; // home, clear, and clear the scrollback where the terminal keeps one

export async function planInitHandout(context: CommandContext, output: Output, flags: InitHandoutFlags, shares: number, addresses: string[], pgpEncrypted: boolean): Promise<InitHandoutPlan> {
  const named = Boolean(flags.holder?.length);
  if (named && flags.holder!.length !== shares) {
    throw new CustodianError('USAGE', `${flags.holder!.length} --holder names for ${shares} shares: name every holder once, in share order.`, {
      hint: `Give --holder NAME ${shares} times (or leave --holder out).`,
    });
  }
  const holders = named ? flags.holder!.map((name) => name.trim()) : Array.from({ length: shares }, () => '');
  for (const name of holders) {
    if (named && (name.length === 0 || /[\u0000-\u001f\u007f-\u009f]/.test(name))) {
      throw new CustodianError('INVALID_INPUT', 'A --holder name is empty or contains control characters.', { hint: 'Give each holder a printable name.' });
    }
  }
  if (named && new Set(holders).size !== holders.length) {
    throw new CustodianError('INVALID_INPUT', 'Two shares have the same --holder name.', { hint: 'Each share goes to a different holder; give distinct names.' });
  }
  const plan: InitHandoutPlan = { holders, named, handout: false };
  if (flags.pdf) {
    const baseName = `${flags.profile ?? 'vault'}-unseal`;
    await checkShareSheetOutput(flags.pdf, baseName, shares, [...holders.map((h): [string, string] => ['holder name', h]), ...addresses.map((a): [string, string] => ['address', a])]);
    // The layout too (many addresses may not fit), with a placeholder share of the expected shape: 44 base64
    // characters, or a short PGP message (a long one that does not fit is caught after init: see handOutInit).
    await checkSheetLayout({
      kind: 'vault-unseal', holder: holders[0] ?? '', index: shares, total: shares, threshold: shares,
      date: new Date(), addresses, share: 'A'.repeat(pgpEncrypted ? 200 : 44), pgpEncrypted,
    });
    plan.sheets = { dir: flags.pdf, baseName, addresses };
  }
  plan.handout = (named || Boolean(plan.sheets)) && isInteractive(context.io) && Boolean(context.io.stderr.isTTY) && !output.json;
  return plan;
}

const label = (plan: InitHandoutPlan, index: number): string => plan.holders[index] || `holder ${index + 1}`;

/**
 * Hands out the shares of a finished init and prints the root token. Never loses a share: if the sheets cannot
 * be written, or the hand-out stops early, the shares not yet safely with their holders are printed as before,
 * and then the error is raised.
 */
export async function handOutInit(context: CommandContext, output: Output, plan: InitHandoutPlan, result: InitResult, pgpLabels: Array<string | undefined>, audit?: AuditLog): Promise<void> {
  const total = result.shares.length;
  // As Vault printed them (base64); JS strings because the JSON output and the sheets take strings.
  const keysB64 = result.shares.map((s) => s.toString('base64'));
  const rootToken = result.rootTokenEncrypted ? result.rootToken.toString('base64') : result.rootToken.toString('utf8');
  let sheetPaths: string[] | undefined;
  let failure: unknown;
  // An audit log that cannot be written must not stop the shares from being printed: its error comes last.
  let auditFailure: unknown;
  const record = (event: Parameters<AuditLog['record']>[0]): Promise<void> => (audit?.record(event) ?? Promise.resolve()).catch((error: unknown) => { auditFailure ??= error; });
  if (plan.sheets) {
    const date = new Date();
    const sheets: VaultShareSheet[] = keysB64.map((share, i) => ({
      kind: 'vault-unseal', holder: plan.holders[i]!, index: i + 1, total, threshold: result.threshold, date,
      addresses: plan.sheets!.addresses, share, pgpEncrypted: result.sharesEncrypted,
    }));
    try {
      sheetPaths = await writeShareSheets(plan.sheets.dir, plan.sheets.baseName, sheets);
    } catch (error) {
      failure = error; // printed below instead, then raised
    }
    await record({ action: 'vault.init.sheets', outcome: sheetPaths ? 'ok' : 'error', address: result.address, sheets: sheetPaths?.length ?? 0, holders: plan.holders });
  }
  const describe = (i: number): string => [plan.named ? plan.holders[i] : '', result.sharesEncrypted ? `PGP, for ${pgpLabels[i]}` : ''].filter(Boolean).join(', ');
  const printShares = (indexes: number[]): void => {
    for (const i of indexes) output.line(`Share ${i + 1}${describe(i) ? ` (${describe(i)})` : ''}: ${keysB64[i]}`);
  };
  const all = keysB64.map((_, i) => i);

  if (!plan.handout || failure) {
    const printed = !sheetPaths;
    output.result({
      address: result.address, shares: total, threshold: result.threshold,
      ...(printed ? { keys_b64: keysB64 } : { sheets: sheetPaths }),
      ...(plan.named ? { holders: plan.holders } : {}),
      root_token: rootToken,
      shares_encrypted: result.sharesEncrypted, root_token_encrypted: result.rootTokenEncrypted, pgp_fingerprints: result.pgpFingerprints,
    });
    progress(output, `Initialised ${result.address}: ${total} shares, threshold ${result.threshold}. These are the ONLY copies of the shares and root token.`);
    if (printed) printShares(all);
    else sheetPaths!.forEach((path, i) => output.line(`Sheet ${i + 1}${plan.named ? ` (${plan.holders[i]})` : ''}: ${path}`));
    output.line(`Root token${result.rootTokenEncrypted ? ' (PGP-encrypted, base64)' : ''}: ${rootToken}`);
    if (sheetPaths) progress(output, 'Print the sheets, give each holder theirs alone, then delete the PDF files: they hold the same secrets. The root token is on no sheet.');
    progress(output, 'Next: every node is sealed. Run `custodian vault unseal` with the holders present; revoke the root token once set up.');
    if (failure) {
      throw isCustodianError(failure)
        ? new CustodianError(failure.code, `The cluster is initialised, but the share sheets were not written: ${failure.message} The shares were printed above instead.`, failure.hint ? { hint: failure.hint } : {})
        : failure;
    }
    if (auditFailure) throw auditFailure;
    return;
  }

  progress(output, `Initialised ${result.address}: ${total} shares, threshold ${result.threshold}.`);
  if (sheetPaths) {
    sheetPaths.forEach((path, i) => progress(output, `  Sheet for ${label(plan, i)}: ${path}`));
    await readVisibleLine(context.io, 'Print the sheets now. Press Enter when every holder has their printed sheet: ');
  }
  const inputEnded = (): boolean => Boolean((context.io.stdin as NodeJS.ReadStream).readableEnded);
  progress(output, `Hand-out: one holder at a time. Each holder types back the last ${TYPE_BACK} characters of their share to show it is recorded.`);
  const confirmed: number[] = [];
  for (let i = 0; i < total && !inputEnded(); i++) {
    const ok = await handOutOne(context, output, plan, i, total, keysB64[i]!, Boolean(sheetPaths));
    if (!ok) break;
    confirmed.push(i);
  }
  const open = all.filter((i) => !confirmed.includes(i));
  await record({
    action: 'vault.init.handout', outcome: open.length === 0 ? 'ok' : 'error', address: result.address, holders: plan.holders,
    confirmed: confirmed.map((i) => String(i + 1)), unconfirmed: open.map((i) => String(i + 1)),
  });
  progress(output, '\nOperator only: the root token follows. It is on no sheet.');
  if (open.length > 0 && !sheetPaths) {
    progress(output, `The hand-out stopped: the shares of ${open.map((i) => label(plan, i)).join(', ')} are printed here so that they are not lost.`);
    printShares(open);
  }
  output.line(`Root token${result.rootTokenEncrypted ? ' (PGP-encrypted, base64)' : ''}: ${rootToken}`);
  progress(output, 'Next: every node is sealed. Run `custodian vault unseal` with the holders present; revoke the root token once set up.');
  if (sheetPaths) progress(output, 'Delete the PDF files now that the sheets are printed: they hold the same secrets.');
  if (open.length > 0) {
    throw new CustodianError('HANDOUT_OPEN', `The hand-out stopped before ${open.map((i) => label(plan, i)).join(', ')} confirmed their share${open.length > 1 ? 's' : ''}.`, {
      hint: sheetPaths ? 'Their sheets are written; make sure each of them has their printed sheet before deleting the files.' : 'Their shares are printed above: hand each to its holder now.',
      details: { confirmed: confirmed.map((i) => i + 1), unconfirmed: open.map((i) => i + 1) },
    });
  }
  if (auditFailure) throw auditFailure;
}

/** One holder: (without sheets) show the share alone on screen, then the type-back; false if input ended. */
async function handOutOne(context: CommandContext, output: Output, plan: InitHandoutPlan, i: number, total: number, share: string, onSheet: boolean): Promise<boolean> {
  const name = label(plan, i);
  if (!onSheet) context.io.stderr.write(CLEAR_SCREEN);
  output.note(onSheet ? `\n=== Share ${i + 1} of ${total}: ${name}, with your sheet. ===` : `\n=== Share ${i + 1} of ${total}: ${name}. Everyone else, please look away. ===`);
  if (!onSheet) {
    output.note(`\n    ${share}\n`);
    output.note('Write it down exactly (or store it where your procedure says).');
  }
  const printed = Buffer.from(share, 'latin1');
  const expected = Buffer.from(printed.subarray(-TYPE_BACK));
  printed.fill(0);
  try {
    for (;;) {
      const typed = await readHiddenLine(context.io, `${name}, type the last ${TYPE_BACK} characters of your share${onSheet ? ' (from your sheet)' : ''} (input hidden): `, 256);
      if (typed.outcome !== 'line') return false;
      const answer = trim(typed.bytes);
      const match = answer.length === expected.length && timingSafeEqual(answer, expected);
      typed.bytes.fill(0);
      if (match) break;
      output.note(`That is not how share ${i + 1} ends. ${onSheet ? `Check that you hold sheet ${i + 1} of ${total}` : 'Check what you wrote down'} and try again (letters are case-sensitive).`);
    }
  } finally {
    expected.fill(0);
  }
  if (!onSheet) context.io.stderr.write(CLEAR_SCREEN);
  output.note(`Confirmed: ${name} has share ${i + 1} of ${total}.${i + 1 < total ? ' Please hand over to the next holder.' : ''}`);
  return true;
}

function trim(bytes: Buffer): Buffer {
  let start = 0;
  let end = bytes.length;
  while (start < end && bytes[start]! <= 0x20) start++;
  while (end > start && bytes[end - 1]! <= 0x20) end--;
  return bytes.subarray(start, end);
}
