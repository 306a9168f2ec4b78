/**
 * The validation layer every call from a renderer passes through, in Electron (ipcMain) and in the test bridge
 * alike: is the sender trusted, is the action part of the contract, does the payload pass its schema (parsed
 * from `unknown`). Only then is the handler called. Failures become an ErrorView with a stable code; nothing
 * of the payload (which may hold a share or a key) is echoed back or logged.
 *
 * Pure Node, no electron import, so it is tested without an Electron binary.
 */
import { actionOfChannel, requests, type ActionName, type ErrorView, type ParsedRequestOf, type Responses, type Result } from '../../src-shared/contract.js';
import { CustodianError, isCustodianError } from '../core/errors.js';

export type Handler<A extends ActionName> = (request: ParsedRequestOf<A>) => Promise<Responses[A]>;
export type HandlerTable = { [A in ActionName]: Handler<A> };

/** What main knows about the frame a call came from. */
export interface SenderInfo {
  /** URL of the sending frame (event.senderFrame.url in Electron, the Origin header in the bridge). */
  url: string | undefined;
  /** The call came from a top-level frame, not an iframe. */
  isMainFrame: boolean;
  /** Id of the sending WebContents; must be one of ours. */
  webContentsId?: number;
}

export interface TrustPolicy {
  /** The one origin our renderer is served from, e.g. "app://custodian". */
  origin: string;
  /** WebContents ids of the windows we created (Electron only). */
  webContentsIds?: ReadonlySet<number>;
}

export function isTrustedSender(sender: SenderInfo, policy: TrustPolicy): boolean {
  if (!sender.isMainFrame || !sender.url) return false;
  if (policy.webContentsIds && (sender.webContentsId === undefined || !policy.webContentsIds.has(sender.webContentsId))) return false;
  let origin: string;
  try {
    const url = new URL(sender.url);
    // URL.origin is "null" for non-special schemes such as app:, so compare scheme and host ourselves.
    origin = `${url.protocol}//${url.host}`;
  } catch {
    return false;
  }
  return origin === policy.origin;
}

export interface Dispatcher {
  /** Handles one call. `channel` is the raw IPC channel name; `payload` is whatever the renderer sent. */
  handle(channel: unknown, payload: unknown, sender: SenderInfo): Promise<Result<unknown>>;
}

export function createDispatcher(table: HandlerTable, policy: TrustPolicy, log: (line: string) => void = () => {}): Dispatcher {
  return {
    async handle(channel, payload, sender) {
      const action = actionOfChannel(channel);
      if (!isTrustedSender(sender, policy)) {
        log(`refused a call from an untrusted sender (${action ?? 'unknown action'})`);
        return failure(new CustodianError('FORBIDDEN_SENDER', 'This request did not come from the Key Custodian window and was refused.'));
      }
      if (!action) {
        log('refused a call on a channel outside the contract');
        return failure(new CustodianError('USAGE', 'Unknown action.'));
      }
      return invokeAction(table, action, payload, log);
    },
  };
}

/** Schema check + handler call + error mapping, for one action. */
export async function invokeAction(table: HandlerTable, action: ActionName, payload: unknown, log: (line: string) => void = () => {}): Promise<Result<unknown>> {
  const parsed = requests[action].safeParse(payload);
  if (!parsed.success) {
    // Only the field paths and the schema's own messages: never the values, which may be secrets.
    const issues = parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
    return failure(new CustodianError('INVALID_INPUT', issues[0]?.message ?? 'The request was not valid.', {
      hint: 'Correct the highlighted field and try again.',
      details: { issues },
    }));
  }
  try {
    const handler = table[action] as (request: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (error) {
    if (!isCustodianError(error)) log(`${action} failed with an unexpected ${error instanceof Error ? error.name : typeof error}`);
    return failure(error);
  }
}

export function toErrorView(error: unknown): ErrorView {
  if (isCustodianError(error)) {
    const view: ErrorView = { code: error.code, message: error.message };
    if (error.hint) view.hint = error.hint;
    if (error.details) view.details = error.details;
    return view;
  }
  // Unexpected errors may quote their input; the renderer gets no more than this.
  return { code: 'INTERNAL', message: 'Something went wrong inside Key Custodian.', hint: 'Try again; if it keeps happening, check the audit log and report it.' };
}

function failure(error: unknown): Result<never> {
  return { ok: false, error: toErrorView(error) };
}
