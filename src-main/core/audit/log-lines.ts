/** Splits audit.log's bytes into complete lines and a torn tail (bytes after the last newline). */
export interface LogLines {
  lines: Buffer[];
  /** Byte offset where each line starts; offsets[lines.length] is where the torn tail (if any) starts. */
  offsets: number[];
  torn: Buffer | null;
}

export function splitLog(bytes: Buffer): LogLines {
  const lines: Buffer[] = [];
  const offsets: number[] = [];
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(0x0a, start);
    if (end < 0) break;
    offsets.push(start);
    lines.push(bytes.subarray(start, end));
    start = end + 1;
  }
  offsets.push(start);
  return { lines, offsets, torn: start < bytes.length ? bytes.subarray(start) : null };
}
