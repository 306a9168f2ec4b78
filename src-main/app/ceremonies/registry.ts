/**
 * The ceremonies open in main: init hand-outs, unseal, rekey (collect, hand-out, verification) and
 * generate-root. They live here, not in a window, so navigation, the idle lock, a reload or a closed and
 * reopened window change nothing: every Vault screen lists them on mount and re-attaches. Nothing ends a
 * ceremony except its completion or an explicit cancel/abandon (the handlers check the confirmation first).
 */
import { randomBytes } from 'node:crypto';
import type { CeremonyKind, CeremonySummary } from '../../../src-shared/contract.js';
import { CustodianError } from '../../core/errors.js';
import type { GenerateRootCeremony, RekeyCeremony, RekeyVerification, UnsealCeremony, VaultCluster } from '../../core/vault/index.js';
import type { Handout } from './handout.js';
import { unsealView } from './views.js';

export type CeremonyStage = CeremonySummary['stage'];
export interface ClusterTarget { addrs: string[]; profile?: string | undefined }

/** One open ceremony: which core objects it holds depends on its kind and stage. */
export class OpenCeremony {
  stage: CeremonyStage;
  progress = 0;
  required = 0;
  unseal?: UnsealCeremony;
  rekey?: RekeyCeremony;
  verification?: RekeyVerification;
  generateRoot?: GenerateRootCeremony;
  handout?: Handout;
  /** rekey: the server asked for verification by holders of the new shares once they are handed out. */
  rekeyNeedsVerification = false;
  private ended = false;

  constructor(
    readonly id: string,
    readonly kind: CeremonyKind,
    readonly target: ClusterTarget,
    /** The connection the ceremony uses (none for an init hand-out: init is over on the server). */
    readonly cluster: VaultCluster | undefined,
    readonly startedAt: Date,
    stage: CeremonyStage,
  ) {
    this.stage = stage;
  }

  /** The current stage's fingerprint and nonce (rekey, verification, generate-root). */
  get fingerprint(): { fingerprint: string; nonce: string } | undefined {
    const current = this.stage === 'verify' ? this.verification : this.rekey ?? this.generateRoot;
    return current ? { fingerprint: current.fingerprint, nonce: current.parameters.nonce } : undefined;
  }

  /** Stage and progress, never a secret. */
  summary(): CeremonySummary {
    const summary: CeremonySummary = {
      ceremonyId: this.id,
      kind: this.kind,
      stage: this.stage,
      target: { addrs: [...this.target.addrs], ...(this.target.profile ? { profile: this.target.profile } : {}) },
      startedAt: this.startedAt.toISOString(),
      progress: this.unseal ? this.unseal.accepted : this.progress,
      required: this.unseal ? this.unseal.threshold : this.required,
    };
    const print = this.stage === 'handout' ? undefined : this.fingerprint;
    if (print) Object.assign(summary, print);
    if (this.handout && this.stage === 'handout') summary.handout = this.handout.view();
    if (this.unseal) summary.unseal = unsealView(this.id, this.unseal);
    return summary;
  }

  /**
   * Would closing the app lose something? A hand-out with secrets not handed out, a rekey or generate-root
   * running on the server, or an unseal with shares given. (An unseal nobody has typed into yet loses nothing.)
   */
  holdsWork(): boolean {
    if (this.ended) return false;
    if (this.kind === 'unseal') return (this.unseal?.accepted ?? 0) > 0;
    return true;
  }

  /** Wipes everything the ceremony remembers (shares, OTP, secrets not handed out) and closes its connection. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.handout?.wipe();
    this.rekey?.wipe();
    this.verification?.wipe();
    this.generateRoot?.wipe();
    try {
      // Each ceremony's transcript goes into the audit log once (a finished one was recorded already).
      await this.unseal?.finish();
      await this.rekey?.end();
      await this.verification?.end();
      await this.generateRoot?.end();
    } finally {
      this.cluster?.close();
    }
  }
}

export class CeremonyRegistry {
  private readonly open = new Map<string, OpenCeremony>();

  /** Registers a new ceremony under a fresh random id. */
  add(kind: CeremonyKind, target: ClusterTarget, cluster: VaultCluster | undefined, stage: CeremonyStage, now = new Date()): OpenCeremony {
    const entry = new OpenCeremony(randomBytes(12).toString('base64url'), kind, target, cluster, now, stage);
    this.open.set(entry.id, entry);
    return entry;
  }

  /** The open ceremony with this id and one of these kinds; CEREMONY_NOT_STARTED otherwise. */
  get(id: string, ...kinds: CeremonyKind[]): OpenCeremony {
    const entry = this.open.get(id);
    if (!entry || (kinds.length > 0 && !kinds.includes(entry.kind))) {
      throw new CustodianError('CEREMONY_NOT_STARTED', 'This ceremony is no longer open in Key Custodian (it ended, or the app restarted).', {
        hint: 'Start the ceremony again; shares already given to the server are kept by it until reset.',
      });
    }
    return entry;
  }

  /** An open ceremony of this kind for the same cluster (same profile, or the same addresses). */
  find(kind: CeremonyKind, target: ClusterTarget): OpenCeremony | undefined {
    return [...this.open.values()].find((entry) => entry.kind === kind && sameTarget(entry.target, target));
  }

  /** Every open ceremony, oldest first: stage and progress only. */
  list(): CeremonySummary[] {
    return [...this.open.values()].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime()).map((entry) => entry.summary());
  }

  /** How many open ceremonies would lose something if the app closed now (for the unload confirmation). */
  openCount(): number {
    return [...this.open.values()].filter((entry) => entry.holdsWork()).length;
  }

  /** Ends and forgets one ceremony, wiping what it holds. Unknown ids are ignored. */
  async close(id: string): Promise<void> {
    const entry = this.open.get(id);
    if (!entry) return;
    this.open.delete(id);
    await entry.end();
  }

  async closeAll(): Promise<void> {
    for (const id of [...this.open.keys()]) await this.close(id).catch(() => undefined);
  }
}

function sameTarget(a: ClusterTarget, b: ClusterTarget): boolean {
  if (a.profile || b.profile) return a.profile === b.profile;
  return a.addrs.length === b.addrs.length && a.addrs.every((addr, i) => addr === b.addrs[i]);
}
