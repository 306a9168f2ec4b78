/**
 * One self-overwriting progress line on a terminal's stderr ("\r" + erase line), redrawn at most a few times a
 * second so a fast loop does not spend its time drawing. Only for terminals: the caller checks isTTY (and --json).
 */
const REDRAW_MS = 200;

export class ProgressLine {
  #last = 0;
  #drawn = false;

  constructor(private readonly stream: NodeJS.WritableStream, private readonly totalBytes?: number) {}

  update(tokens: number, bytes: number): void {
    const now = Date.now();
    if (now - this.#last < REDRAW_MS) return;
    this.#last = now;
    const done = this.totalBytes ? `, ${megabytes(bytes)} of ${megabytes(this.totalBytes)} (${Math.floor((100 * bytes) / this.totalBytes)}%)` : `, ${megabytes(bytes)}`;
    this.stream.write(`\r\x1b[Krotating: ${tokens.toLocaleString('en-US')} tokens${done}`);
    this.#drawn = true;
  }

  /** Erases the line (the command's result or error follows on a clean line). */
  clear(): void {
    if (this.#drawn) this.stream.write('\r\x1b[K');
    this.#drawn = false;
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
