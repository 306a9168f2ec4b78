import { CustodianError } from '../errors.js';
import { checkBaseName, checkSheetDirectory, sheetFileName, writeSheetFiles } from './sheet-files.js';
import { checkSheetText } from './sheet-text.js';

export { sheetFileName };

/**
 * Paper sheets for share holders: one PDF per holder, written 0600 into a directory the caller chose.
 * Two kinds: a SLIP-39 share of a data key (`backup split --pdf`) and a Vault/OpenBao unseal share
 * (`vault init --pdf`). A sheet holds exactly one holder's share and public facts; never the root token.
 */

/** One holder's sheet. */
export type ShareSheet = Slip39Sheet | VaultShareSheet;

interface SheetCommon {
  /** The holder's name as given with --holder (may be empty: "Holder k"). */
  holder: string;
  /** 1-based share number k of n. */
  index: number;
  total: number;
  threshold: number;
  date: Date;
}

export interface Slip39Sheet extends SheetCommon {
  kind: 'slip39';
  keyName: string;
  keyId: string;
  /** The mnemonic's words, in order (the QR code holds them joined by single spaces). */
  words: string[];
  /** True when the split used a SLIP-39 passphrase (the sheet says one is needed, never what it is). */
  passphraseProtected: boolean;
}

export interface VaultShareSheet extends SheetCommon {
  kind: 'vault-unseal';
  /** The cluster's node addresses. */
  addresses: string[];
  /** The share exactly as Vault printed it (base64, or base64 PGP ciphertext when encrypted to a PGP key). */
  share: string;
  pgpEncrypted: boolean;
}

/**
 * Writes one PDF per sheet into `dir` (which must exist or be creatable, mode 0700) as
 * `<baseName>-share-<k>-of-<n>.pdf`, mode 0600, and returns the paths in sheet order. Nothing is left behind on
 * failure (files written so far are removed) and the error is OUTPUT_UNWRITABLE. Public text that the standard
 * PDF fonts cannot print (a holder name in Cyrillic, say) or a secret of an unexpected form is INVALID_INPUT,
 * before anything is written.
 *
 * Strings: `words` and `share` arrive as JS strings (the SLIP-39 library and Vault's JSON make them so). The
 * joined mnemonic, the printed share lines and the QR code are built from them as bytes only and wiped; the PDF
 * bytes are wiped once written. pdf-lib is given public text only (see sheet-pdf.ts and secret-content.ts).
 */
export async function writeShareSheets(dir: string, baseName: string, sheets: ShareSheet[]): Promise<string[]> {
  checkSheets(baseName, sheets);
  // Loaded on first use: pdf-lib and qrcode take 0.2-2 s to load, and every CLI command imports this module.
  const { renderSheet } = await import('./sheet-pdf.js');
  const files: Array<{ name: string; bytes: Uint8Array }> = [];
  try {
    for (const sheet of sheets) {
      const name = sheetFileName(baseName, sheet.index, sheet.total);
      files.push({ name, bytes: await renderSheet(sheet, name) });
    }
    return await writeSheetFiles(dir, files);
  } finally {
    for (const file of files) file.bytes.fill(0);
  }
}

/**
 * Checks before an irreversible step (vault init) that sheets for these public facts could be written to `dir`:
 * the texts are printable and the directory writable with none of the files present. Creates nothing.
 */
export async function checkShareSheetOutput(dir: string, baseName: string, total: number, facts: Array<[what: string, text: string]>): Promise<void> {
  checkBaseName(baseName);
  for (const [what, text] of facts) checkSheetText(what, text);
  const names = Array.from({ length: total }, (_, i) => sheetFileName(baseName, i + 1, total));
  await checkSheetDirectory(dir, names);
}

/**
 * Renders `sheet` in memory and discards it: INVALID_INPUT if it cannot be printed or would not fit one page (many
 * addresses, say). For a check before an irreversible step, with a placeholder secret of the expected shape.
 */
export async function checkSheetLayout(sheet: ShareSheet): Promise<void> {
  checkSheets('check', [sheet]);
  const { renderSheet } = await import('./sheet-pdf.js');
  (await renderSheet(sheet, sheetFileName('check', sheet.index, sheet.total))).fill(0);
}

function checkSheets(baseName: string, sheets: ShareSheet[]): void {
  checkBaseName(baseName);
  if (sheets.length === 0) throw new CustodianError('INVALID_INPUT', 'No share sheets to write.');
  const indexes = new Set<number>();
  for (const sheet of sheets) {
    const { index, total, threshold } = sheet;
    if (!Number.isInteger(index) || !Number.isInteger(total) || !Number.isInteger(threshold) || index < 1 || index > total || threshold < 1 || threshold > total || indexes.has(index)) {
      throw new CustodianError('INVALID_INPUT', `Share sheet ${index} of ${total} (threshold ${threshold}) is not a valid, distinct share number.`);
    }
    indexes.add(index);
    if (Number.isNaN(sheet.date.getTime())) throw new CustodianError('INVALID_INPUT', 'A share sheet has an invalid date.');
    checkSheetText('holder name', sheet.holder);
    if (sheet.kind === 'slip39') {
      checkSheetText('key name', sheet.keyName);
      checkSheetText('key id', sheet.keyId);
    } else {
      if (sheet.addresses.length === 0) throw new CustodianError('INVALID_INPUT', 'A Vault share sheet needs the cluster\'s addresses.');
      for (const address of sheet.addresses) checkSheetText('address', address);
    }
  }
}
