/** Key age and rotation state for `key list`, `key delete` and the dashboard. */
import { CustodianError } from '../errors.js';
import type { KeyRecord } from '../keystore/index.js';
import { daysBetween } from './days.js';
import type { KeyRotationState, RotationState } from './state.js';

export interface KeyAge {
  id: string;
  ageDays: number;
  state: KeyRotationState | null;
  /** Older than the rotation interval and still in use (not retired): time to rotate. */
  overdue: boolean;
}

export function keyAges(records: readonly KeyRecord[], state: RotationState, now: Date): KeyAge[] {
  return records.map((record) => {
    const ageDays = Math.max(0, daysBetween(new Date(record.created), now));
    const keyState = state.keys[record.id]?.state ?? null;
    return { id: record.id, ageDays, state: keyState, overdue: keyState !== 'retired' && ageDays > state.intervalDays };
  });
}

/**
 * Refuses to delete a key the rotation state says is in use: current or previous, or part of the open rotation.
 * Returns the key's state otherwise (`retired` asks for a confirmation that says so).
 */
export function checkDeletable(state: RotationState, id: string): KeyRotationState | null {
  const open = state.open;
  const keyState = state.keys[id]?.state ?? null;
  if ((open && (open.oldKeyId === id || open.newKeyId === id)) || keyState === 'current' || keyState === 'previous') {
    throw new CustodianError('ROTATION_KEY_IN_USE', `${id} is ${open && (open.oldKeyId === id || open.newKeyId === id) ? 'part of the open rotation' : `the ${keyState} key`}; nothing was deleted.`, {
      hint: 'Servers still decrypt with it. Finish the rotation first (`custodian rotate finish`); a retired key can be deleted.',
      details: { id, state: keyState },
    });
  }
  return keyState;
}

/** Refuses to delete a key that a pinned server reported as installed. */
export function checkNotInstalled(id: string, installed: ReadonlyArray<{ server: string; installedKeyIds?: string[] }>): void {
  const using = installed.filter((s) => s.installedKeyIds?.includes(id)).map((s) => s.server);
  if (using.length > 0) {
    throw new CustodianError('ROTATION_KEY_IN_USE', `${using.join(', ')} still ${using.length === 1 ? 'uses' : 'use'} ${id}; nothing was deleted.`, {
      hint: 'Switch those servers to the current key alone first (`custodian rotate finish`, or lock them).',
      details: { id, servers: using },
    });
  }
}
