/**
 * The OS user's presence, asked before a key or a share is revealed or copied and to resume from the lock.
 *
 * - macOS with Touch ID: Electron's systemPreferences.canPromptTouchID()/promptTouchID(), through TouchIdPort.
 * - Everywhere else: a local unlock passphrase, chosen in the app and kept only as a scrypt verifier
 *   (verifier.ts) in the OS keychain, with attempt throttling (throttle.ts). Windows Hello has no Electron API
 *   (nothing in Electron reaches UserConsentVerifier), and Electron has no way to show the OS account password
 *   prompt on Linux, so those platforms use the passphrase.
 *
 * Why the keychain and not settings.json: the verifier can be attacked offline (guessing passphrases against
 * it), so it should not travel with the config directory (copied, synced, included in state backups); the
 * keychain is already required for the data keys, and on macOS and Windows it is access-controlled per user
 * and app. Settings.json holds only non-secret preferences.
 *
 * A confirmation stays valid for a short grace period (PRESENCE_GRACE_MS) so that "reveal, then copy" asks
 * once; locking forgets it.
 *
 * Pure Node, no electron import: the Electron main process passes the Touch ID port, the e2e bridge runs
 * the passphrase path as it is.
 */
import { CustodianError } from '../../core/errors.js';
import type { SecretStore } from '../../core/keystore/index.js';
import type { AttemptThrottle } from './throttle.js';
import { checkVerifier, DEFAULT_COST, makeVerifier, type ScryptCost } from './verifier.js';

export const PRESENCE_GRACE_MS = 60_000;
export const MIN_PASSPHRASE_LENGTH = 10;
/** Keychain account of the verifier, next to the data keys and the custodian identity. */
export const VERIFIER_ACCOUNT = 'custodian-unlock-verifier';

export type PresenceMethod = 'touch-id' | 'passphrase';
export interface PresenceView { method: PresenceMethod; passphraseSet: boolean; retryAfterSeconds: number }

/** Electron's Touch ID calls (macOS only). `prompt` rejects when the user cancels or the finger is not recognised. */
export interface TouchIdPort {
  canPrompt(): boolean;
  prompt(reason: string): Promise<void>;
}

export interface VerifierStore {
  get(): Promise<string | undefined>;
  set(verifier: string): Promise<void>;
}

/** The verifier as one OS keychain item. */
export function keychainVerifierStore(secrets: () => SecretStore): VerifierStore {
  return {
    async get() {
      const bytes = await secrets().get(VERIFIER_ACCOUNT);
      if (!bytes) return undefined;
      try { return bytes.toString('utf8'); } finally { bytes.fill(0); }
    },
    async set(verifier) {
      await secrets().set(VERIFIER_ACCOUNT, Buffer.from(verifier, 'utf8'));
    },
  };
}

export class MemoryVerifierStore implements VerifierStore {
  value: string | undefined;
  async get(): Promise<string | undefined> { return this.value; }
  async set(verifier: string): Promise<void> { this.value = verifier; }
}

export interface PresenceDeps {
  verifiers: VerifierStore;
  throttle: AttemptThrottle;
  touchId?: TouchIdPort | undefined;
  now?: () => number;
  graceMs?: number;
  /** scrypt cost for new verifiers (tests use a small one). */
  cost?: ScryptCost;
}

export class Presence {
  private confirmedAt: number | undefined;
  private readonly now: () => number;
  private readonly graceMs: number;

  constructor(private readonly deps: PresenceDeps) {
    this.now = deps.now ?? Date.now;
    this.graceMs = deps.graceMs ?? PRESENCE_GRACE_MS;
  }

  method(): PresenceMethod {
    return this.deps.touchId?.canPrompt() ? 'touch-id' : 'passphrase';
  }

  async view(): Promise<PresenceView> {
    const retry = await this.deps.throttle.remainingMs();
    return { method: this.method(), passphraseSet: (await this.deps.verifiers.get()) !== undefined, retryAfterSeconds: Math.ceil(retry / 1000) };
  }

  /** Within the grace period of the last confirmation. */
  isFresh(): boolean {
    return this.confirmedAt !== undefined && this.now() - this.confirmedAt < this.graceMs;
  }

  forget(): void {
    this.confirmedAt = undefined;
  }

  /**
   * Confirms presence now: Touch ID where the Mac has it, otherwise the passphrase (the caller owns and wipes
   * the buffer). Throws PRESENCE_REQUIRED, with details { method, passphraseSet, retryAfterSeconds? }.
   */
  async confirm(passphrase: Uint8Array | undefined, reason: string): Promise<void> {
    if (this.method() === 'touch-id') {
      try {
        await this.deps.touchId!.prompt(reason);
      } catch {
        throw await this.required('Touch ID did not confirm that it is you.', 'Try again, or use your Mac\'s password in the Touch ID prompt.');
      }
    } else {
      await this.checkPassphrase(passphrase);
    }
    this.confirmedAt = this.now();
  }

  /** For actions that reveal or copy a secret: passes when fresh; prompts Touch ID; otherwise asks for the passphrase. */
  async require(reason: string): Promise<void> {
    if (this.isFresh()) return;
    if (this.method() === 'touch-id') return this.confirm(undefined, reason);
    throw await this.required('Confirm that it is you: type the unlock passphrase.', 'Key Custodian asks before it reveals or copies a key or a share.');
  }

  /** Sets (or changes) the passphrase. Changing it needs the current one, with the same throttling. */
  async setPassphrase(next: Uint8Array, current: Uint8Array | undefined): Promise<void> {
    if (next.length < MIN_PASSPHRASE_LENGTH) {
      throw new CustodianError('INVALID_INPUT', `Use at least ${MIN_PASSPHRASE_LENGTH} characters for the unlock passphrase.`, {
        hint: 'A few unrelated words are easy to type and hard to guess.',
      });
    }
    if ((await this.deps.verifiers.get()) !== undefined) await this.checkPassphrase(current);
    await this.deps.verifiers.set(await makeVerifier(next, this.deps.cost ?? DEFAULT_COST));
    this.confirmedAt = this.now();
  }

  private async checkPassphrase(passphrase: Uint8Array | undefined): Promise<void> {
    const verifier = await this.deps.verifiers.get();
    if (verifier === undefined) {
      throw await this.required('No unlock passphrase is set yet.', 'Choose one in Settings; Key Custodian asks for it before it reveals a secret and to resume after a lock.');
    }
    const wait = await this.deps.throttle.remainingMs();
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw await this.required(`Too many wrong passphrases: wait ${seconds} s before the next try.`, 'The wait doubles with every further wrong passphrase.');
    }
    if (!passphrase || passphrase.length === 0) throw await this.required('Type the unlock passphrase.', 'Key Custodian asks before it reveals or copies a secret.');
    if (!(await checkVerifier(verifier, passphrase))) {
      await this.deps.throttle.failed();
      throw await this.required('That is not the unlock passphrase.', 'Check Caps Lock and the keyboard layout, then try again.');
    }
    await this.deps.throttle.succeeded();
  }

  private async required(message: string, hint: string): Promise<CustodianError> {
    const view = await this.view();
    return new CustodianError('PRESENCE_REQUIRED', message, { hint, details: { ...view } });
  }
}
