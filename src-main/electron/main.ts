/**
 * Electron main process: lifecycle, single-instance lock, session hardening, the app:// scheme, IPC, the menu,
 * the quit order (clipboard cleared first) and the OS hooks of the lock (screen lock, suspend) and watchers
 * (notifications, badge). The core runs here in plain Node, behind the handler table (src-main/app/table.ts).
 */
import { app, BrowserWindow, nativeTheme, Notification, powerMonitor, session } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAppCore, type AppCore } from '../app/table.js';
import { electronDialogs } from './dialogs.js';
import { electronClipboard } from './clipboard.js';
import { registerIpc } from './ipc.js';
import { blockReloadShortcuts, leaveGuard, type LeaveGuard } from './leaving.js';
import { installMenu } from './menu.js';
import { clearClipboardBeforeQuit } from './quit.js';
import { touchIdPort } from './touch-id.js';
import { registerAppScheme, serveRenderer } from './protocol.js';
import { createMainWindow } from './window.js';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src-main/electron -> dist/ */
const distDir = join(here, '..', '..');
const development = !app.isPackaged && process.env['CUSTODIAN_DEV'] === '1';
const log = (line: string): void => { process.stderr.write(`[key-custodian] ${line}\n`); };

// Light or dark as the OS says (the renderer follows prefers-color-scheme, which this drives).
nativeTheme.themeSource = 'system';
// Privileged schemes must be registered before the app is ready.
registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  // Another Key Custodian is running: it gets focus (second-instance below) and this one leaves at once.
  app.quit();
} else {
  const windowIds = new Set<number>();
  let core: AppCore | undefined;
  let mainWindow: BrowserWindow | undefined;
  let leaving: LeaveGuard | undefined;

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
    installMenu({ development, platform: process.platform });
    const touchId = touchIdPort();
    core = createAppCore({
      env: process.env,
      clipboard: electronClipboard(),
      notify: (title, body) => {
        if (Notification.isSupported()) new Notification({ title, body, silent: false }).show();
        if (mainWindow && !mainWindow.isFocused()) mainWindow.flashFrame(true);
      },
      dialogs: electronDialogs(() => mainWindow),
      // The dock (macOS) and Unity launchers show it; elsewhere setBadgeCount is a no-op.
      badge: (count) => { app.setBadgeCount(count); },
      ...(touchId ? { touchId } : {}),
      startLocked: true,
    });
    registerIpc(core.table, windowIds, log);
    // The OS screen lock and suspend lock the app too.
    powerMonitor.on('lock-screen', () => { void core?.lock(); });
    powerMonitor.on('suspend', () => { void core?.lock(); });

    mainWindow = createMainWindow({ preloadPath: join(here, 'preload.cjs'), development });
    if (!development) blockReloadShortcuts(mainWindow.webContents);
    const openCore = core;
    leaving = leaveGuard(mainWindow, () => openCore.openCeremonies());
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
  clearClipboardBeforeQuit(app, {
    mayQuit: () => {
      if (!leaving || !mainWindow) return true;
      // Asked once here; the window's own close handler then sees it confirmed.
      return leaving.mayLeave();
    },
    clearClipboard: async () => { await core?.clearClipboard(); },
  });
  app.on('will-quit', () => {
    void core?.dispose();
  });
}
