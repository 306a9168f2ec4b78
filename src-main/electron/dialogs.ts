/**
 * The dialog port (src-main/app/dialogs.ts) on Electron's native dialogs, attached to the main window so they
 * are modal to it. Kept to the calls themselves: everything else about backups is in the app layer, tested
 * through the e2e bridge.
 */
import { dialog, type BrowserWindow, type FileFilter } from 'electron';
import type { DialogPort } from '../app/dialogs.js';

export function electronDialogs(window: () => BrowserWindow | undefined): DialogPort {
  const filters = (extensions: string[] | undefined): FileFilter[] =>
    extensions && extensions.length > 0 ? [{ name: extensions.join(', '), extensions }, { name: 'All files', extensions: ['*'] }] : [];
  const parent = (): BrowserWindow => {
    const current = window();
    if (!current) throw new Error('no window');
    return current;
  };
  return {
    async chooseDirectory({ title }) {
      const result = await dialog.showOpenDialog(parent(), { title, properties: ['openDirectory', 'createDirectory', 'dontAddToRecent'] });
      return result.canceled ? undefined : result.filePaths[0];
    },
    async chooseSaveFile({ title, defaultName, extensions }) {
      const result = await dialog.showSaveDialog(parent(), {
        title, defaultPath: defaultName, filters: filters(extensions), properties: ['createDirectory', 'showOverwriteConfirmation', 'dontAddToRecent'],
      });
      return result.canceled ? undefined : result.filePath;
    },
    async chooseOpenFile({ title, extensions }) {
      const result = await dialog.showOpenDialog(parent(), { title, filters: filters(extensions), properties: ['openFile', 'dontAddToRecent'] });
      return result.canceled ? undefined : result.filePaths[0];
    },
  };
}
