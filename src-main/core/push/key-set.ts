/**
 * Client-side checks of a key set against a receiver's signed status, before anything is sent: the keys must be
 * accepted (key checks) and in the right order (§12.3), and a push must never silently drop a key the server
 * still needs (issue 11: `push --key NEW` without `--previous` left every old row undecryptable).
 */
import { CustodianError } from '../errors.js';
import type { ReceiverStatus } from './messages.js';

/** Why a push of `keyIds` to this status must not go ahead (nothing is sent), or the warnings it goes ahead with. */
export function checkKeyOrder(server: string, status: ReceiverStatus, keyIds: readonly string[], allowOlder: boolean): CustodianError | string[] {
  const unexpected = keyIds.filter((id) => !status.keyChecks.includes(id));
  if (unexpected.length > 0) {
    return new CustodianError('PUSH_REFUSED', `${server} does not accept ${unexpected.join(', ')} (it expects ${status.keyChecks.join(', ')}); nothing was sent.`, {
      hint: 'Push the key the server expects (--key), or add its id to the server\'s key checks first (the receiver re-reads its key-check file on SIGHUP and on every status request).',
      details: { key_checks: status.keyChecks },
    });
  }
  const newest = status.keyChecks[0]!;
  if (keyIds[0] === newest) return [];
  const swapped = keyIds.includes(newest);
  const rest = keyIds.filter((id) => id !== newest);
  if (!allowOlder) {
    return new CustodianError('PUSH_REFUSED', `${server}'s newest key is ${newest}, but ${keyIds[0]} is pushed as the current key${swapped ? ' (previous and current swapped?)' : ''}: new data would be encrypted with an older key; nothing was sent.`, {
      hint: `Push --key ${newest}${rest.length > 0 ? ` --previous ${rest.join(' ')}` : ''}; or, to roll back on purpose, add --allow-older-current-key.`,
      details: { newest_key: newest, key_checks: status.keyChecks },
    });
  }
  return [swapped
    ? `${keyIds[0]} was pushed as the current key before the newer ${newest} ([previous, current] order): new data is encrypted with the older key.`
    : `${keyIds[0]} was pushed as the current key, but ${server}'s newest key is ${newest}: new data is encrypted with the older key.`];
}

/** Installed keys a new set leaves out, in installed order (current first). */
export function droppedKeys(status: ReceiverStatus, keyIds: readonly string[]): string[] {
  return status.installedKeyIds.filter((id) => !keyIds.includes(id));
}

export interface DropGuardOptions {
  /** `--drop-previous`: the officer said the data under dropped keys is gone or re-encrypted. */
  dropPrevious?: boolean;
  /** Ids of the keys this custodian holds (keychain): an accepted older key it holds is one it could push. */
  heldKeyIds?: readonly string[];
}

/**
 * The push guard (docs/protocol.md §12.12, "never silently drop a key"). Returns a REKEY_KEY_IN_USE refusal, or
 * warnings to go ahead with.
 *
 * Unlocked server, the push leaves out an installed key:
 * - the CURRENT key: its data count is not reported (tokens_under_previous counts only non-current keys), and an
 *   application encrypts everything new under it, so dropping it is refused unless --drop-previous;
 * - only previous keys: allowed when the server reports 0 tokens under previous keys; refused when it reports
 *   more, or does not report (null = unknown), unless --drop-previous.
 * Locked server (nothing installed, nothing counted): the push carries only the newest key while the server's
 * key checks also accept an older key: a loud warning (see below), not a refusal.
 */
export function checkDroppedKeys(server: string, status: ReceiverStatus, keyIds: readonly string[], options: DropGuardOptions = {}): CustodianError | string[] {
  const hint = (ids: readonly string[]) => `Push it too (--previous ${ids.join(' ')}), or re-encrypt the data first and push again once \`custodian server status\` shows 0 tokens under previous keys; --drop-previous drops it anyway.`;
  if (status.state === 'unlocked') {
    const dropped = droppedKeys(status, keyIds);
    if (dropped.length === 0) return [];
    if (options.dropPrevious) return [`${server}: ${dropped.join(', ')} retired on purpose (--drop-previous); data still under it can no longer be decrypted there.`];
    const current = status.installedKeyIds[0];
    if (current !== undefined && dropped.includes(current)) {
      return refusal(server, `${server} encrypts its data under ${current} (its current key), which this push leaves out`, dropped, status, hint(dropped));
    }
    if (status.tokensUnderPrevious === 0) return [];
    const why = status.tokensUnderPrevious === null
      ? `${server} holds ${dropped.join(', ')}, which this push leaves out, and does not report whether data is still encrypted under it`
      : `${server} still has ${status.tokensUnderPrevious} token(s) under a previous key and holds ${dropped.join(', ')}, which this push leaves out`;
    return refusal(server, why, dropped, status, hint(dropped));
  }
  // Locked: nothing installed, nothing counted. Leaving out an older accepted key is issue 11's trap, but pushing
  // the newest key alone to such a server is also how every first deploy with a rotation-ready key-check list
  // works; refusing it would break that. It goes ahead with a loud warning (the officer sees it per server, and
  // a corrective `push --key NEW --previous OLD` now rekeys the running server instead of needing a restart).
  const older = status.keyChecks.filter((id) => !keyIds.includes(id));
  if (older.length === 0 || options.dropPrevious || keyIds.length > 1) return [];
  const held = older.filter((id) => options.heldKeyIds?.includes(id));
  return [held.length > 0
    ? `${server} also accepts ${held.join(', ')}, which you hold, but this push carries only ${keyIds[0]}: data encrypted under the older key cannot be decrypted there. Push again with --previous ${held.join(' ')} (the running server is rekeyed, no restart), or --drop-previous if that data is gone.`
    : `${server} also accepts ${older.join(', ')}, which this push does not carry: data encrypted under it cannot be decrypted there.`];
}

function refusal(server: string, why: string, keys: readonly string[], status: ReceiverStatus, hint: string): CustodianError {
  return new CustodianError('REKEY_KEY_IN_USE', `${why}; nothing was sent.`, {
    hint,
    details: {
      server, dropped_key_ids: [...keys], installed_key_ids: status.installedKeyIds, key_checks: status.keyChecks,
      tokens_under_previous: status.tokensUnderPrevious,
    },
  });
}
