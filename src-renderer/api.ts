/**
 * The renderer's only way to the core: `window.custodian`, one named function per contract action (exposed by
 * the Electron preload, or by the end-to-end test bridge). Unwraps results and turns failures into ActionError.
 */
import type { ActionName, CustodianApi, ErrorView, RequestOf, Responses, Result } from '../src-shared/contract.js';

declare global {
  interface Window { custodian?: CustodianApi }
}

export class ActionError extends Error {
  constructor(readonly view: ErrorView) {
    super(view.message);
  }
}

export async function call<A extends ActionName>(action: A, request: RequestOf<A>): Promise<Responses[A]> {
  const api = window.custodian;
  if (!api) {
    throw new ActionError({ code: 'NO_BRIDGE', message: 'This page is not running inside Key Custodian.', hint: 'Start the app with `npm start`.' });
  }
  const invoke = api[action] as unknown as (request: RequestOf<A>) => Promise<Result<Responses[A]>>;
  let result;
  try {
    result = await invoke(request);
  } catch {
    throw new ActionError({ code: 'IPC_FAILED', message: 'Key Custodian did not answer.', hint: 'Restart the app; nothing was changed.' });
  }
  if (!result.ok) throw new ActionError(result.error);
  return result.value as Responses[A];
}

export function errorView(error: unknown): ErrorView {
  if (error instanceof ActionError) return error.view;
  return { code: 'INTERNAL', message: 'Something went wrong in the window.', hint: 'Try again.' };
}
