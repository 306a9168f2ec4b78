/**
 * The handler table: one function per contract action, with the real core behind it. Electron's ipcMain
 * registers it (src-main/electron/ipc.ts) and the end-to-end test bridge serves the same table over loopback
 * HTTP, so the only untested glue is the few lines that hand calls from ipcMain to `dispatch`.
 *
 * Pure Node: no electron import. Everything platform-specific (clipboard, notifications) comes in as a port.
 */
import { readFileSync } from 'node:fs';
import type { AppInfo, Settings } from '../../src-shared/contract.js';
import { FileAuditLog } from '../core/audit.js';
import { openKeyStore, type KeyStore } from '../core/keystore/index.js';
import { custodianHome } from '../core/paths.js';
import { AutoClearClipboard, type ClipboardPort } from './clipboard.js';
import type { DialogPort } from './dialogs.js';
import type { HandlerTable } from './dispatch.js';
import { backupHandlers } from './handlers/backup.js';
import { keyHandlers } from './handlers/keys.js';
import { serverHandlers } from './handlers/servers.js';
import { vaultHandlers } from './handlers/vault.js';
import { settingsFile } from './settings.js';

export interface AppServices {
  env: NodeJS.ProcessEnv;
  clipboard: ClipboardPort;
  /** Shows a desktop notification (Electron's Notification in the app). */
  notify(title: string, body: string): void;
  /** File and directory dialogs (Electron's dialog.* in the app; a test directory in the e2e bridge). */
  dialogs: DialogPort;
}

export interface AppCore {
  table: HandlerTable;
  /** Ends open ceremonies (wiping what they hold) and clears what the app put on the clipboard. */
  dispose(): Promise<void>;
  /** Open SLIP-39 hand-outs: the window asks before it unloads while one is open. */
  openHandouts(): number;
}

/** Every core module is part of this build. (A screen whose module is missing says so, from here.) */
const FEATURES: AppInfo['features'] = {
  keys: { available: true },
  vault: { available: true },
  push: { available: true },
};

export function createAppCore(services: AppServices): AppCore {
  const home = custodianHome(services.env);
  const settings = settingsFile(home);
  const audit = new FileAuditLog(home);
  const clipboard = new AutoClearClipboard(services.clipboard);
  let keyStore: KeyStore | undefined;
  const keys = (): KeyStore => (keyStore ??= openKeyStore(services.env));
  const vault = vaultHandlers({ env: services.env, home, audit });
  const backup = backupHandlers({ env: services.env, home, keys, audit, dialogs: services.dialogs });

  const table: HandlerTable = {
    appInfo: async () => ({ version: packageVersion(), features: FEATURES }),
    getSettings: async () => settings.read(),
    saveSettings: async (next: Settings) => {
      await settings.write(next);
      return next;
    },
    copyText: async ({ text }) => {
      const { clipboardClearSeconds } = await settings.read();
      await clipboard.copy(text, clipboardClearSeconds);
      return { clearsAfterSeconds: clipboardClearSeconds };
    },
    ...keyHandlers({ keys, audit, clipboard, clipboardClearSeconds: async () => (await settings.read()).clipboardClearSeconds }),
    ...vault.handlers,
    ...serverHandlers({ env: services.env, home, audit, keys }),
    notifyServerLocked: async ({ name }) => {
      services.notify('Server locked', `${name} is locked: it restarted and waits for its data key.`);
      return {};
    },
    ...backup.handlers,
  };

  return {
    table,
    async dispose() {
      await vault.closeAll();
      backup.closeAll();
      await clipboard.clearNow();
    },
    openHandouts: backup.openHandouts,
  };
}

let version: string | undefined;
function packageVersion(): string {
  if (!version) {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    version = pkg.version ?? '0.0.0';
  }
  return version;
}
