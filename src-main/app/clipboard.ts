/**
 * Copies for the app with auto-clear: whatever Key Custodian puts on the clipboard is removed after the
 * configured delay, unless the user has copied something else meanwhile. The system clipboard itself is a
 * port (Electron's `clipboard` in the app, an in-memory one in the test bridge).
 *
 * The clipboard only takes strings, so a copied key exists as a JS string here until the timer fires; it
 * cannot be wiped (docs/security.md).
 *
 * Every write also carries the platform's "this is a secret" formats (concealedFormats below), in the same
 * clipboard transaction as the text, so clipboard history and clipboard managers leave it alone.
 */

/** A raw platform clipboard format written next to the text: its OS name and its bytes. */
export interface ClipboardFormat { name: string; data: Uint8Array }

/** A Windows DWORD 0, as the "Can…" formats expect. */
const DWORD_ZERO = new Uint8Array(4);

/**
 * The formats password managers write next to a secret, per platform:
 * - Windows: `ExcludeClipboardContentFromMonitorProcessing` (clipboard monitors skip it),
 *   `CanIncludeInClipboardHistory` = DWORD 0 (not in Win+V history) and `CanUploadToCloudClipboard` = DWORD 0
 *   (not synced to other devices), as Microsoft's clipboard documentation describes. Bitwarden's desktop app
 *   does this through arboard's `exclude_from_cloud().exclude_from_history()`
 *   (bitwarden/clients apps/desktop/desktop_native/core/src/clipboard.rs).
 * - macOS: `org.nspasteboard.ConcealedType` (nspasteboard.org): clipboard managers do not record it. Only the
 *   type's presence counts, so it carries no copy of the secret. KeePassXC marks its copies with it
 *   (keepassxreboot/keepassxc src/gui/Clipboard.cpp) and Bitwarden through arboard's `exclude_from_history()`.
 * - Linux/BSD: `x-kde-passwordManagerHint` = `secret`: Klipper, GNOME and wl-clipboard-based managers skip it.
 *   KeePassXC writes exactly this (same file), and Bitwarden through arboard's Linux `exclude_from_history()`.
 */
export function concealedFormats(platform: NodeJS.Platform): ClipboardFormat[] {
  if (platform === 'win32') {
    return [
      { name: 'ExcludeClipboardContentFromMonitorProcessing', data: DWORD_ZERO },
      { name: 'CanIncludeInClipboardHistory', data: DWORD_ZERO },
      { name: 'CanUploadToCloudClipboard', data: DWORD_ZERO },
    ];
  }
  if (platform === 'darwin') return [{ name: 'org.nspasteboard.ConcealedType', data: new Uint8Array(0) }];
  return [{ name: 'x-kde-passwordManagerHint', data: new TextEncoder().encode('secret') }];
}

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

/** For the test bridge and unit tests: keeps the text and the concealed formats a real port would write. */
export class MemoryClipboard implements ClipboardPort {
  text = '';
  formats: string[] = [];
  constructor(private readonly platform: NodeJS.Platform = process.platform) {}
  async writeText(text: string): Promise<void> {
    this.text = text;
    this.formats = concealedFormats(this.platform).map((f) => f.name);
  }
  async readText(): Promise<string> { return this.text; }
  clear(): void {
    this.text = '';
    this.formats = [];
  }
}
