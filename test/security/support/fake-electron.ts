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
  setContentProtection(enable: boolean): void { this.contentProtection = enable; }
  async loadURL(url: string): Promise<void> { this.webContents.loadedUrl = url; }
  show(): void {}
  focus(): void {}
  restore(): void {}
  isMinimized(): boolean { return false; }
}

export const BrowserWindow = FakeBrowserWindow;

export const app = {
  isPackaged: false,
  requestSingleInstanceLock: () => recorded.singleInstanceLock,
  quit: () => { recorded.quitCalled = true; },
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

export const clipboard = { writeText: async () => {}, readText: async () => '', clear: () => {} };
export class Notification { static isSupported(): boolean { return false; } show(): void {} constructor(_: unknown) {} }
/** Dialogs answer "cancelled": nothing in these tests chooses a file. */
export const dialog = {
  showOpenDialog: async () => ({ canceled: true, filePaths: [] as string[] }),
  showSaveDialog: async () => ({ canceled: true, filePath: '' }),
};
export const shell = { openExternal: async () => { throw new Error('the app must not open external URLs'); } };
export default { app, BrowserWindow, session, protocol, net, ipcMain, clipboard, Notification, dialog, shell };
