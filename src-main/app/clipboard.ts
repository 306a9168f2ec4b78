/**
 * Copies for the app with auto-clear: whatever Key Custodian puts on the clipboard is removed after the
 * configured delay, unless the user has copied something else meanwhile. The system clipboard itself is a
 * port (Electron's `clipboard` in the app, an in-memory one in the test bridge).
 *
 * The clipboard only takes strings, so a copied key exists as a JS string here until the timer fires; it
 * cannot be wiped (docs/security.md).
 */
export interface ClipboardPort {
  writeText(text: string): Promise<void>;
  readText(): Promise<string>;
  clear(): void | Promise<void>;
}

export class AutoClearClipboard {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private copied: string | undefined;

  constructor(private readonly port: ClipboardPort) {}

  async copy(text: string, clearAfterSeconds: number): Promise<void> {
    this.cancel();
    await this.port.writeText(text);
    this.copied = text;
    this.timer = setTimeout(() => void this.clearNow(), clearAfterSeconds * 1000);
    this.timer.unref?.();
  }

  /** Clears now if the clipboard still holds what we put there (timer, idle lock, quit). */
  async clearNow(): Promise<void> {
    const copied = this.copied;
    this.cancel();
    // Leave the clipboard alone if the user copied something else since.
    if (copied !== undefined && (await this.port.readText()) === copied) await this.port.clear();
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.copied = undefined;
  }
}

/** For the test bridge and unit tests. */
export class MemoryClipboard implements ClipboardPort {
  text = '';
  async writeText(text: string): Promise<void> { this.text = text; }
  async readText(): Promise<string> { return this.text; }
  clear(): void { this.text = ''; }
}
