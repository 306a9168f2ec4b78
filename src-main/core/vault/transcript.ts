import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit.js';
import { shareX } from './shares.js';

/**
 * A ceremony transcript (issue 13, docs/audit.md): ONE audit entry, action `vault.transcript`, written when a
 * ceremony ends (complete, rejected or abandoned), so that a holder can later export it with an inclusion proof
 * and prove they took part. It names the ceremony (kind, a fresh id, the server's fingerprint where the ceremony
 * has a nonce), the cluster, each holder in turn with the name they typed (optional) and their share's Shamir
 * index, the per-node results and the final state.
 *
 * The Shamir index is the share's x-coordinate, its LAST byte (Vault/OpenBao shamir.Split appends it to every
 * share; shares.ts). It is public: it says which share was used, not anything of its value. The share itself is
 * never kept here.
 */
export type CeremonyKind = 'init' | 'unseal' | 'rekey' | 'rekey-verify' | 'generate-root';

export interface TranscriptHolder {
  /** 1-based turn in this ceremony. */
  turn: number;
  /** The share's Shamir x-coordinate (1..255); null when the share is not known here (PGP-encrypted at init). */
  shareIndex: number | null;
  /** The holder's name as typed; absent when none was given. */
  name?: string;
  /** What happened to the share: accepted, rejected, handed-out. */
  result: string;
}

export interface TranscriptNode {
  address: string;
  result: string;
}

/** Names are free text typed by people: kept as typed, but one line and bounded, so an entry stays readable. */
export function holderName(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const clean = raw.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 100);
  return clean.length > 0 ? clean : undefined;
}

export class CeremonyTranscript {
  readonly id = randomUUID();
  private readonly holders: TranscriptHolder[] = [];
  private recorded = false;

  constructor(readonly kind: CeremonyKind, private readonly addresses: string[], private fingerprint?: string) {}

  /** Notes one holder's share: only its x-coordinate is read. */
  share(share: Uint8Array | null, name: string | undefined, result = 'accepted'): TranscriptHolder {
    const holder: TranscriptHolder = { turn: this.holders.length + 1, shareIndex: share ? shareX(share) : null, result };
    const clean = holderName(name);
    if (clean) holder.name = clean;
    this.holders.push(holder);
    return holder;
  }

  /** Marks the last holder's share (the one that reached the threshold) with its result, e.g. rejected. */
  markLast(result: string): void {
    const last = this.holders[this.holders.length - 1];
    if (last) last.result = result;
  }

  get shares(): number {
    return this.holders.length;
  }

  setFingerprint(fingerprint: string): void {
    this.fingerprint = fingerprint;
  }

  /**
   * Records the transcript once; later calls do nothing (a ceremony may end through several paths). A ceremony in
   * which no share was given and nothing happened is not recorded when `skipEmpty` is set.
   */
  async record(audit: AuditLog | undefined, outcome: 'ok' | 'error', state: string, nodes: TranscriptNode[], extra: Record<string, string | number | boolean | string[]> = {}, skipEmpty = false): Promise<void> {
    if (this.recorded || !audit) return;
    if (skipEmpty && this.holders.length === 0) return;
    this.recorded = true;
    await audit.record({
      action: 'vault.transcript', outcome,
      ceremony: this.kind,
      ceremonyId: this.id,
      ...(this.fingerprint ? { fingerprint: this.fingerprint } : {}),
      cluster: [...this.addresses],
      holders: this.holders.map((h) => ({ turn: h.turn, shareIndex: h.shareIndex, ...(h.name ? { name: h.name } : {}), result: h.result })),
      nodes: nodes.map((n) => ({ address: n.address, result: n.result })),
      state,
      ...extra,
    });
  }
}
