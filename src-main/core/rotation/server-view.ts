/** What one pinned server's signed status says about an open rotation, and what (if anything) blocks finishing it. */
import type { StatusResult } from '../push/push.js';
import type { ResultError } from '../push/results.js';

export interface RotationServerView {
  server: string;
  reachable: boolean;
  state: 'locked' | 'unlocked' | null;
  keyChecks: string[];
  installedKeyIds: string[];
  /** The new key is in the server's key checks (it would take a push or rekey with it). */
  acceptsNew: boolean;
  /** The new key is installed as the current key (data written from now on is under it). */
  newIsCurrent: boolean;
  /** Tokens the application still holds under a previous key; null: the application does not report it. */
  tokensUnderPrevious: number | null;
  /** The server runs the new key alone: finished for this server. */
  done: boolean;
  /** Why `rotate finish` cannot take this server yet (absent: ready, or done). */
  blocker?: ResultError;
  error?: ResultError;
}

/** tokens_under_previous from a status result (docs/protocol.md §12.12); null when the receiver does not send it. */
export function tokensUnderPrevious(result: StatusResult): number | null {
  return typeof result.tokensUnderPrevious === 'number' ? result.tokensUnderPrevious : null;
}

export function viewServer(result: StatusResult, oldKeyId: string, newKeyId: string): RotationServerView {
  const installed = result.installedKeyIds ?? [];
  const keyChecks = result.keyChecks ?? [];
  const view: RotationServerView = {
    server: result.server,
    reachable: result.ok,
    state: result.state ?? null,
    keyChecks,
    installedKeyIds: installed,
    acceptsNew: keyChecks.includes(newKeyId),
    newIsCurrent: installed[0] === newKeyId,
    tokensUnderPrevious: tokensUnderPrevious(result),
    done: result.state === 'unlocked' && installed.length === 1 && installed[0] === newKeyId,
    ...(result.error ? { error: result.error } : {}),
  };
  const blocker = blockerOf(view, oldKeyId, newKeyId);
  if (blocker) view.blocker = blocker;
  return view;
}

function blockerOf(view: RotationServerView, oldKeyId: string, newKeyId: string): ResultError | undefined {
  const name = view.server;
  if (view.done) return undefined;
  if (!view.reachable) {
    return { code: 'ROTATION_NOT_READY', message: `${name} did not answer (${view.error?.code ?? 'unreachable'}).`, hint: 'Bring it back, or leave it out with `rotate finish --force` (it keeps the old key until you push).' };
  }
  if (!view.acceptsNew) {
    return { code: 'ROTATION_NOT_READY', message: `${name} does not accept the new key ${newKeyId} yet (its key checks: ${view.keyChecks.join(', ')}).`, hint: `Deploy ${newKeyId} as the server's first --key-check (a restart, or SIGHUP where the receiver re-reads its key checks), then \`custodian rotate push\`.` };
  }
  if (view.state === 'locked') {
    return { code: 'ROTATION_NOT_READY', message: `${name} is locked (restarted?): it holds no key.`, hint: 'Push both keys again: `custodian rotate push`.' };
  }
  if (!view.newIsCurrent) {
    return { code: 'ROTATION_NOT_READY', message: `${name} runs ${view.installedKeyIds.join(', ') || 'no key'}, not the new key ${newKeyId} first.`, hint: 'Push both keys: `custodian rotate push` (it locks nothing; a server unlocked with other keys must be locked or restarted first).' };
  }
  if (view.tokensUnderPrevious === null) {
    return { code: 'ROTATION_NOT_READY', message: `${name} does not report how much data is still under ${oldKeyId}.`, hint: 'Re-encrypt its data (e.g. `python -m mail_helper rotate`) and check it yourself; then `rotate finish --force`.' };
  }
  if (view.tokensUnderPrevious > 0) {
    return { code: 'ROTATION_NOT_READY', message: `${name} still holds ${view.tokensUnderPrevious} token(s) under the previous key.`, hint: 'Re-encrypt its data on the server (e.g. `python -m mail_helper rotate`), then finish.' };
  }
  return undefined;
}
