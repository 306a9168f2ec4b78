/**
 * The clipboard port on Electron's clipboard: the text and the platform's concealed formats
 * (src-main/app/clipboard.ts concealedFormats) go in one ClipboardItem, which Electron commits to the system
 * clipboard atomically, so there is never a moment when the secret is on the clipboard without its marks.
 * Raw platform formats use Electron's `electron application/osclipboard;format="<name>"` custom format.
 */
import { clipboard, ClipboardItem } from 'electron';
import { concealedFormats, type ClipboardPort } from '../app/clipboard.js';

export function osFormat(name: string): string {
  return `electron application/osclipboard;format="${name}"`;
}

/** The MIME-type -> payload map written for one copy (exported for the tests). */
export function clipboardPayload(text: string, platform: NodeJS.Platform): Record<string, string | Blob> {
  const payload: Record<string, string | Blob> = { 'text/plain': text };
  for (const format of concealedFormats(platform)) payload[osFormat(format.name)] = new Blob([Uint8Array.from(format.data)]);
  return payload;
}

export function electronClipboard(platform: NodeJS.Platform = process.platform): ClipboardPort {
  return {
    writeText: (text) => clipboard.write([new ClipboardItem(clipboardPayload(text, platform))]),
    readText: () => clipboard.readText(),
    clear: () => clipboard.clear(),
  };
}
