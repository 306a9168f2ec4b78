/**
 * Attempt throttling for the unlock passphrase. The first few wrong answers cost nothing (typos happen);
 * after that each further attempt must wait, doubling from 5 s up to 15 minutes. A right answer resets it.
 *
 * The state is kept in a small file in the custodian home, so quitting and restarting the app does not reset
 * the wait. It holds counts and times only.
 */
import { join } from 'node:path';
import { JsonFile } from '../../core/storage/json-file.js';

export const FREE_ATTEMPTS = 3;
const FIRST_WAIT_MS = 5_000;
const MAX_WAIT_MS = 15 * 60_000;

export interface ThrottleState { failures: number; lastFailureAt: number }

export interface ThrottleStore { read(): Promise<ThrottleState>; write(state: ThrottleState): Promise<void> }

export function throttleFile(home: string): ThrottleStore {
  return new JsonFile<ThrottleState>(join(home, 'unlock-attempts.json'), () => ({ failures: 0, lastFailureAt: 0 }), (value) => {
    const v = value as Partial<ThrottleState>;
    if (!Number.isInteger(v.failures) || (v.failures ?? -1) < 0 || typeof v.lastFailureAt !== 'number') throw new Error('bad');
    return { failures: v.failures!, lastFailureAt: v.lastFailureAt };
  });
}

export class MemoryThrottleStore implements ThrottleStore {
  state: ThrottleState = { failures: 0, lastFailureAt: 0 };
  async read(): Promise<ThrottleState> { return { ...this.state }; }
  async write(state: ThrottleState): Promise<void> { this.state = { ...state }; }
}

/** How long after the last failure the next attempt must wait, for `failures` wrong answers so far. */
export function waitAfter(failures: number): number {
  if (failures < FREE_ATTEMPTS) return 0;
  return Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** (failures - FREE_ATTEMPTS));
}

export class AttemptThrottle {
  constructor(private readonly store: ThrottleStore, private readonly now: () => number = Date.now) {}

  /** Milliseconds until the next attempt is allowed (0: now). */
  async remainingMs(): Promise<number> {
    const state = await this.store.read();
    return Math.max(0, state.lastFailureAt + waitAfter(state.failures) - this.now());
  }

  async failed(): Promise<void> {
    const state = await this.store.read();
    await this.store.write({ failures: state.failures + 1, lastFailureAt: this.now() });
  }

  async succeeded(): Promise<void> {
    const state = await this.store.read();
    if (state.failures !== 0) await this.store.write({ failures: 0, lastFailureAt: 0 });
  }
}
