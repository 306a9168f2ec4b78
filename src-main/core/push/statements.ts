/**
 * Custodian statements (docs/protocol.md §12.5): a hand-over (old identity -> new) or a revocation, signed by a
 * custodian and not bound to a server or boot, so the same JWS goes to every server and a replay changes nothing.
 * statements.json in the custodian home keeps each statement with its delivery state per pinned server; a server
 * that missed one gets it before the next push or lock (deliverPending). Nothing secret is stored here.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { JsonFile } from '../storage/json-file.js';
import type { CustodianSigner } from './messages.js';
import { asResultError, endpointOf, receiverRefusal, type CallReceiver, type ResultError } from './results.js';
import type { PinnedServer } from './servers.js';
import { FINGERPRINT_PATTERN, PROTOCOL, parseObject, protocolError, signJws } from './wire.js';

export const LABEL_PATTERN = /^[\x20-\x7e]{1,64}$/;

const deliverySchema = z.object({
  state: z.enum(['pending', 'acknowledged', 'refused']),
  at: z.string().optional(),
  code: z.string().optional(),
});
const statementSchema = z.object({
  id: z.string(),
  type: z.enum(['handover', 'revocation']),
  jws: z.string(),
  signer: z.string().regex(FINGERPRINT_PATTERN),
  /** handover: the new identity; revocation: the revoked one. */
  subject: z.string().regex(FINGERPRINT_PATTERN),
  label: z.string().optional(),
  issuedAt: z.number(),
  created: z.string(),
  servers: z.record(z.string(), deliverySchema),
});
const fileSchema = z.object({ version: z.literal(1), statements: z.array(statementSchema) });

export type Statement = z.infer<typeof statementSchema>;
export type Delivery = z.infer<typeof deliverySchema>;

export function buildHandover(old: CustodianSigner, newFingerprint: string, label: string, issuedAt: number): string {
  return signJws('custodian-statement+jws', {
    protocol: PROTOCOL, type: 'handover', custodian: old.fingerprint, new_custodian: newFingerprint, label, issued_at: issuedAt,
  }, old.privateKey, old.publicRaw);
}

export function buildRevocation(signer: CustodianSigner, revoked: string, issuedAt: number): string {
  return signJws('custodian-statement+jws', {
    protocol: PROTOCOL, type: 'revocation', custodian: signer.fingerprint, revoked, issued_at: issuedAt,
  }, signer.privateKey, signer.publicRaw);
}

export class StatementLog {
  private readonly file: JsonFile<z.infer<typeof fileSchema>>;

  constructor(home: string) {
    this.file = new JsonFile(join(home, 'statements.json'), () => ({ version: 1 as const, statements: [] }), (value) => fileSchema.parse(value));
  }

  async list(): Promise<Statement[]> {
    return (await this.file.read()).statements;
  }

  /** Adds a statement, pending for every server named. */
  async add(entry: Omit<Statement, 'id' | 'servers' | 'created'>, servers: readonly string[], now = new Date()): Promise<Statement> {
    const statement: Statement = {
      ...entry,
      id: createHash('sha256').update(entry.jws, 'ascii').digest('base64url').slice(0, 16),
      created: now.toISOString(),
      servers: Object.fromEntries(servers.map((name) => [name, { state: 'pending' as const }])),
    };
    await this.file.update((current) => { current.statements.push(statement); });
    return statement;
  }

  async setDelivery(id: string, server: string, delivery: Delivery): Promise<Statement | undefined> {
    return this.file.update((current) => {
      const found = current.statements.find((s) => s.id === id);
      if (found && found.servers[server]) found.servers[server] = delivery;
      return found;
    });
  }

  /** Statements still to send to this server (not acknowledged, not finally refused), oldest first. */
  async pendingFor(server: string): Promise<Statement[]> {
    return (await this.list()).filter((s) => s.servers[server]?.state === 'pending');
  }
}

export interface DeliveryResult {
  server: string;
  statement: string;
  type: Statement['type'];
  ok: boolean;
  /** true: applied now; false: it was already applied there (both acknowledge it). */
  applied?: boolean;
  error?: ResultError;
}

const RETRYABLE = new Set(['STATEMENTS_DISABLED', 'UNKNOWN_CUSTODIAN', 'INTERNAL', 'REQUEST_TIMEOUT']);

/** POSTs one statement to one server; 200 acknowledges it (applied or already applied). */
export async function deliverStatement(server: PinnedServer, statement: Statement, call: CallReceiver, timeoutMs?: number): Promise<DeliveryResult> {
  const base = { server: server.name, statement: statement.id, type: statement.type };
  try {
    const answer = await call(endpointOf(server), 'custodians', JSON.stringify({ protocol: PROTOCOL, statement: statement.jws }), timeoutMs ? { timeoutMs } : {});
    if (answer.status !== 200) throw receiverRefusal(server.name, answer, 'the statement');
    const body = parseObject(answer.body);
    if (!body || body['protocol'] !== PROTOCOL || typeof body['applied'] !== 'boolean' || Object.keys(body).length !== 2) throw protocolError('BAD_REQUEST', server.name);
    return { ...base, ok: true, applied: body['applied'] };
  } catch (error) {
    return { ...base, ok: false, error: asResultError(error) };
  }
}

/** Delivers this server's pending statements in order and records each outcome. */
export async function deliverPending(server: PinnedServer, log: StatementLog, call: CallReceiver, options: { timeoutMs?: number; now?: () => Date } = {}): Promise<DeliveryResult[]> {
  const results: DeliveryResult[] = [];
  for (const statement of await log.pendingFor(server.name)) {
    const result = await deliverStatement(server, statement, call, options.timeoutMs);
    const at = (options.now ?? (() => new Date()))().toISOString();
    const receiverCode = result.error?.details?.['receiver_code'];
    if (result.ok) await log.setDelivery(statement.id, server.name, { state: 'acknowledged', at });
    // A refusal that cannot change by itself is final; anything else (no answer, statements not enabled yet, a
    // custodian not authorized yet, a server error) stays pending and is sent again before the next push or lock.
    else if (typeof receiverCode === 'string' && !RETRYABLE.has(receiverCode) && !receiverCode.startsWith('HTTP_5')) await log.setDelivery(statement.id, server.name, { state: 'refused', at, code: receiverCode });
    else await log.setDelivery(statement.id, server.name, { state: 'pending', at, code: typeof receiverCode === 'string' ? receiverCode : result.error?.code ?? 'INTERNAL' });
    results.push(result);
  }
  return results;
}

export function acknowledgedBy(statement: Statement, server: string): boolean {
  return statement.servers[server]?.state === 'acknowledged';
}

/** Every server that was to get it acknowledged it; with `pinned`, only servers still pinned count. */
export function allAcknowledged(statement: Statement, pinned?: readonly string[]): boolean {
  return Object.entries(statement.servers).every(([name, d]) => d.state === 'acknowledged' || (pinned !== undefined && !pinned.includes(name)));
}
