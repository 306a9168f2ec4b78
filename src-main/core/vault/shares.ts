import { timingSafeEqual } from 'node:crypto';
import { CustodianError } from '../errors.js';

/**
 * Vault/OpenBao Shamir key shares. A share is the split key's bytes followed by one byte, the share's Shamir
 * x-coordinate (Vault's shamir.Split: x in 1..255, distinct per share). The split key is the 32-byte unseal key,
 * so a share is 33 bytes; AES-128/192 keys (17 or 25 bytes) are accepted for older or custom setups.
 */
export const PLAUSIBLE_SHARE_LENGTHS = [17, 25, 33] as const;

/**
 * Decodes a typed share exactly as the server will (http/sys_seal.go: hex first, if that gives a plausible
 * length, else standard base64), then checks its length and x-coordinate. Surrounding whitespace is ignored.
 * The input buffer is not modified; the caller wipes it. Errors never quote the input.
 */
export function decodeShare(text: Uint8Array): Buffer {
  const trimmed = trimAscii(text);
  if (trimmed.length === 0) throw invalid('The share is empty.');
  const ascii = Buffer.from(trimmed);
  try {
    const fromHex = decodeHex(ascii);
    if (fromHex && isPlausibleLength(fromHex.length)) return checked(fromHex);
    fromHex?.fill(0);
    const fromBase64 = decodeBase64(ascii);
    if (!fromBase64) throw invalid('The share is neither hex nor base64.');
    return checked(fromBase64);
  } finally {
    ascii.fill(0);
  }
}

/** The x-coordinate that identifies a share: its last byte. */
export function shareX(share: Uint8Array): number {
  return share[share.length - 1] ?? 0;
}

/** Encodes for the HTTP body. Hex: the server tries hex first, so the decoding cannot be ambiguous. */
export function shareForRequest(share: Uint8Array): string {
  return Buffer.from(share.buffer, share.byteOffset, share.byteLength).toString('hex');
}

/**
 * The shares submitted in one ceremony, remembered only as far as needed to refuse a repeat: the bytes (to
 * compare in constant time) and the x-coordinate. Wipe it when the ceremony ends.
 */
export class ShareLedger {
  private readonly seen: Buffer[] = [];

  /** Throws SHARE_REPEATED if this share (or another share with the same x-coordinate) was already given. */
  admit(share: Buffer): void {
    for (const [index, earlier] of this.seen.entries()) {
      if (earlier.length === share.length && timingSafeEqual(earlier, share)) {
        throw new CustodianError('SHARE_REPEATED', `This share was already given in this ceremony (it is the same as share #${index + 1}).`, {
          hint: 'Each holder gives their own share once. Ask the next holder for theirs.',
        });
      }
      if (shareX(earlier) === shareX(share)) {
        throw new CustodianError('SHARE_REPEATED', `This share has the same Shamir x-coordinate as share #${index + 1}, so it is a copy of the same holder's share (perhaps mistyped).`, {
          hint: 'Two different holders never share an x-coordinate. Check the share and give a different holder\'s share.',
        });
      }
    }
    this.seen.push(Buffer.from(share));
  }

  get count(): number {
    return this.seen.length;
  }

  /** The i-th admitted share (the ledger's own copy: do not wipe or keep it). Used to catch up a late node. */
  get(index: number): Buffer {
    const share = this.seen[index];
    if (!share) throw new RangeError('no such share');
    return share;
  }

  wipe(): void {
    for (const share of this.seen) share.fill(0);
    this.seen.length = 0;
  }
}

/** Splits a shares file (one share per line; blank lines and lines starting with # ignored) into buffers. */
export function splitShareLines(content: Uint8Array): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      const line = trimAscii(bytes.subarray(start, i));
      if (line.length > 0 && line[0] !== 0x23) lines.push(Buffer.from(line));
      start = i + 1;
    }
  }
  return lines;
}

export function wipeAll(buffers: Iterable<Uint8Array>): void {
  for (const buffer of buffers) buffer.fill(0);
}

function checked(share: Buffer): Buffer {
  if (!isPlausibleLength(share.length)) {
    share.fill(0);
    throw invalid(`The share decodes to ${share.length} bytes; a Vault/OpenBao share is 33 bytes (or 17/25 for shorter keys).`);
  }
  if (shareX(share) === 0) {
    share.fill(0);
    throw invalid('The share ends in a zero x-coordinate, which no Vault/OpenBao share has.');
  }
  return share;
}

function isPlausibleLength(length: number): boolean {
  return (PLAUSIBLE_SHARE_LENGTHS as readonly number[]).includes(length);
}

function invalid(message: string): CustodianError {
  return new CustodianError('SHARE_INVALID', `${message} Nothing was sent.`, {
    hint: 'Type the share exactly as printed at init (base64 or hex), or give the PGP-encrypted share with your private key.',
  });
}

function trimAscii(bytes: Uint8Array): Uint8Array {
  let start = 0;
  let end = bytes.length;
  const space = (b: number | undefined): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
  while (start < end && space(bytes[start])) start++;
  while (end > start && space(bytes[end - 1])) end--;
  return bytes.subarray(start, end);
}

function decodeHex(ascii: Buffer): Buffer | undefined {
  if (ascii.length % 2 !== 0) return undefined;
  for (const b of ascii) {
    const isHex = (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46);
    if (!isHex) return undefined;
  }
  // Decoded by hand so the share never becomes a JS string.
  const out = Buffer.alloc(ascii.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (nibble(ascii[2 * i]!) << 4) | nibble(ascii[2 * i + 1]!);
  return out;
}

function nibble(b: number): number {
  if (b <= 0x39) return b - 0x30;
  if (b <= 0x46) return b - 0x41 + 10;
  return b - 0x61 + 10;
}

function sextet(b: number): number {
  if (b >= 0x41 && b <= 0x5a) return b - 0x41;
  if (b >= 0x61 && b <= 0x7a) return b - 0x61 + 26;
  if (b >= 0x30 && b <= 0x39) return b - 0x30 + 52;
  return b === 0x2b ? 62 : 63;
}

function decodeBase64(ascii: Buffer): Buffer | undefined {
  // Strict standard base64 with padding, as Go's base64.StdEncoding: Node's decoder alone is too lenient.
  if (ascii.length % 4 !== 0) return undefined;
  let padding = 0;
  for (let i = 0; i < ascii.length; i++) {
    const b = ascii[i]!;
    const alphabet = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2b || b === 0x2f;
    if (b === 0x3d) {
      if (i < ascii.length - 2) return undefined;
      padding++;
    } else if (!alphabet || padding > 0) {
      return undefined;
    }
  }
  const out = Buffer.alloc((ascii.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < ascii.length; i += 4) {
    const group = [0, 1, 2, 3].map((k) => (ascii[i + k] === 0x3d ? 0 : sextet(ascii[i + k]!)));
    const bits = (group[0]! << 18) | (group[1]! << 12) | (group[2]! << 6) | group[3]!;
    if (o < out.length) out[o++] = (bits >> 16) & 0xff;
    if (o < out.length) out[o++] = (bits >> 8) & 0xff;
    if (o < out.length) out[o++] = bits & 0xff;
  }
  return out;
}
