/**
 * A share as a holder typed it in the window, as bytes. Shares are shown in groups ("abcd efgh …") so that
 * holders can read and type them back; the groups' spaces are dropped here. An ASCII-armoured PGP message keeps
 * its line structure (only its ends are trimmed by the decoder).
 *
 * The text arrives as a JS string (IPC carries JSON) and cannot be wiped; the Buffer made here is, by the caller.
 */
export function typedShareBytes(text: string, armoured: boolean): Buffer {
  const raw = Buffer.from(text, 'utf8');
  if (armoured) return raw;
  let length = 0;
  for (const byte of raw) {
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) raw[length++] = byte;
  }
  const compact = Buffer.from(raw.subarray(0, length));
  raw.fill(0);
  return compact;
}
