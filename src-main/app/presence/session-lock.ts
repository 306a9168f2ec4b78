/**
 * The app's lock, kept in main: a reload of the window, or a second window, finds it locked as it was. While
 * locked, main refuses every action except the few the lock screen needs (guard.ts). Locking forgets the last
 * presence confirmation and runs the lock hooks (clearing what the app put on the clipboard); resuming needs
 * presence (Touch ID or the unlock passphrase).
 */
import type { Presence } from './presence.js';

export class SessionLock {
  private isLocked = false;

  constructor(private readonly presence: Presence, private readonly onLock: () => Promise<void>) {}

  get locked(): boolean {
    return this.isLocked;
  }

  /** Locked from the start (the app restarted while presence can be asked for): nothing to clear yet. */
  lockAtStart(): void {
    this.isLocked = true;
    this.presence.forget();
  }

  async lock(): Promise<void> {
    this.isLocked = true;
    this.presence.forget();
    await this.onLock();
  }

  /** Throws PRESENCE_REQUIRED (and stays locked) unless presence is confirmed. */
  async unlock(passphrase: Uint8Array | undefined): Promise<void> {
    await this.presence.confirm(passphrase, 'resume Key Custodian');
    this.isLocked = false;
  }
}
