// Reads share sheets the way a person's tools do: poppler renders the PDF (pdftoppm) and extracts its text
// (pdftotext), zbar decodes the QR code from the rendered page (zbarimg). Real programs, no PDF parsing of ours.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'latin1', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  if (result.error) throw new Error(`${command} could not run (${result.error.message}); install poppler-utils and zbar-tools`);
  if (result.status !== 0) throw new Error(`${command} exit ${result.status}: ${result.stderr.slice(-500)}`);
  return result.stdout;
}

/** The text of a PDF as pdftotext gives it (`layout` keeps the grid's rows on one line each). */
export function pdfText(path: string, layout = false): string {
  return Buffer.from(run('pdftotext', [...(layout ? ['-layout'] : []), '-enc', 'UTF-8', path, '-']), 'latin1').toString('utf8');
}

/** Renders every page at 200 dpi and decodes the QR codes found on them; one string per code, exactly. */
export function decodeSheetQr(path: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'custodian-sheet-png-'));
  try {
    run('pdftoppm', ['-r', '200', '-png', path, join(dir, 'page')]);
    const pages = readdirSync(dir).filter((name) => name.endsWith('.png')).sort();
    if (pages.length === 0) throw new Error('pdftoppm rendered no page');
    const codes: string[] = [];
    for (const page of pages) {
      // --raw prints each code's data followed by one newline; zbar gives byte-mode data as is for ASCII.
      // QR only: with every symbology on, zbar now and then reads a line of the printed words as a 1-D barcode.
      const out = run('zbarimg', ['--raw', '-q', '-Sdisable', '-Sqrcode.enable', join(dir, page)]);
      codes.push(...out.split('\n').slice(0, -1));
    }
    return codes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The npm `slip39` library (no types of its own), for making real mnemonics in tests. */
export interface Slip39Library {
  fromArray(secret: number[], options: { passphrase?: string; threshold: number; groups: Array<[number, number]> }): { fromPath(path: string): { mnemonics: string[] } };
  recoverSecret(mnemonics: string[], passphrase?: string): number[];
}

export const slip39 = createRequire(import.meta.url)('slip39') as Slip39Library;

/** A one-group T-of-N split of `secret` with the slip39 library: the mnemonics in share order. */
export function splitSlip39(secret: Uint8Array, threshold: number, total: number, passphrase = ''): string[] {
  const split = slip39.fromArray([...secret], { passphrase, threshold: 1, groups: [[threshold, total]] });
  return Array.from({ length: total }, (_, i) => split.fromPath(`r/0/${i}`).mnemonics[0]!);
}
