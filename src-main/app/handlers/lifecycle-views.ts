/** The renderer's view of the core's lock results, statements and deliveries: names, fingerprints, states, codes. */
import type { DeliveryView, ErrorView, LockResultView, StatementView } from '../../../src-shared/contract.js';
import type { DeliveryResult, LockResult, ResultError, Statement } from '../../core/push/index.js';

/** Details a screen acts on (the key-order override, the receiver's code); nothing else of the details crosses. */
const SHOWN_DETAILS = ['receiver_code', 'protocol_code', 'newest_key', 'key_checks', 'installed_key_ids'];

export function errorOf(error: ResultError): ErrorView {
  const details = Object.fromEntries(Object.entries(error.details ?? {}).filter(([name]) => SHOWN_DETAILS.includes(name)));
  return {
    code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}),
    ...(Object.keys(details).length > 0 ? { details } : {}),
  };
}

export function lockView(result: LockResult): LockResultView {
  return {
    server: result.server, ok: result.ok, outcome: result.outcome,
    ...(result.wasState ? { wasState: result.wasState } : {}),
    ...(result.bootId ? { bootId: result.bootId } : {}),
    ...(result.lockedAt !== undefined ? { lockedAt: new Date(result.lockedAt * 1000).toISOString() } : {}),
    ...(result.error ? { error: errorOf(result.error) } : {}),
  };
}

export function statementView(statement: Statement): StatementView {
  return {
    id: statement.id, type: statement.type, signer: statement.signer, subject: statement.subject,
    ...(statement.label ? { label: statement.label } : {}),
    created: statement.created,
    servers: Object.entries(statement.servers).map(([server, d]) => ({ server, state: d.state, ...(d.code ? { code: d.code } : {}), ...(d.at ? { at: d.at } : {}) })),
  };
}

export function deliveryView(delivery: DeliveryResult): DeliveryView {
  return {
    server: delivery.server, statement: delivery.statement, type: delivery.type, ok: delivery.ok,
    ...(delivery.applied !== undefined ? { applied: delivery.applied } : {}),
    ...(delivery.error ? { error: errorOf(delivery.error) } : {}),
  };
}

/** Statements some server (still pinned) has not acknowledged: what `custodian identity show` lists as pending. */
export function waiting(statements: readonly Statement[], pinned: readonly string[]): Statement[] {
  return statements.filter((s) => Object.entries(s.servers).some(([name, d]) => d.state !== 'acknowledged' && pinned.includes(name)));
}
