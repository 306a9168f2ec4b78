/**
 * A secret read from a file or stdin usually ends with the newline the editor or `echo` added. One rule for
 * every such input (key text, passphrases): drop one trailing LF or CRLF, nothing else.
 */

/** A view of `bytes` without one trailing "\n" or "\r\n" (no copy: the caller still owns and wipes `bytes`). */
export function withoutLineEnding(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end -= 1;
  if (end > 0 && bytes[end - 1] === 0x0d) end -= 1;
  return bytes.subarray(0, end);
}
