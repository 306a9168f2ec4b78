/**
 * Custodian statements (docs/protocol.md §12.5): hand-overs and revocations signed by an effective custodian,
 * so a custodian can be replaced or revoked on every server without editing files.
 *
 * Effective custodians = the authorized-custodians file, plus hand-over targets, minus every revoked fingerprint
 * (revocation is permanent). check() runs steps 3-9 of §12.5 without changing anything and returns what to do;
 * the caller appends the statement to its file first and applies it afterwards, so a crash never leaves an
 * applied statement that the next start would not replay.
 */
import { createHash } from 'node:crypto';
import type { AuthorizedCustodian } from './config-files.js';
import { PROTOCOL, hasExactly, isFingerprint, isLabel, isTime, parseJsonObject } from './encoding.js';
import { ReceiverConfigError, ReceiverError } from './errors.js';
import { parseJws, verifyJws } from './jws.js';

export interface StatementInfo {
  type: 'handover' | 'revocation';
  /** The signer's fingerprint. */
  custodian: string;
  /** handover: the new custodian; revocation: the revoked fingerprint. */
  subject: string;
  applied: boolean;
}

export type StatementPlan = { info: StatementInfo; apply: () => void };

const HANDOVER_MEMBERS = ['protocol', 'type', 'custodian', 'new_custodian', 'label', 'issued_at'] as const;
const REVOCATION_MEMBERS = ['protocol', 'type', 'custodian', 'revoked', 'issued_at'] as const;

export class CustodianRegistry {
  /** Candidates (file entries and hand-over targets) with their labels; effective unless revoked. */
  private readonly labels = new Map<string, string>();
  private readonly revoked = new Set<string>();
  /** SHA-256 of every statement accepted so far: the same JWS again changes nothing (step 5). */
  private readonly accepted = new Set<string>();

  constructor(entries: readonly AuthorizedCustodian[]) {
    for (const { fingerprint, name } of entries) this.labels.set(fingerprint, name);
  }

  /** The label of an effective custodian, or undefined when the fingerprint is not (or no longer) authorized. */
  labelOf(fingerprint: string): string | undefined {
    return this.revoked.has(fingerprint) ? undefined : this.labels.get(fingerprint);
  }

  /** Effective custodians' fingerprints, sorted. */
  effective(): string[] {
    return [...this.labels.keys()].filter((fp) => !this.revoked.has(fp)).sort();
  }

  /**
   * Steps 3-9 of §12.5 for one statement JWS. Throws a ReceiverError with the protocol code, or returns the
   * statement's info and a function that applies it (absent work when it was already applied).
   */
  check(token: string): StatementPlan {
    const jws = parseJws(token, 'custodian-statement+jws');
    if (!verifyJws(jws)) throw new ReceiverError('BAD_SIGNATURE');
    const hash = createHash('sha256').update(token, 'ascii').digest('base64url');
    if (this.accepted.has(hash)) return { info: { ...peek(jws.payloadBytes, jws.signer), applied: false }, apply: () => {} };
    if (this.labelOf(jws.signer) === undefined) throw new ReceiverError('UNKNOWN_CUSTODIAN');
    const payload = parseJsonObject(jws.payloadBytes);
    if (!payload) throw new ReceiverError('BAD_REQUEST');
    if (payload['protocol'] !== PROTOCOL) throw new ReceiverError(typeof payload['protocol'] === 'string' ? 'UNSUPPORTED_PROTOCOL' : 'BAD_REQUEST');
    const type = payload['type'];
    if (type !== 'handover' && type !== 'revocation') throw new ReceiverError('WRONG_MESSAGE_TYPE');
    if (!hasExactly(payload, type === 'handover' ? HANDOVER_MEMBERS : REVOCATION_MEMBERS)
      || payload['custodian'] !== jws.signer || !isTime(payload['issued_at'])) throw new ReceiverError('BAD_REQUEST');
    if (type === 'handover') {
      const target = payload['new_custodian'];
      const label = payload['label'];
      if (!isFingerprint(target) || target === jws.signer || !isLabel(label)) throw new ReceiverError('BAD_REQUEST');
      if (this.revoked.has(target)) throw new ReceiverError('CUSTODIAN_REVOKED');
      const info: StatementInfo = { type, custodian: jws.signer, subject: target, applied: true };
      return {
        info,
        apply: () => {
          this.labels.set(target, label);
          this.revoked.add(jws.signer);
          this.accepted.add(hash);
        },
      };
    }
    const revoked = payload['revoked'];
    if (!isFingerprint(revoked)) throw new ReceiverError('BAD_REQUEST');
    if (this.revoked.has(revoked)) return { info: { type, custodian: jws.signer, subject: revoked, applied: false }, apply: () => {} };
    if (this.effective().every((fp) => fp === revoked)) throw new ReceiverError('LAST_CUSTODIAN');
    return {
      info: { type, custodian: jws.signer, subject: revoked, applied: true },
      apply: () => {
        this.revoked.add(revoked);
        this.accepted.add(hash);
      },
    };
  }

  /**
   * Replays a statements file at start, line by line (blank lines ignored). A line that is refused stops the
   * start: the error names the line, never its content.
   */
  replay(text: string): number {
    let applied = 0;
    text.split('\n').forEach((raw, index) => {
      const line = raw.trim();
      if (line === '') return;
      let plan: StatementPlan;
      try {
        plan = this.check(line);
      } catch (error) {
        const code = error instanceof ReceiverError ? error.code : 'BAD_REQUEST';
        throw new ReceiverConfigError('INVALID_CONFIG', `custodian statements file line ${index + 1} is refused (${code}); restore the file from its backup or remove that line and the ones after it`);
      }
      plan.apply();
      if (plan.info.applied) applied++;
    });
    return applied;
  }
}

/** type and subject of an already accepted statement, for the log line (it verified and parsed before). */
function peek(payloadBytes: Buffer, signer: string): Omit<StatementInfo, 'applied'> {
  const payload = parseJsonObject(payloadBytes) ?? {};
  const type = payload['type'] === 'handover' ? 'handover' : 'revocation';
  const subject = String(type === 'handover' ? payload['new_custodian'] : payload['revoked']);
  return { type, custodian: signer, subject };
}
