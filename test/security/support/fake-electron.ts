/**
 * A recording stand-in for the parts of Electron's main-process API the app uses, so the window factory and the
 * main process wiring can be checked without an Electron binary. It records; it decides nothing.
 */
type Listener = (...args: unknown[]) => unknown;

export const recorded = {
  windows: [] as FakeBrowserWindow[],
  ipcHandlers: new Map<string, Listener>(),
  schemes: [] as unknown[],
  protocolHandlers: new Map<string, Listener>(),
  permissionRequestHandler: undefined as Listener | undefined,
  permissionCheckHandler: undefined as Listener | undefined,
  devicePermissionHandler: undefined as Listener | undefined,
  beforeRequest: undefined as { filter: unknown; listener: Listener } | undefined,
  appListeners: new Map<string, Listener[]>(),
  singleInstanceLock: true,
  quitCalled: false,
  quitCalls: 0,
  /** Items passed to clipboard.write, in order (each a MIME type -> payload map). */
  clipboardWrites: [] as Array<Record<string, unknown>>,
  clipboardText: '',
  clipboardCleared: 0,
  applicationMenu: undefined as unknown,
  badgeCounts: [] as number[],
  powerListeners: new Map<string, Listener[]>(),
  /** What the next dialog.showMessageBoxSync answers (button index), and the dialogs shown. */
  dialogAnswer: 0,
  dialogs: [] as Array<Record<string, unknown>>,
  ready: undefined as undefined | (() => void),
};

class Emitter {
  readonly listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  once(event: string, listener: Listener): this { return this.on(event, listener); }
  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(...args);
  }
}

let nextId = 1;
class FakeWebContents extends Emitter {
  readonly id = nextId++;
  windowOpenHandler: Listener | undefined;
  loadedUrl: string | undefined;
  setWindowOpenHandler(handler: Listener): void { this.windowOpenHandler = handler; }
  closeDevTools(): void {}
}

export class FakeBrowserWindow extends Emitter {
  readonly webContents = new FakeWebContents();
  contentProtection: boolean | undefined;
  constructor(readonly options: Record<string, unknown>) {
    super();
    recorded.windows.push(this);
  }
  backgroundColors: string[] = [];
  setContentProtection(enable: boolean): void { this.contentProtection = enable; }
  setBackgroundColor(color: string): void { this.backgroundColors.push(color); }
  isFocused(): boolean { return true; }
  flashFrame(_flag: boolean): void {}
  async loadURL(url: string): Promise<void> { this.webContents.loadedUrl = url; }
  show(): void {}
  focus(): void {}
  restore(): void {}
  isMinimized(): boolean { return false; }
}

export const BrowserWindow = FakeBrowserWindow;

/** The OS colour scheme as Electron reports it; a test sets shouldUseDarkColors and emits 'updated'. */
class FakeNativeTheme extends Emitter {
  themeSource: 'system' | 'light' | 'dark' = 'light';
  shouldUseDarkColors = false;
  off(event: string, listener: Listener): this {
    this.listeners.set(event, (this.listeners.get(event) ?? []).filter((l) => l !== listener));
    return this;
  }
}
export const nativeTheme = new FakeNativeTheme();

export const app = {
  isPackaged: false,
  requestSingleInstanceLock: () => recorded.singleInstanceLock,
  quit: () => { recorded.quitCalled = true; recorded.quitCalls += 1; },
  setBadgeCount: (count: number) => { recorded.badgeCounts.push(count); return true; },
  exit: () => { recorded.quitCalled = true; },
  on(event: string, listener: Listener) {
    recorded.appListeners.set(event, [...(recorded.appListeners.get(event) ?? []), listener]);
    return app;
  },
  whenReady: () => new Promise<void>((resolve) => { recorded.ready = resolve; }),
};

export const session = {
  defaultSession: {
    setPermissionRequestHandler: (handler: Listener) => { recorded.permissionRequestHandler = handler; },
    setPermissionCheckHandler: (handler: Listener) => { recorded.permissionCheckHandler = handler; },
    setDevicePermissionHandler: (handler: Listener) => { recorded.devicePermissionHandler = handler; },
    webRequest: { onBeforeRequest: (filter: unknown, listener: Listener) => { recorded.beforeRequest = { filter, listener }; } },
  },
};

export const protocol = {
  registerSchemesAsPrivileged: (schemes: unknown[]) => { recorded.schemes.push(...schemes); },
  handle: (scheme: string, handler: Listener) => { recorded.protocolHandlers.set(scheme, handler); },
};

export const net = { fetch: (url: string) => fetch(url) };

export const ipcMain = {
  handle: (channel: string, listener: Listener) => { recorded.ipcHandlers.set(channel, listener); },
  removeHandler: (channel: string) => { recorded.ipcHandlers.delete(channel); },
};

export class ClipboardItem {
  readonly types: string[];
  constructor(readonly items: Record<string, unknown>) { this.types = Object.keys(items); }
}
export const clipboard = {
  write: async (items: ClipboardItem[]) => {
    for (const item of items) recorded.clipboardWrites.push(item.items);
    const text = items[0]?.items['text/plain'];
    recorded.clipboardText = typeof text === 'string' ? text : '';
  },
  writeText: async (text: string) => { recorded.clipboardText = text; },
  readText: async () => recorded.clipboardText,
  clear: () => { recorded.clipboardText = ''; recorded.clipboardCleared += 1; },
};
export const Menu = {
  buildFromTemplate: (template: unknown[]) => ({ template }),
  setApplicationMenu: (menu: unknown) => { recorded.applicationMenu = menu; },
};
export const dialog = {
  showMessageBoxSync: (_window: unknown, options: Record<string, unknown>) => { recorded.dialogs.push(options); return recorded.dialogAnswer; },
  // File dialogs answer "cancelled": nothing in these tests chooses a file.
  showOpenDialog: async () => ({ canceled: true, filePaths: [] as string[] }),
  showSaveDialog: async () => ({ canceled: true, filePath: '' }),
};
export const systemPreferences = { canPromptTouchID: () => false, promptTouchID: async () => {} };
export const powerMonitor = {
  on(event: string, listener: Listener) {
    recorded.powerListeners.set(event, [...(recorded.powerListeners.get(event) ?? []), listener]);
    return powerMonitor;
  },
};
export class Notification { static isSupported(): boolean { return false; } show(): void {} constructor(_: unknown) {} }
export const shell = { openExternal: async () => { throw new Error('the app must not open external URLs'); } };
export default { app, BrowserWindow, nativeTheme, session, protocol, net, ipcMain, clipboard, ClipboardItem, Notification, shell, Menu, dialog, systemPreferences, powerMonitor };
