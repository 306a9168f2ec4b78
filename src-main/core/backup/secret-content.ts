import QRCode, { type QRCode as QrSymbol } from 'qrcode';

export type { QrSymbol };

/**
 * The secret part of a sheet (the words or the share, and its QR code) as raw PDF content-stream bytes, built in
 * one Buffer that is wiped after the PDF is written. pdf-lib's drawText() would turn the secret into JS strings
 * (the text, then its hex encoding in the operator objects) that nobody can wipe; here the secret goes from the
 * caller's bytes into this buffer and from there into the PDF file's bytes. Only public layout numbers and
 * operators pass through strings.
 */
export class SecretContent {
  private buffer = Buffer.alloc(16 * 1024);
  private length = 0;

  /** Public text only: operators, font names, layout numbers. */
  op(text: string): this {
    this.ensure(text.length);
    this.length += this.buffer.write(text, this.length, 'latin1');
    return this;
  }

  /** A layout number (public), two decimals at most. */
  num(value: number): this {
    return this.op(`${Number(value.toFixed(2))} `);
  }

  /** A non-negative integer written digit by digit, so that QR module positions never become strings. */
  int(value: number): this {
    this.ensure(12);
    if (value === 0) {
      this.buffer[this.length++] = 0x30;
    } else {
      const start = this.length;
      for (let rest = value; rest > 0; rest = Math.floor(rest / 10)) this.buffer[this.length++] = 0x30 + (rest % 10);
      this.buffer.subarray(start, this.length).reverse();
    }
    this.buffer[this.length++] = 0x20;
    return this;
  }

  /**
   * Shows secret bytes (ASCII the font can print) at (x, y) with the font resource `fontKey` (e.g. "/Courier-123").
   * The bytes go into a PDF literal string with ( ) \ escaped; the caller's bytes are copied, not kept.
   */
  text(fontKey: string, size: number, x: number, y: number, bytes: Uint8Array): this {
    this.op(`BT ${fontKey} `).num(size).op('Tf ').num(x).num(y).op('Td (');
    this.ensure(bytes.length * 2);
    for (const byte of bytes) {
      if (byte === 0x28 || byte === 0x29 || byte === 0x5c) this.buffer[this.length++] = 0x5c;
      this.buffer[this.length++] = byte;
    }
    return this.op(') Tj ET\n');
  }

  /**
   * Draws a QR code made by makeQr() with its top-left corner at (x, top), `size` points wide including a 4-module
   * quiet zone, as filled rectangles: one per run of dark modules in a row (vector, no image, no temp file).
   */
  qr(code: QrSymbol, x: number, top: number, size: number): this {
    const modules = code.modules;
    const count = modules.size;
    const scale = size / (count + 8);
    // Flip the y axis and scale so that module (row, column) is the unit square at (column + 4, row + 4).
    this.op('q 0 g ').num(scale).op('0 0 ').num(-scale).num(x).num(top).op('cm\n');
    for (let row = 0; row < count; row++) {
      let column = 0;
      while (column < count) {
        if (!modules.get(row, column)) {
          column++;
          continue;
        }
        const start = column;
        while (column < count && modules.get(row, column)) column++;
        this.int(start + 4).int(row + 4).int(column - start).op('1 re\n');
      }
    }
    return this.op('f Q\n');
  }

  /** The content so far (a view of the internal buffer: wipe() wipes it too). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  wipe(): void {
    this.buffer.fill(0);
    this.length = 0;
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const bigger = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer.fill(0);
    this.buffer = bigger;
  }
}

/**
 * A QR code holding exactly `data` (one byte-mode segment). Error correction M (15% of the code may be damaged)
 * when it fits, L otherwise (a long PGP-encrypted share). The caller bounds the length (version 40 at L holds
 * 2953 bytes).
 * Wipe it with wipeQr(): qrcode's matrix and its copy of the data are wiped there; what qrcode keeps while
 * encoding (bit buffers, code words) is garbage we cannot reach.
 */
export function makeQr(data: Uint8Array): QrSymbol {
  const segments = [{ data, mode: 'byte' as const }];
  try {
    return QRCode.create(segments, { errorCorrectionLevel: 'M' });
  } catch {
    return QRCode.create(segments, { errorCorrectionLevel: 'L' });
  }
}

export function wipeQr(code: QrSymbol): void {
  code.modules.data.fill(0);
  for (const segment of code.segments as unknown as Array<{ data?: unknown }>) {
    if (segment.data instanceof Uint8Array) segment.data.fill(0);
  }
}
