import { CustodianError } from '../errors.js';
import { keychainService } from '../paths.js';
import { probeSessionBus } from './dbus-probe.js';
import type { SecretStore } from './secret-store.js';

type KeyringModule = typeof import('@napi-rs/keyring');
type AsyncEntry = InstanceType<KeyringModule['AsyncEntry']>;

/**
 * Longest we wait for one keychain call. Failures (no Secret Service, locked collection) arrive in milliseconds;
 * the wait only matters when the keychain shows an unlock prompt to a person, or hangs. Override with
 * CUSTODIAN_KEYCHAIN_TIMEOUT (seconds).
 */
export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 20_000;

/**
 * The OS keychain through @napi-rs/keyring: macOS Keychain, Windows Credential Manager, or the freedesktop
 * Secret Service on Linux (gnome-keyring, KWallet, KeePassXC). One item per key: service = the keychain
 * service name (`key-custodian`, or CUSTODIAN_KEYCHAIN_SERVICE), account = the key id.
 *
 * On Linux the entry is pinned to the Secret Service. The library's default would fall back to the kernel
 * keyring, which forgets everything at logout: a key "saved" there would silently vanish.
 *
 * @napi-rs/keyring connects to the session D-Bus once per process, with the DBUS_SESSION_BUS_ADDRESS it sees at
 * that first call; later changes to process.env are not noticed.
 */
export class OsKeychain implements SecretStore {
  private readonly timeoutMs: number;
  private readonly onTimeout: (() => void) | undefined;

  /**
   * `onTimeout` runs when a call is abandoned. The native call cannot be cancelled once it runs and keeps the
   * event loop alive; a command-line process uses the hook to exit after reporting the error instead of hanging.
   */
  constructor(readonly service: string = keychainService(), options: { timeoutMs?: number; onTimeout?: () => void } = {}) {
    this.timeoutMs = options.timeoutMs ?? keychainTimeoutMs(process.env);
    this.onTimeout = options.onTimeout;
  }

  async set(account: string, secret: Uint8Array): Promise<void> {
    await this.call('store the key in', account, (entry, signal) => entry.setSecret(secret, signal));
  }

  async get(account: string): Promise<Buffer | null> {
    const numbers = await this.call('read the key from', account, (entry, signal) => entry.getSecret(signal).catch(absentAs(null)));
    if (numbers === null) return null;
    const bytes = Buffer.from(numbers);
    numbers.fill(0); // the binding hands the secret over as a plain array: wipe that copy too
    return bytes;
  }

  async delete(account: string): Promise<boolean> {
    return this.call('delete the key from', account, (entry, signal) => entry.deleteCredential(signal).catch(absentAs(false)));
  }

  private async call<T>(what: string, account: string, operation: (entry: AsyncEntry, signal: AbortSignal) => Promise<T>): Promise<T> {
    const keyring = await loadBinding();
    await this.checkBusAnswers(what);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        this.onTimeout?.();
        reject(new CustodianError('KEYCHAIN_UNAVAILABLE', `The OS keychain did not answer within ${Math.round(this.timeoutMs / 1000)} s when asked to ${what} it.`, {
          hint: 'If the keychain shows an unlock prompt, answer it and retry; otherwise restart the keychain service (gnome-keyring, KWallet, KeePassXC) or your desktop session.',
        }));
      }, this.timeoutMs);
      timer.unref();
    });
    try {
      const entry = new keyring.AsyncEntry(this.service, account, { linux: { store: 'secret-service' } });
      return await Promise.race([operation(entry, controller.signal), timeout]);
    } catch (error) {
      throw keychainError(error, what);
    } finally {
      clearTimeout(timer);
    }
  }

  /** See dbus-probe.ts: a bus that never answers would otherwise freeze the process inside the native library. */
  private async checkBusAnswers(what: string): Promise<void> {
    if (process.platform !== 'linux') return;
    const address = process.env['DBUS_SESSION_BUS_ADDRESS'];
    busProbes[address ?? ''] ??= probeSessionBus(address, Math.min(this.timeoutMs, 5000));
    if (await busProbes[address ?? ''] === 'silent') {
      throw new CustodianError('KEYCHAIN_UNAVAILABLE', `The session D-Bus did not answer, so Key Custodian could not ${what} the OS keychain.`, {
        hint: 'DBUS_SESSION_BUS_ADDRESS points at a bus that does not respond: log in again, restart the session bus, or unset the variable and retry.',
      });
    }
  }
}

/** One probe per bus address and process: the library, too, connects only once. */
const busProbes: Record<string, Promise<string>> = {};

/**
 * The binding normally reports a missing item as null / false, but some platform stores answer with a
 * "no result found" / NoEntry error instead: that, too, means the item is not there.
 */
function absentAs<T>(value: T): (error: unknown) => T {
  return (error: unknown) => {
    if (error instanceof Error && /no result found|NoEntry|No matching entry/i.test(error.message)) return value;
    throw error;
  };
}

let binding: Promise<KeyringModule> | undefined;

/** Loaded on first use, so a missing native binary becomes a clear error instead of a crash at startup. */
function loadBinding(): Promise<KeyringModule> {
  binding ??= import('@napi-rs/keyring').catch((cause: unknown) => {
    binding = undefined;
    throw new CustodianError('KEYCHAIN_UNAVAILABLE', `The OS keychain library (@napi-rs/keyring) has no native binary for ${process.platform}-${process.arch}.`, {
      hint: 'Reinstall dependencies on this machine (`npm ci`); prebuilt binaries exist for macOS, Windows and glibc/musl Linux on x64 and arm64.',
      cause,
    });
  });
  return binding;
}

export function keychainTimeoutMs(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env['CUSTODIAN_KEYCHAIN_TIMEOUT']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_KEYCHAIN_TIMEOUT_MS;
}

const NO_SECRET_SERVICE_HINT =
  'No Secret Service on the session D-Bus: install and start gnome-keyring (or KeePassXC with its Secret Service integration, or KWallet), '
  + 'or run inside a desktop session. Over SSH, start one with `dbus-run-session -- sh -c \'gnome-keyring-daemon --unlock --components=secrets; ...\'`.';

/**
 * Turns the binding's errors (all code GenericFailure; the message says what happened) into CustodianErrors that
 * say what is missing and how to fix it. The binding's text is kept as the cause only: it is not secret, but it is
 * not written for users either.
 */
export function keychainError(error: unknown, what: string): CustodianError {
  if (error instanceof CustodianError) return error;
  const text = error instanceof Error ? error.message : String(error);
  if (/unlock prompt was dismissed|locked|prompt/i.test(text)) {
    return new CustodianError('KEYCHAIN_LOCKED', `The OS keychain is locked, so Key Custodian could not ${what} it.`, {
      hint: 'Unlock your keyring (for example in Seahorse / "Passwords and Keys", or by logging in to the desktop session) and retry.',
      cause: error,
    });
  }
  if (/DBus error|D-Bus|org\.freedesktop\.secrets|ServiceUnknown|autolaunch|Failed to connect|AccessDenied|platform storage/i.test(text)) {
    return new CustodianError('KEYCHAIN_UNAVAILABLE', `No OS keychain is available, so Key Custodian could not ${what} it. Nothing was written to disk instead.`, {
      hint: process.platform === 'linux' ? NO_SECRET_SERVICE_HINT : 'Make sure you are logged in to a desktop session whose keychain Key Custodian may use, then retry.',
      cause: error,
    });
  }
  if (/denied|not allowed|permission|authori[sz]/i.test(text)) {
    return new CustodianError('KEYCHAIN_UNAVAILABLE', `The OS keychain refused access, so Key Custodian could not ${what} it.`, {
      hint: 'Allow Key Custodian (or node) to use the keychain when the system asks, or check the keychain\'s access settings.',
      cause: error,
    });
  }
  return new CustodianError('KEYCHAIN_UNAVAILABLE', `The OS keychain failed, so Key Custodian could not ${what} it.`, {
    hint: 'Check that the keychain service is running and unlocked, then retry.',
    cause: error,
  });
}
