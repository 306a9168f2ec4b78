import { PDFDocument, rgb, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';
import { CustodianError } from '../errors.js';
import { makeQr, SecretContent, wipeQr, type QrSymbol } from './secret-content.js';
import { wrapText } from './sheet-text.js';
import type { ShareSheet, Slip39Sheet, VaultShareSheet } from './sheets.js';

// One sheet as PDF bytes: A4, one page, the 14 standard fonts (nothing embedded). Public text (names, ids,
// instructions) is drawn with pdf-lib; the secret (words or share, and its QR code) goes through SecretContent as
// bytes. The returned PDF holds the secret: the caller writes it and wipes it.

const PAGE_WIDTH = 595.28;
const PAGE_HEIGHT = 841.89;
const MARGIN = 50;
const CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN;
const GREY = rgb(0.35, 0.35, 0.35);
/** Words per mnemonic that fit the grid: SLIP-39 gives 20 (128-bit) or 33 (256-bit, a Fernet key) words. */
export const MAX_WORDS = 36;
/** A plain Vault share is 44 base64 characters; a PGP-encrypted one (RSA-4096) about 750. */
export const MAX_VAULT_SHARE = 1200;

interface Fonts { regular: PDFFont; bold: PDFFont; mono: PDFFont }

/** Public text, top to bottom. */
class Pen {
  y = PAGE_HEIGHT - MARGIN;
  constructor(readonly page: PDFPage, readonly fonts: Fonts) {}

  text(text: string, options: { font?: PDFFont; size?: number; x?: number; width?: number; grey?: boolean; lead?: number } = {}): this {
    const font = options.font ?? this.fonts.regular;
    const size = options.size ?? 10;
    const x = options.x ?? MARGIN;
    for (const line of wrapText(text, options.width ?? CONTENT_WIDTH - (x - MARGIN), (t) => font.widthOfTextAtSize(t, size))) {
      this.y -= size * (options.lead ?? 1.3);
      this.page.drawText(line, { x, y: this.y, size, font, ...(options.grey ? { color: GREY } : {}) });
    }
    return this;
  }

  /** "Label:  value" with the value in bold, shrunk to fit the line if it is long. */
  fact(label: string, value: string): this {
    const size = 11;
    this.y -= size * 1.45;
    this.page.drawText(label, { x: MARGIN, y: this.y, size, font: this.fonts.regular, color: GREY });
    const width = CONTENT_WIDTH - 70;
    const valueSize = Math.max(7, Math.min(size + 1, (size + 1) * width / Math.max(1, this.fonts.bold.widthOfTextAtSize(value, size + 1))));
    this.page.drawText(value, { x: MARGIN + 70, y: this.y, size: valueSize, font: this.fonts.bold });
    return this;
  }

  space(points: number): this {
    this.y -= points;
    return this;
  }
}

/** Renders one sheet. Throws INVALID_INPUT for a secret of an unexpected form (never quoting it). */
export async function renderSheet(sheet: ShareSheet, fileName: string): Promise<Uint8Array> {
  const secret = sheet.kind === 'slip39' ? mnemonicBytes(sheet.words) : vaultShareBytes(sheet.share);
  const content = new SecretContent();
  let qr: QrSymbol | undefined;
  try {
    qr = makeQr(secret.bytes);
    const doc = await PDFDocument.create();
    doc.setTitle(`${sheet.kind === 'slip39' ? 'SLIP-39 share' : 'Unseal share'} ${sheet.index} of ${sheet.total}: ${holderName(sheet)}`);
    doc.setCreator('Key Custodian');
    doc.setProducer('Key Custodian (pdf-lib)');
    doc.setCreationDate(sheet.date);
    doc.setModificationDate(sheet.date);
    const fonts: Fonts = {
      regular: await doc.embedFont(StandardFonts.Helvetica),
      bold: await doc.embedFont(StandardFonts.HelveticaBold),
      mono: await doc.embedFont(StandardFonts.CourierBold),
    };
    const page = doc.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
    const pen = new Pen(page, fonts);
    // The secret is shown in Courier Bold through this font resource, from bytes (see SecretContent).
    const monoKey = page.node.newFontDictionary(fonts.mono.name, fonts.mono.ref).asString();
    if (sheet.kind === 'slip39') drawSlip39(pen, sheet, content, monoKey, secret, qr);
    else drawVault(pen, sheet, content, monoKey, secret, qr);
    if (pen.y < MARGIN + 20) {
      throw new CustodianError('INVALID_INPUT', 'The sheet does not fit on one page (a very long PGP-encrypted share, or many addresses).', {
        hint: 'Use Curve25519 or RSA keys of at most 4096 bits for the holders, list fewer addresses, or hand out the shares without --pdf.',
      });
    }
    const footer = `Key Custodian · ${fileName} · Print this sheet, check that it is legible, then delete the PDF file: it holds the same secret.`;
    for (const [i, line] of wrapText(footer, CONTENT_WIDTH, (t) => fonts.regular.widthOfTextAtSize(t, 7)).entries()) {
      page.drawText(line, { x: MARGIN, y: MARGIN - 12 - i * 9, size: 7, font: fonts.regular, color: GREY });
    }
    page.node.addContentStream(doc.context.register(doc.context.stream(content.bytes())));
    // The saved file is a fresh Uint8Array holding the secret once; our buffers are wiped below.
    return await doc.save();
  } finally {
    if (qr) wipeQr(qr);
    content.wipe();
    secret.bytes.fill(0);
  }
}

function holderName(sheet: ShareSheet): string {
  return sheet.holder.length > 0 ? sheet.holder : `Holder ${sheet.index}`;
}

function dateOf(sheet: ShareSheet): string {
  return sheet.date.toISOString().slice(0, 10);
}

interface SecretBytes {
  /** What the QR code holds: the mnemonic (words joined by single spaces) or the share as printed. */
  bytes: Buffer;
  /** [start, end) of each word (SLIP-39) or each printed line (Vault) in `bytes`. */
  parts: Array<[number, number]>;
}

/**
 * The words joined by single spaces, built in a Buffer: each word alone is a public word-list entry, but the
 * joined mnemonic is the secret, so it never becomes one JS string here.
 */
function mnemonicBytes(words: string[]): SecretBytes {
  if (words.length < 1 || words.length > MAX_WORDS) {
    throw new CustodianError('INVALID_INPUT', `A SLIP-39 share sheet holds 1 to ${MAX_WORDS} words; this share has ${words.length}.`);
  }
  let total = words.length - 1;
  for (const [i, word] of words.entries()) {
    if (!/^[a-z]{1,16}$/.test(word)) {
      throw new CustodianError('INVALID_INPUT', `Word ${i + 1} of the share is not a lower-case SLIP-39 word list entry.`, { hint: 'Give the words exactly as the SLIP-39 library produced them.' });
    }
    total += word.length;
  }
  const bytes = Buffer.alloc(total);
  const parts: Array<[number, number]> = [];
  let offset = 0;
  for (const word of words) {
    if (offset > 0) bytes[offset++] = 0x20;
    parts.push([offset, offset + word.length]);
    offset += bytes.write(word, offset, 'latin1');
  }
  return { bytes, parts };
}

/** The share's base64 text as bytes, split into printed lines (one line for a plain share). */
function vaultShareBytes(share: string): SecretBytes {
  if (share.length === 0 || share.length > MAX_VAULT_SHARE) {
    throw new CustodianError('INVALID_INPUT', `A Vault share on a sheet must be 1 to ${MAX_VAULT_SHARE} characters; this one has ${share.length}.`);
  }
  const bytes = Buffer.from(share, 'latin1');
  for (const byte of bytes) {
    const base64 = (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2b || byte === 0x2f || byte === 0x3d;
    if (!base64) {
      bytes.fill(0);
      throw new CustodianError('INVALID_INPUT', 'The Vault share is not base64 text as Vault prints it.', { hint: 'Give the share from "keys_base64" (custodian vault init prints it so).' });
    }
  }
  const perLine = bytes.length <= 48 ? 48 : 76;
  const parts: Array<[number, number]> = [];
  for (let start = 0; start < bytes.length; start += perLine) parts.push([start, Math.min(bytes.length, start + perLine)]);
  return { bytes, parts };
}

/** Size of the QR code in points: about 2.4 pt (0.85 mm) per module, between 150 and 250 pt. */
function qrSize(qr: QrSymbol): number {
  return Math.min(250, Math.max(150, (qr.modules.size + 8) * 2.4));
}

function header(pen: Pen, title: string, subtitle: string): void {
  pen.text(title, { font: pen.fonts.bold, size: 18 });
  pen.text(subtitle, { size: 12, lead: 1.6 });
  pen.space(4);
}

function drawSlip39(pen: Pen, sheet: Slip39Sheet, content: SecretContent, monoKey: string, secret: SecretBytes, qr: QrSymbol): void {
  header(pen, 'SLIP-39 backup share', `Share ${sheet.index} of ${sheet.total} · any ${sheet.threshold} of the ${sheet.total} shares restore the key`);
  pen.fact('Holder', holderName(sheet)).fact('Key', sheet.keyName).fact('Key id', sheet.keyId).fact('Date', dateOf(sheet));
  pen.space(6).text(`This sheet is a secret: whoever brings ${sheet.threshold} shares together has the key. Keep it like cash, apart from the other holders' sheets; do not photograph it.`, { grey: true });
  if (sheet.passphraseProtected) {
    pen.space(4).text('A passphrase is also needed to restore this key. It is not on this sheet. Without it, SLIP-39 gives a different key without any error.', { font: pen.fonts.bold });
  }
  pen.space(10).text(`Your ${sheet.words.length} words, in this order:`, { font: pen.fonts.bold, size: 11 });
  pen.space(4);

  const columns = 3;
  const rows = Math.ceil(secret.parts.length / columns);
  const columnWidth = CONTENT_WIDTH / columns;
  const rowHeight = 21;
  const top = pen.y;
  for (const [i, [start, end]] of secret.parts.entries()) {
    const column = Math.floor(i / rows);
    const row = i % rows;
    const x = MARGIN + column * columnWidth;
    const y = top - (row + 1) * rowHeight;
    const number = `${i + 1}.`;
    pen.page.drawText(number, { x: x + 24 - pen.fonts.regular.widthOfTextAtSize(number, 10), y, size: 10, font: pen.fonts.regular, color: GREY });
    content.text(monoKey, 14, x + 30, y, secret.bytes.subarray(start, end));
  }
  pen.y = top - rows * rowHeight - 14;

  qrWithInstructions(pen, content, qr, 'QR code: exactly these words, separated by single spaces.', [
    ['To restore the key', true],
    [`Bring any ${sheet.threshold} of the ${sheet.total} shares together: each holder types their words, or scans this QR code.`, false],
    [`Run:  custodian backup restore --name "${sheet.keyName}"`, false],
    [`The restored key's id must be ${sheet.keyId}. To test the shares without restoring: custodian backup restore --check ${sheet.keyId}`, false],
    ['The words follow the SLIP-39 standard (SLIP-0039, Shamir\'s Secret-Sharing for Mnemonic Codes): any SLIP-39 tool, such as Trezor\'s shamir-mnemonic, recovers the key\'s 32 bytes.', false],
  ]);
}

function drawVault(pen: Pen, sheet: VaultShareSheet, content: SecretContent, monoKey: string, secret: SecretBytes, qr: QrSymbol): void {
  header(pen, 'Vault / OpenBao unseal share', `Share ${sheet.index} of ${sheet.total} · any ${sheet.threshold} of the ${sheet.total} shares unseal the cluster`);
  pen.fact('Holder', holderName(sheet));
  for (const [i, address] of sheet.addresses.entries()) pen.fact(i === 0 ? 'Cluster' : '', address);
  pen.fact('Date', dateOf(sheet));
  pen.space(6).text(`This sheet is a secret: whoever brings ${sheet.threshold} shares together can unseal the cluster. Keep it like cash, apart from the other holders' sheets; do not photograph it.`, { grey: true });
  pen.space(10).text(sheet.pgpEncrypted
    ? 'Your unseal share, encrypted to your PGP key (base64 of the PGP message, exactly as Vault printed it):'
    : 'Your unseal share (base64, exactly as Vault printed it):', { font: pen.fonts.bold, size: 11 });
  pen.space(6);
  const size = sheet.pgpEncrypted ? 8.5 : 13;
  for (const [start, end] of secret.parts) {
    pen.y -= size * 1.35;
    content.text(monoKey, size, MARGIN, pen.y, secret.bytes.subarray(start, end));
  }
  pen.space(16);

  const addresses = sheet.addresses.length <= 3 ? sheet.addresses.map((a) => `--addr ${a}`).join(' ') : '--profile NAME';
  qrWithInstructions(pen, content, qr, 'QR code: exactly the share above.', [
    ['To unseal the cluster', true],
    [`When the cluster is sealed (after a restart), ${sheet.threshold} holders unseal it together. Run:  custodian vault unseal ${addresses}`, false],
    sheet.pgpEncrypted
      ? ['When it is your turn, give the share as it is with your private key (custodian vault unseal --pgp-key YOUR-KEY.asc), or decrypt it yourself: base64 -d | gpg -d gives the share in hex.', false]
      : ['When it is your turn, type this share at the hidden prompt, or scan this QR code. Vault\'s and OpenBao\'s own "operator unseal" accept it too.', false],
    ['Every node of the cluster is unsealed with the same shares.', false],
  ]);
}

/** The QR code on the left, the instructions in a column on its right; the pen ends below both. */
function qrWithInstructions(pen: Pen, content: SecretContent, qr: QrSymbol, caption: string, lines: Array<[string, boolean]>): void {
  const size = qrSize(qr);
  const top = pen.y;
  content.qr(qr, MARGIN - 8, top, size);
  const below = new Pen(pen.page, pen.fonts);
  below.y = top - size;
  below.text(caption, { size: 8, grey: true, width: size });
  const right = new Pen(pen.page, pen.fonts);
  right.y = top - 4;
  const x = MARGIN + size + 4;
  for (const [text, heading] of lines) {
    right.text(text, heading ? { font: pen.fonts.bold, size: 11, x } : { size: 10, x });
    right.space(heading ? 2 : 5);
  }
  pen.y = Math.min(below.y, right.y);
}
