/**
 * The handler table: one function per contract action, with the real core behind it. Electron's ipcMain
 * registers it (src-main/electron/ipc.ts) and the end-to-end test bridge serves the same table over loopback
 * HTTP, so the only untested glue is the few lines that hand calls from ipcMain to `dispatch`.
 *
 * Pure Node: no electron import. Everything platform-specific (clipboard, notifications, badge, Touch ID) comes
 * in as a port. Two things live here for the whole process rather than for a window: the lock (with the presence
 * check, presence/) and the watchers (watchers.ts), so that neither a reload nor the screen shown changes them.
 */
import { readFileSync } from 'node:fs';
import type { AppInfo, SessionState, Settings } from '../../src-shared/contract.js';
import { FileAuditLog, setDefaultAuditSource } from '../core/audit.js';
import { isCustodianError } from '../core/errors.js';
import { keychainTimeoutMs, openKeyStore, OsKeychain, type KeyStore, type SecretStore } from '../core/keystore/index.js';
import { custodianHome, keychainService } from '../core/paths.js';
import { VaultProfiles } from '../core/vault/index.js';
import { AutoClearClipboard, type ClipboardPort } from './clipboard.js';
import { NO_DIALOGS, type DialogPort } from './dialogs.js';
import type { HandlerTable } from './dispatch.js';
import { auditHandlers } from './handlers/audit.js';
import { backupHandlers } from './handlers/backup.js';
import { fernetHandlers } from './handlers/fernet.js';
import { guardTable } from './guard.js';
import { keychainVerifierStore, Presence, PRESENCE_GRACE_MS, type TouchIdPort, type VerifierStore } from './presence/presence.js';
import { SessionLock } from './presence/session-lock.js';
import { AttemptThrottle, throttleFile } from './presence/throttle.js';
import { Watchers, type WatchClock } from './watchers.js';
import { keyHandlers } from './handlers/keys.js';
import { serverHandlers } from './handlers/servers.js';
import { custodianIdentityHandlers } from './handlers/custodian-identity.js';
import { incidentHandlers } from './handlers/incident.js';
import { rotationHandlers } from './handlers/rotation.js';
import { vaultHandlers } from './handlers/vault.js';
import { vaultAdminHandlers } from './handlers/vault-admin.js';
import { vaultKvHandlers } from './handlers/vault-kv.js';
import { vaultSetupHandlers } from './handlers/vault-setup.js';
import { settingsFile } from './settings.js';

export interface AppServices {
  env: NodeJS.ProcessEnv;
  clipboard: ClipboardPort;
  /** Shows a desktop notification (Electron's Notification in the app). */
  notify(title: string, body: string): void;
  /** File and directory dialogs (Electron's dialog.* in the app; a test directory in the e2e bridge). Absent: every choice is cancelled. */
  dialogs?: DialogPort;
  /** Dock/taskbar badge: how many servers are locked and nodes sealed (Electron's app.setBadgeCount). */
  badge?(count: number): void;
  /** Touch ID, where the Mac has it (Electron's systemPreferences); absent elsewhere. */
  touchId?: TouchIdPort;
  /** Where the unlock passphrase's verifier is kept; the OS keychain unless a test says otherwise. */
  verifiers?: VerifierStore;
  /** Where the audit log's signing key and latest checkpoint are kept; the OS keychain unless a test says otherwise. */
  auditSecrets?: SecretStore;
  /** Clock for the watchers (tests). */
  watchClock?: WatchClock;
  /**
   * Start locked when presence can be asked for (an unlock passphrase is set, or Touch ID): the desktop app does,
   * so quitting and restarting it is no way around the idle lock. (The first run has nothing to ask for and starts
   * unlocked, at the screen that sets the passphrase.)
   */
  startLocked?: boolean;
}

export interface AppCore {
  table: HandlerTable;
  /** Ceremonies and hand-outs open in main: the window asks before it closes or reloads while above 0. */
  openCeremonies(): number;
  /** Locks the app (OS screen lock, suspend): clears the clipboard, forgets presence. */
  lock(): Promise<void>;
  /** Clears what the app put on the clipboard, if it is still there (quit). */
  clearClipboard(): Promise<void>;
  /** Stops the watchers, ends open ceremonies (wiping what they hold) and clears the clipboard. */
  dispose(): Promise<void>;
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
  setDefaultAuditSource('app'); // every log the app opens (the key store's too) says "source":"app"
  const audit = new FileAuditLog(home, { source: 'app', secrets: services.auditSecrets ?? new OsKeychain(keychainService(services.env), { timeoutMs: keychainTimeoutMs(services.env) }) });
  const clipboard = new AutoClearClipboard(services.clipboard);
  let keyStore: KeyStore | undefined;
  const keys = (): KeyStore => (keyStore ??= openKeyStore(services.env));
  const vault = vaultHandlers({ env: services.env, home, audit });
  const backup = backupHandlers({ env: services.env, home, keys, audit, dialogs: services.dialogs ?? NO_DIALOGS });
  const servers = serverHandlers({ env: services.env, home, audit, keys });
  const rotation = rotationHandlers({ env: services.env, home, audit, keys });
  const presence = new Presence({
    verifiers: services.verifiers ?? keychainVerifierStore(() => new OsKeychain(keychainService(services.env), { timeoutMs: keychainTimeoutMs(services.env) })),
    throttle: new AttemptThrottle(throttleFile(home)),
    touchId: services.touchId,
  });
  const session = new SessionLock(presence, () => clipboard.clearNow());
  const profiles = new VaultProfiles(home);
  const watchers = new Watchers({
    servers: () => servers.serverStatus({}),
    profiles: async () => (await profiles.list()).map((p) => p.name),
    vaultStatus: (profile) => vault.handlers.vaultStatus({ addrs: [], profile }),
    intervalSeconds: async () => (await settings.read()).watchIntervalSeconds,
    notify: services.notify,
    badge: services.badge ?? (() => {}),
    ...(services.watchClock ? { clock: services.watchClock } : {}),
  });
  /** Vault ceremonies and backup hand-outs that would lose something if the window went now. */
  const openCeremonies = (): number => vault.openCount() + backup.openHandouts();
  const sessionState = async (): Promise<SessionState> => ({ locked: session.locked, presence: await presence.view(), openCeremonies: openCeremonies() });
  /** A passphrase from the window becomes a Buffer at once and is wiped after the check (the JS string cannot be). */
  const withBytes = async <T>(text: string | undefined, use: (bytes: Buffer | undefined) => Promise<T>): Promise<T> => {
    const bytes = text === undefined ? undefined : Buffer.from(text, 'utf8');
    try { return await use(bytes); } finally { bytes?.fill(0); }
  };

  const table: HandlerTable = {
    appInfo: async () => ({ version: packageVersion(), features: FEATURES }),
    getSettings: async () => settings.read(),
    saveSettings: async (next: Settings) => {
      await settings.write(next);
      watchers.refresh();
      return next;
    },
    copyText: async ({ text }) => {
      const { clipboardClearSeconds } = await settings.read();
      await clipboard.copy(text, clipboardClearSeconds);
      return { clearsAfterSeconds: clipboardClearSeconds };
    },
    ...keyHandlers({ keys, audit, clipboard, clipboardClearSeconds: async () => (await settings.read()).clipboardClearSeconds }),
    ...fernetHandlers({ keys, audit, dialogs: services.dialogs ?? NO_DIALOGS }),
    ...vault.handlers,
    ...vaultAdminHandlers({ env: services.env, home, audit }),
    ...vaultKvHandlers({ env: services.env, home, audit, revealClearSeconds: async () => (await settings.read()).clipboardClearSeconds }),
    ...vaultSetupHandlers({ env: services.env, home, audit }),
    ...servers,
    // The watchers see a pinned, removed or freshly unlocked server at once rather than one interval later.
    addServer: async (request) => after(await servers.addServer(request)),
    removeServer: async (request) => after(await servers.removeServer(request)),
    pushKey: async (request) => after(await servers.pushKey(request)),
    // Incident response and the custodian life cycle (issue 10 §2): the same core functions as the CLI.
    ...custodianIdentityHandlers({ env: services.env, home, audit }),
    ...withRefresh(incidentHandlers({ env: services.env, home, audit })),
    // Key rotation (issue 11 §5): the same core RotationWorkflow as `custodian rotate`. Push, finish and abort
    // change what servers run: the watchers look again at once.
    ...rotation,
    rotationPush: async (request) => after(await rotation.rotationPush(request)),
    rotationFinish: async (request) => after(await rotation.rotationFinish(request)),
    rotationAbort: async (request) => after(await rotation.rotationAbort(request)),
    sessionState,
    lock: async () => {
      await session.lock();
      await audit.record({ action: 'app.lock', outcome: 'ok', via: 'desktop' });
      return sessionState();
    },
    ...backup.handlers,
    unlock: async ({ passphrase }) => {
      try {
        await withBytes(passphrase, (bytes) => session.unlock(bytes));
      } catch (error) {
        // Failed attempts are worth a line: someone tried to resume this session.
        await audit.record({ action: 'app.unlock', outcome: 'error', code: isCustodianError(error) ? error.code : 'INTERNAL', via: 'desktop' });
        throw error;
      }
      await audit.record({ action: 'app.unlock', outcome: 'ok', via: 'desktop' });
      return sessionState();
    },
    confirmPresence: async ({ passphrase }) => {
      await withBytes(passphrase, (bytes) => presence.confirm(bytes, 'confirm it is you'));
      return { validForSeconds: PRESENCE_GRACE_MS / 1000 };
    },
    setUnlockPassphrase: async ({ passphrase, current }) => {
      await withBytes(passphrase, (next) => withBytes(current, (now) => presence.setPassphrase(next!, now)));
      await audit.record({ action: 'unlock-passphrase.set', outcome: 'ok', via: 'desktop' });
      return sessionState();
    },
    watchState: async () => watchers.state(),
    // The audit log, as `custodian audit log|verify|export`: read with the audit log's own keychain access.
    ...auditHandlers({ home, secrets: audit.secrets, dialogs: services.dialogs ?? NO_DIALOGS }),
  };
  /** A lock or a re-pin changes what the watchers see: they look again at once. */
  function withRefresh(handlers: ReturnType<typeof incidentHandlers>): ReturnType<typeof incidentHandlers> {
    return {
      lockServers: async (request) => after(await handlers.lockServers(request)),
      acceptServerIdentity: async (request) => after(await handlers.acceptServerIdentity(request)),
    };
  }
  function after<T>(value: T): T {
    watchers.refresh();
    return value;
  }

  // Every call waits for this decision, so nothing is answered before the app knows whether it starts locked.
  const started = services.startLocked
    ? presence.view().then((view) => { if (view.passphraseSet || view.method === 'touch-id') session.lockAtStart(); }, () => session.lockAtStart())
    : Promise.resolve();

  watchers.start();
  return {
    table: guardTable(table, session, presence, started),
    openCeremonies,
    lock: () => session.lock(),
    clearClipboard: () => clipboard.clearNow(),
    async dispose() {
      watchers.stop();
      await vault.closeAll();
      backup.closeAll();
      await clipboard.clearNow();
    },
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
