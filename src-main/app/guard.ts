/**
 * Wraps the handler table with the two checks main makes before any handler runs, whatever the window asks:
 * - while the app is locked, only the lock screen's actions answer (a reloaded or scripted window gets nothing);
 * - actions that reveal or copy a key or a share need the OS user's presence (presence.ts).
 */
import type { ActionName } from '../../src-shared/contract.js';
import { CustodianError } from '../core/errors.js';
import type { HandlerTable } from './dispatch.js';
import type { Presence } from './presence/presence.js';
import type { SessionLock } from './presence/session-lock.js';

/** What the lock screen (and the badge/notification history) needs; nothing here reveals a secret. */
export const OPEN_WHILE_LOCKED: ReadonlySet<ActionName> = new Set<ActionName>(['appInfo', 'getSettings', 'sessionState', 'lock', 'unlock', 'watchState']);

/**
 * Actions that put a key, a share or a root token in front of a person or on the clipboard, fernetDecrypt,
 * which writes what a key protects to disk as plaintext (as revealing the key would let anyone do), and the
 * incident levers that change what servers accept (lock, rotate, revoke, re-pin): destructive for a fleet.
 */
export const NEEDS_PRESENCE: ReadonlySet<ActionName> = new Set<ActionName>([
  'revealKey', 'copyKey', 'handoutReveal', 'backupHandoutWords', 'fernetDecrypt',
  'lockServers', 'rotateIdentity', 'revokeCustodian', 'acceptServerIdentity', 'vaultKvReveal',
  'rotationFinish', 'rotationAbort',
]);

/** `started`: resolves once the lock knows its state at start (table.ts); every call waits for it. */
export function guardTable(table: HandlerTable, lock: SessionLock, presence: Presence, started: Promise<void> = Promise.resolve()): HandlerTable {
  const guarded: Partial<Record<ActionName, (request: never) => Promise<unknown>>> = {};
  for (const action of Object.keys(table) as ActionName[]) {
    const handler = table[action] as (request: never) => Promise<unknown>;
    guarded[action] = async (request: never) => {
      await started;
      if (lock.locked && !OPEN_WHILE_LOCKED.has(action)) {
        throw new CustodianError('PRESENCE_REQUIRED', 'Key Custodian is locked.', {
          hint: 'Resume from the lock screen first.',
          details: { locked: true, ...(await presence.view()) },
        });
      }
      if (NEEDS_PRESENCE.has(action)) await presence.require(reasonFor(action));
      return handler(request);
    };
  }
  return guarded as HandlerTable;
}

function reasonFor(action: ActionName): string {
  if (action === 'copyKey') return 'copy a data key';
  if (action === 'revealKey') return 'reveal a data key';
  if (action === 'handoutReveal') return 'show a holder their share';
  if (action === 'backupHandoutWords') return 'show a holder their backup share';
  if (action === 'fernetDecrypt') return 'decrypt a file';
  if (action === 'lockServers') return 'lock servers';
  if (action === 'rotateIdentity') return 'replace the custodian identity';
  if (action === 'revokeCustodian') return 'revoke a custodian identity';
  if (action === 'acceptServerIdentity') return 'accept a server\'s new identity';
  if (action === 'vaultKvReveal') return 'reveal a Vault secret';
  if (action === 'rotationFinish') return 'finish a key rotation';
  if (action === 'rotationAbort') return 'abort a key rotation';
  return 'reveal a secret';
}
