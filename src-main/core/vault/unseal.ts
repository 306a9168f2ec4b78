import { CustodianError } from '../errors.js';
import type { AuditLog } from '../audit.js';
import { describe, nodeStatus, type NodeStatus, type SealStatusBody, type VaultCluster } from './cluster.js';
import { VaultResponseError, type VaultNode } from './node.js';
import { decodeShare, shareForRequest, ShareLedger } from './shares.js';
import { CeremonyTranscript } from './transcript.js';

export type NodeOutcome =
  | 'progress'     // share accepted, more needed
  | 'unsealed'     // the node is unsealed
  | 'unsealing'    // threshold reached, the node is still finishing (a Raft node joining its cluster)
  | 'rejected'     // threshold reached and the combined key was wrong: the node reset its progress
  | 'waiting'      // a Raft follower not ready to join yet: it gets the shares once another node is unsealed
  | 'unreachable'  // could not be asked (reported, the ceremony goes on with the other nodes)
  | 'error';       // any other refusal by the node

export interface NodeUnsealState {
  address: string;
  outcome: NodeOutcome;
  sealed?: boolean;
  progress?: number;
  threshold?: number;
  nonce?: string;
  error?: { code: string; message: string };
}

export interface ShareResult {
  /** 1-based number of this share in the ceremony (the holder's turn). */
  holder: number;
  nodes: NodeUnsealState[];
  /** Every reachable target node is unsealed. */
  complete: boolean;
}

export interface UnsealOptions {
  audit?: AuditLog;
  /** Clear shares left on the nodes by an earlier, unfinished attempt before starting. */
  reset?: boolean;
  /** How long to wait for a node still unsealing after the threshold (Raft join), in ms. */
  settleTimeoutMs?: number;
}

/**
 * One unseal ceremony over a whole cluster: each holder's share is checked locally, then applied to every sealed
 * node in parallel (typed once, not once per node). Unreachable nodes are reported and skipped; the ceremony
 * finishes on the others. Call `finish()` at the end (wipes what it remembers of the shares).
 */
export class UnsealCeremony {
  private readonly ledger = new ShareLedger();
  private readonly states = new Map<string, NodeUnsealState>();
  private holders = 0;
  /** How many of this ceremony's shares (in order) each node holds. */
  private readonly held = new Map<string, number>();
  /** The ceremony's one transcript entry, recorded by finish(). */
  readonly transcript: CeremonyTranscript;

  private constructor(private readonly cluster: VaultCluster, readonly threshold: number, initial: NodeStatus[], private readonly options: UnsealOptions) {
    this.transcript = new CeremonyTranscript('unseal', [...cluster.settings.addresses]);
    for (const status of initial) this.states.set(status.address, fromStatus(status));
  }

  /** Reads every node's state. Fails only if no node answers. If every node is already unsealed, `complete` is true. */
  static async start(cluster: VaultCluster, options: UnsealOptions = {}): Promise<UnsealCeremony> {
    let statuses = await cluster.status();
    if (options.reset) {
      await Promise.all(statuses.filter((s) => s.reachable && s.sealed && (s.progress ?? 0) > 0).map(async (s) => {
        await cluster.node(s.address).call('PUT', '/sys/unseal', { reset: true }).catch(() => undefined);
      }));
      statuses = await cluster.status();
    }
    const reachable = statuses.filter((s) => s.reachable && s.sealed !== undefined);
    if (reachable.length === 0) {
      if (statuses.every((s) => s.error?.code === 'VAULT_TLS')) {
        throw new CustodianError('VAULT_TLS', `TLS failed with every node (${statuses.map((s) => s.error?.message).join('; ')}); no share was asked for.`, {
          hint: 'Check VAULT_CACERT/--ca-cert (the CA that signed the server certificates) and VAULT_TLS_SERVER_NAME.',
          details: { nodes: statuses },
        });
      }
      throw new CustodianError('VAULT_UNREACHABLE', 'No node of the cluster answered.', {
        hint: 'Check the addresses (--addr, VAULT_ADDR or the profile) and that the nodes are running.',
        details: { nodes: statuses },
      });
    }
    const threshold = Math.max(0, ...reachable.map((s) => s.threshold ?? 0));
    if (reachable.every((s) => !s.initialized) && threshold === 0) {
      throw new CustodianError('VAULT_NOT_INITIALIZED', 'The cluster is not initialised yet, so there is nothing to unseal.', {
        hint: 'Run `custodian vault init` first. For Raft followers of an initialised cluster, include the first (initialised) node\'s address too: followers join through it.',
      });
    }
    const ceremony = new UnsealCeremony(cluster, threshold, statuses, options);
    await options.audit?.record({ action: 'vault.unseal.start', outcome: 'ok', nodes: cluster.settings.addresses, threshold });
    return ceremony;
  }

  /** The nodes' state as last seen. */
  get nodes(): NodeUnsealState[] {
    return [...this.states.values()].map((s) => ({ ...s }));
  }

  /** Shares accepted so far in this round. */
  get accepted(): number {
    return this.ledger.count;
  }

  get complete(): boolean {
    const reachable = this.nodes.filter((s) => s.outcome !== 'unreachable');
    return reachable.length > 0 && reachable.every((s) => s.sealed === false);
  }

  /**
   * Checks and applies one typed share (base64 or hex). The input is not kept; wipe it after the call. `holderName`
   * (optional, as typed) goes into the ceremony transcript with the share's Shamir index.
   */
  async submit(shareText: Uint8Array, holderName?: string): Promise<ShareResult> {
    const share = decodeShare(shareText);
    try {
      return await this.submitShare(share, holderName);
    } finally {
      share.fill(0);
    }
  }

  /** Applies a decoded share (for example one decrypted from PGP). The caller wipes `share`. */
  async submitShare(share: Buffer, holderName?: string): Promise<ShareResult> {
    this.ledger.admit(share);
    this.transcript.share(share, holderName);
    this.holders++;
    const holder = this.holders;
    const targets = [...this.states.values()].filter((s) => s.sealed !== false);
    await Promise.all(targets.map((state) => this.catchUp(state.address)));
    await this.settle();

    const rejected = this.nodes.filter((s) => s.outcome === 'rejected');
    await this.options.audit?.record({
      action: 'vault.unseal.share', outcome: rejected.length ? 'error' : 'ok', holder,
      nodes: this.nodes.map((s) => `${s.address}=${s.outcome}${s.progress !== undefined ? `:${s.progress}/${s.threshold || this.threshold}` : ''}`),
    });
    if (rejected.length > 0) {
      this.transcript.markLast('rejected');
      // The node threw the collected shares away: so do we, so that the holders can start the round again.
      this.ledger.wipe();
      this.holders = 0;
      this.held.clear();
      throw new CustodianError('SHARE_REJECTED',
        `The threshold was reached but the combined key did not open ${rejected.map((s) => s.address).join(', ')}: at least one of the shares given is wrong. `
        + 'Vault/OpenBao cannot tell which share is wrong, nor detect a wrong share before the threshold is reached.',
        {
          hint: `The server now reports progress ${rejected.map((s) => `${s.progress ?? 0}/${s.threshold || this.threshold}`).join(', ')}; every holder must give their share again.`,
          details: { nodes: this.nodes },
        });
    }
    return { holder, nodes: this.nodes, complete: this.complete };
  }

  /** Discards the shares collected on every sealed node (sys/unseal reset) and here. */
  async reset(): Promise<NodeUnsealState[]> {
    this.ledger.wipe();
    this.holders = 0;
    this.held.clear();
    const sealed = [...this.states.values()].filter((s) => s.sealed !== false && s.outcome !== 'unreachable');
    await Promise.all(sealed.map(async (state) => {
      try {
        const body = await this.cluster.node(state.address).call<SealStatusBody>('PUT', '/sys/unseal', { reset: true });
        this.states.set(state.address, fromBody(state.address, body, 'progress', this.threshold));
      } catch (error) {
        this.states.set(state.address, failed(state.address, error));
      }
    }));
    await this.options.audit?.record({ action: 'vault.unseal.reset', outcome: 'ok', nodes: sealed.map((s) => s.address) });
    return this.nodes;
  }

  /** Ends the ceremony: wipes the remembered shares. */
  async finish(): Promise<void> {
    this.ledger.wipe();
    this.held.clear();
    await this.options.audit?.record({
      action: 'vault.unseal.finish', outcome: this.complete ? 'ok' : 'error',
      nodes: this.nodes.map((s) => `${s.address}=${s.sealed === false ? 'unsealed' : s.outcome}`),
    });
    const complete = this.complete;
    await this.transcript.record(this.options.audit, complete ? 'ok' : 'error', complete ? 'unsealed' : 'sealed',
      this.nodes.map((s) => ({ address: s.address, result: s.sealed === false ? 'unsealed' : s.error ? `${s.outcome} (${s.error.code})` : s.outcome })),
      { threshold: this.threshold }, true);
  }

  /**
   * Brings one sealed node up to date: sends, in order, every share of this ceremony it does not hold yet. A node
   * that was down, restarted (its progress lost) or not ready to join its Raft cluster gets the earlier shares
   * again from memory, so no holder types a share twice.
   */
  private async catchUp(address: string): Promise<void> {
    const node = this.cluster.node(address);
    let held = this.held.get(address) ?? 0;
    const previous = this.states.get(address);
    if (previous && previous.outcome !== 'progress') {
      const status = await nodeStatus(node);
      if (!status.reachable || status.sealed === undefined) {
        this.states.set(address, { address, outcome: 'unreachable', sealed: true, ...(status.error ? { error: status.error } : {}) });
        return;
      }
      if (status.sealed === false) {
        this.states.set(address, { address, outcome: 'unsealed', sealed: false, progress: 0, threshold: status.threshold || this.threshold });
        return;
      }
      if ((status.progress ?? 0) < held) held = 0;
    }
    for (let index = held; index < this.ledger.count; index++) {
      const state = await this.applyTo(node, this.ledger.get(index), index);
      this.states.set(address, state);
      if (state.outcome !== 'progress') {
        held = state.outcome === 'unsealed' || state.outcome === 'unsealing' ? 0 : held;
        break;
      }
      held = index + 1;
    }
    this.held.set(address, held);
  }

  private async applyTo(node: VaultNode, share: Buffer, index: number): Promise<NodeUnsealState> {
    const encoded = shareForRequest(share);
    const atThreshold = this.threshold > 0 && index + 1 >= this.threshold;
    try {
      const body = await node.call<SealStatusBody>('PUT', '/sys/unseal', { key: encoded }, { secrets: [encoded] });
      const reachedThreshold = body.sealed !== false && (body.progress ?? 0) === 0 && atThreshold;
      return fromBody(node.address, body, body.sealed === false ? 'unsealed' : reachedThreshold ? 'unsealing' : 'progress', this.threshold);
    } catch (error) {
      if (error instanceof VaultResponseError && error.statusCode === 400) {
        if (error.serverErrors.some((m) => /not initialized/i.test(m))) {
          // A Raft follower accepts shares only once it can join, i.e. once another node is unsealed.
          return { address: node.address, outcome: 'waiting', sealed: true, progress: 0, threshold: this.threshold };
        }
        if (atThreshold) {
          // Vault checks the shares only once it has `threshold` of them; a 400 then means a wrong combination.
          const after = await nodeStatus(node);
          return { address: node.address, outcome: 'rejected', sealed: true, progress: after.progress ?? 0, threshold: after.threshold || this.threshold, error: describe(error) };
        }
      }
      return failed(node.address, error);
    }
  }

  /**
   * Waits for nodes still finishing after the threshold (a Raft follower joins, then unseals) and catches up
   * followers that were not ready to join before the first node was unsealed.
   */
  private async settle(): Promise<void> {
    const deadline = Date.now() + (this.options.settleTimeoutMs ?? 30_000);
    for (;;) {
      const anyUnsealed = [...this.states.values()].some((s) => s.sealed === false);
      const unsealing = [...this.states.values()].filter((s) => s.outcome === 'unsealing');
      const waiting = anyUnsealed && this.ledger.count >= this.threshold ? [...this.states.values()].filter((s) => s.outcome === 'waiting') : [];
      if (unsealing.length === 0 && waiting.length === 0) return;
      if (Date.now() > deadline) {
        for (const state of [...unsealing, ...waiting]) {
          this.states.set(state.address, {
            ...state, outcome: 'error',
            error: state.outcome === 'unsealing'
              ? { code: 'SHARE_REJECTED', message: 'still sealed after the threshold was reached: the shares may be wrong, or the node cannot reach its cluster' }
              : { code: 'VAULT_NOT_INITIALIZED', message: 'never became ready to join its Raft cluster (check its retry_join settings)' },
          });
        }
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
      await Promise.all(unsealing.map(async (state) => {
        const status = await nodeStatus(this.cluster.node(state.address));
        if (status.sealed === false) this.states.set(state.address, { ...state, outcome: 'unsealed', sealed: false, progress: 0 });
      }));
      await Promise.all(waiting.map(async (state) => {
        const status = await nodeStatus(this.cluster.node(state.address));
        if (status.reachable && status.initialized && (status.threshold ?? 0) > 0) await this.catchUp(state.address);
      }));
    }
  }
}

function fromStatus(status: NodeStatus): NodeUnsealState {
  if (!status.reachable || status.error && status.sealed === undefined) {
    return { address: status.address, outcome: 'unreachable', ...(status.error ? { error: status.error } : {}) };
  }
  const state: NodeUnsealState = {
    address: status.address,
    outcome: status.sealed === false ? 'unsealed' : 'progress',
    sealed: status.sealed ?? true,
    progress: status.progress ?? 0,
    threshold: status.threshold ?? 0,
  };
  if (status.nonce) state.nonce = status.nonce;
  return state;
}

function fromBody(address: string, body: SealStatusBody, outcome: NodeOutcome, threshold = 0): NodeUnsealState {
  const state: NodeUnsealState = { address, outcome, sealed: body.sealed ?? true, progress: body.progress ?? 0, threshold: body.t || threshold };
  if (body.nonce) state.nonce = body.nonce;
  return state;
}

function failed(address: string, error: unknown): NodeUnsealState {
  const described = describe(error);
  const outcome: NodeOutcome = described.code === 'VAULT_UNREACHABLE' ? 'unreachable' : 'error';
  return { address, outcome, sealed: true, error: described };
}
