import { CustodianError } from '../errors.js';

/**
 * What a paper sheet can print. The sheets use the 14 standard PDF fonts, which need no font file but cover only
 * WinAnsi (Windows-1252): ASCII, Latin-1 (é, ü, ß, ø, ...) and 27 more characters (€, Š, Ž, Œ, quotes, dashes).
 * A name outside it (Ł, Cyrillic, CJK, emoji) is refused rather than transliterated: the name on a custody sheet
 * must be exactly the name the officer typed, and embedding a Unicode font would mean shipping a font file and
 * @pdf-lib/fontkit for this one use.
 */

/** WinAnsi's characters in 0x80-0x9F (the rest of WinAnsi is 0x20-0x7E and 0xA0-0xFF, as in Unicode). */
const WIN_ANSI_EXTRA = new Set([...'€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ'].map((c) => c.codePointAt(0)!));

export const MAX_SHEET_TEXT = 200;

function printable(codePoint: number): boolean {
  return (codePoint >= 0x20 && codePoint <= 0x7e) || (codePoint >= 0xa0 && codePoint <= 0xff) || WIN_ANSI_EXTRA.has(codePoint);
}

/** The first character of `text` that a sheet cannot print, described for an error message; undefined if none. */
export function unprintableCharacter(text: string): string | undefined {
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    if (!printable(codePoint)) {
      const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
      // Control characters are named by code only: printing them would garble the terminal.
      return codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f) ? `a control character (${hex})` : `"${char}" (${hex})`;
    }
  }
  return undefined;
}

/**
 * Throws INVALID_INPUT unless `text` (a public fact such as a holder name, key name or address: it is quoted in
 * the error) can be printed on a sheet. Never call it with a secret.
 */
export function checkSheetText(what: string, text: string): void {
  if (text.length > MAX_SHEET_TEXT) {
    throw new CustodianError('INVALID_INPUT', `The ${what} is longer than ${MAX_SHEET_TEXT} characters, too long for a share sheet.`, {
      hint: `Shorten the ${what}.`,
    });
  }
  const bad = unprintableCharacter(text);
  if (bad) {
    throw new CustodianError('INVALID_INPUT', `The ${what} "${sanitize(text)}" contains ${bad}, which the share sheet's standard PDF fonts cannot print.`, {
      hint: `Write the ${what} in Western European letters (ASCII and Latin-1: é, ü, ß, ø, ... are fine), e.g. "Lukasz" for "Łukasz"; nothing was written.`,
    });
  }
}

/** The text with control characters replaced, so that an error message quoting it cannot garble a terminal. */
function sanitize(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** Greedy word wrap of public text to a width, with a measuring function from the font. */
export function wrapText(text: string, maxWidth: number, widthOf: (text: string) => number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      const candidate = line ? `${line} ${word}` : word;
      if (line && widthOf(candidate) > maxWidth) {
        lines.push(line);
        line = word;
      } else {
        line = candidate;
      }
    }
    lines.push(line);
  }
  return lines;
}
