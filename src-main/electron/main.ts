/**
 * Electron main process: lifecycle, single-instance lock, session hardening, the app:// scheme, IPC.
 * The core runs here in plain Node, behind the handler table (src-main/app/table.ts).
 */
import { app, BrowserWindow, clipboard, Notification, session } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAppCore, type AppCore } from '../app/table.js';
import { electronDialogs } from './dialogs.js';
import { registerIpc } from './ipc.js';
import { registerAppScheme, serveRenderer } from './protocol.js';
import { createMainWindow } from './window.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src-main/electron -> dist/ */
const distDir = join(here, '..', '..');
const development = !app.isPackaged && process.env['CUSTODIAN_DEV'] === '1';
const log = (line: string): void => { process.stderr.write(`[key-custodian] ${line}\n`); };

// Privileged schemes must be registered before the app is ready.
registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  // Another Key Custodian is running: it gets focus (second-instance below) and this one leaves at once.
  app.quit();
} else {
  const windowIds = new Set<number>();
  let core: AppCore | undefined;
  let mainWindow: BrowserWindow | undefined;

  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  // No webview, no remote content, no new windows from any web contents, whoever creates them.
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  app.whenReady().then(() => {
    const appSession = session.defaultSession;
    appSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    appSession.setPermissionCheckHandler(() => false);
    appSession.setDevicePermissionHandler(() => false);
    // The renderer talks to nothing on the network: everything goes through IPC to main.
    appSession.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] }, (_details, callback) => callback({ cancel: true }));

    serveRenderer(join(distDir, 'renderer'));
    core = createAppCore({
      env: process.env,
      clipboard: {
        writeText: (text) => clipboard.writeText(text),
        readText: () => clipboard.readText(),
        clear: () => clipboard.clear(),
      },
      notify: (title, body) => {
        if (Notification.isSupported()) new Notification({ title, body, silent: false }).show();
      },
      dialogs: electronDialogs(() => mainWindow),
    });
    registerIpc(core.table, windowIds, log);

    mainWindow = createMainWindow({ preloadPath: join(here, 'preload.cjs'), development });
    const id = mainWindow.webContents.id;
    windowIds.add(id);
    mainWindow.on('closed', () => {
      windowIds.delete(id);
      mainWindow = undefined;
    });
  }).catch((error: unknown) => {
    log(`could not start: ${error instanceof Error ? error.message : String(error)}`);
    app.exit(1);
  });

  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => {
    void core?.dispose();
  });
}
