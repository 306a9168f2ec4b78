/**
 * The one window factory. Every BrowserWindow of the app comes from here, hardened the same way:
 * sandboxed renderer with context isolation and no Node, our preload only, no navigation away from the app,
 * no new windows, no permissions, content protection against screen capture, devtools only in development.
 */
import { BrowserWindow, nativeTheme } from 'electron';
import { APP_ORIGIN } from '../../src-shared/csp.js';
import { WINDOW_BACKGROUND } from '../../src-shared/theme.js';

export interface WindowOptions {
  preloadPath: string;
  development: boolean;
}

export function createMainWindow(options: WindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1180,
    height: 820,
    minWidth: 900,
    minHeight: 640,
    show: false,
    title: 'Key Custodian',
    // The OS colour scheme (themeSource 'system', set in main.ts), so nothing flashes white on a dark desktop.
    backgroundColor: nativeTheme.shouldUseDarkColors ? WINDOW_BACKGROUND.dark : WINDOW_BACKGROUND.light,
    webPreferences: {
      preload: options.preloadPath,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: options.development,
      safeDialogs: true,
      // Middle-click must not open links in new windows (Electronegativity AUXCLICK_JS_CHECK).
      disableBlinkFeatures: 'Auxclick',
    },
  });

  // Shares and keys are on screen during ceremonies: keep them out of screen capture and screen sharing.
  window.setContentProtection(true);
  // The OS switched between light and dark: the page follows through prefers-color-scheme, the window here.
  const followTheme = (): void => window.setBackgroundColor(nativeTheme.shouldUseDarkColors ? WINDOW_BACKGROUND.dark : WINDOW_BACKGROUND.light);
  nativeTheme.on('updated', followTheme);
  window.on('closed', () => nativeTheme.off('updated', followTheme));

  const contents = window.webContents;
  // The app has no links to the outside and never opens a second window.
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame) event.preventDefault();
  });
  if (!options.development) {
    contents.on('devtools-opened', () => contents.closeDevTools());
  }

  window.once('ready-to-show', () => window.show());
  void window.loadURL(`${APP_ORIGIN}/index.html`);
  return window;
}
