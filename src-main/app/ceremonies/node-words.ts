/**
 * What went wrong with one Vault node, said in words an officer can act on, for the app's screens. The core
 * reports the server's own text ("HTTP 400: cipher: message authentication failed"); the CLI prints it for
 * operators who read Vault logs, the app translates it.
 */
import { CustodianError, isCustodianError } from '../../core/errors.js';

export interface NodeProblem { code: string; message: string }
export interface NodeProblemWords { error: string; errorCode: string; errorHint?: string }

/** In the app, TLS settings come from a saved cluster profile (VAULT_CACERT only if the app was started with it). */
export const TLS_HINT = 'Choose a saved cluster profile that carries the cluster\'s CA certificate (make one with '
  + '`custodian vault profile save NAME --addr https://… --ca-cert ca.pem`), or check the server name it expects.';

export function nodeProblemInWords(problem: NodeProblem): NodeProblemWords {
  const text = problem.message;
  if (problem.code === 'VAULT_TLS') {
    return { errorCode: problem.code, error: 'TLS failed: the node\'s certificate is not trusted with these settings, so nothing was sent to it.', errorHint: TLS_HINT };
  }
  if (problem.code === 'VAULT_UNREACHABLE') {
    return { errorCode: problem.code, error: 'Not reachable: the node did not answer.', errorHint: 'Check that it is running and that the address and port are right.' };
  }
  if (/message authentication failed|invalid key|unseal key/i.test(text) || problem.code === 'SHARE_REJECTED' && /wrong/i.test(text)) {
    return {
      errorCode: 'SHARE_REJECTED',
      error: 'The shares given did not open this node: at least one of them is wrong (or belongs to another cluster). The node discarded them.',
      errorHint: 'Every holder gives their share again.',
    };
  }
  if (/not initialized/i.test(text) || problem.code === 'VAULT_NOT_INITIALIZED') {
    return { errorCode: problem.code, error: 'Waiting to join its Raft cluster: it takes the shares once another node is unsealed.' };
  }
  if (/still sealed after the threshold/i.test(text)) {
    return { errorCode: problem.code, error: 'Still sealed after enough shares: the shares may be wrong, or the node cannot reach its cluster.' };
  }
  const status = /HTTP (\d{3})/.exec(text)?.[1];
  if (status && status.startsWith('5')) {
    return { errorCode: problem.code, error: `The node had an internal error (HTTP ${status}).`, errorHint: 'Look at the node\'s log; try again once it is healthy.' };
  }
  if (status === '429' || status === '503') {
    return { errorCode: problem.code, error: 'The node is busy or in standby and did not take the request.', errorHint: 'Try again in a moment.' };
  }
  if (status) {
    return { errorCode: problem.code, error: `The node refused the request (HTTP ${status}).`, errorHint: 'Run `custodian vault status` to see the node\'s own message.' };
  }
  return { errorCode: problem.code, error: text };
}

/** A CustodianError about TLS gets the app's hint (a profile with a CA) instead of the CLI's flags. */
export function withAppHint(error: unknown): unknown {
  if (isCustodianError(error) && error.code === 'VAULT_TLS') {
    return new CustodianError('VAULT_TLS', error.message, { hint: TLS_HINT, ...(error.details ? { details: error.details } : {}) });
  }
  return error;
}
