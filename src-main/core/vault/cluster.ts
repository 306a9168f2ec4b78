import { CustodianError, isCustodianError } from '../errors.js';
import type { AuditLog } from '../audit.js';
import { VaultNode, VaultResponseError } from './node.js';
import type { ConnectionSettings } from './settings.js';

/** What one node reports (all public facts). `error` is set instead when the node cannot be asked. */
export interface NodeStatus {
  address: string;
  reachable: boolean;
  error?: { code: string; message: string };
  initialized?: boolean;
  sealed?: boolean;
  threshold?: number;
  shares?: number;
  progress?: number;
  nonce?: string;
  version?: string;
  clusterName?: string;
  clusterId?: string;
  storageType?: string;
  sealType?: string;
  haEnabled?: boolean;
  /** 'active' | 'standby' | 'sealed' | 'standalone' */
  role?: string;
  leaderAddress?: string;
}

export interface SealStatusBody {
  type?: string;
  initialized?: boolean;
  sealed?: boolean;
  t?: number;
  n?: number;
  progress?: number;
  nonce?: string;
  version?: string;
  cluster_name?: string;
  cluster_id?: string;
  storage_type?: string;
}

interface LeaderBody {
  ha_enabled?: boolean;
  is_self?: boolean;
  leader_address?: string;
}

/** A list of nodes that form one Vault/OpenBao cluster (or one standalone node), with shared TLS settings. */
export class VaultCluster {
  readonly nodes: VaultNode[];

  constructor(readonly settings: ConnectionSettings, readonly audit?: AuditLog) {
    this.nodes = settings.addresses.map((address) => new VaultNode(address, settings));
  }

  node(address: string): VaultNode {
    const found = this.nodes.find((n) => n.address === address);
    if (!found) throw new CustodianError('INVALID_INPUT', `${address} is not a node of this cluster.`);
    return found;
  }

  /** Status of every node, in parallel. Unreachable nodes are reported in their entry, never thrown. */
  async status(): Promise<NodeStatus[]> {
    return Promise.all(this.nodes.map((node) => nodeStatus(node)));
  }

  /** The active node: asks each unsealed node who leads, and returns the node whose address matches. */
  async activeNode(): Promise<VaultNode> {
    const statuses = await this.status();
    const active = statuses.find((s) => s.role === 'active' || s.role === 'standalone');
    if (active) return this.node(active.address);
    const unsealed = statuses.filter((s) => s.sealed === false);
    if (unsealed.length === 0) {
      throw new CustodianError('VAULT_SEALED', 'No node of the cluster is unsealed and reachable.', {
        hint: 'Unseal the cluster first: custodian vault unseal.',
        details: { nodes: statuses },
      });
    }
    throw new CustodianError('VAULT_REQUEST_FAILED', 'No active node found among the given addresses.', {
      hint: `The cluster says its leader is ${unsealed[0]?.leaderAddress || 'unknown'}; add that address with --addr.`,
      details: { nodes: statuses },
    });
  }

  close(): void {
    for (const node of this.nodes) node.close();
  }
}

export async function nodeStatus(node: VaultNode): Promise<NodeStatus> {
  let seal: SealStatusBody;
  try {
    seal = await node.call<SealStatusBody>('GET', '/sys/seal-status');
  } catch (error) {
    return unreachable(node.address, error);
  }
  const status: NodeStatus = {
    address: node.address,
    reachable: true,
    initialized: seal.initialized ?? false,
    sealed: seal.sealed ?? true,
    threshold: seal.t ?? 0,
    shares: seal.n ?? 0,
    progress: seal.progress ?? 0,
  };
  if (seal.nonce) status.nonce = seal.nonce;
  if (seal.version) status.version = seal.version;
  if (seal.cluster_name) status.clusterName = seal.cluster_name;
  if (seal.cluster_id) status.clusterId = seal.cluster_id;
  if (seal.storage_type) status.storageType = seal.storage_type;
  if (seal.type) status.sealType = seal.type;
  if (status.sealed) {
    status.role = 'sealed';
    return status;
  }
  try {
    const leader = await node.call<LeaderBody>('GET', '/sys/leader');
    status.haEnabled = Boolean(leader.ha_enabled);
    status.role = !leader.ha_enabled ? 'standalone' : leader.is_self ? 'active' : 'standby';
    if (leader.leader_address) status.leaderAddress = leader.leader_address;
  } catch (error) {
    // The seal status answered, so the node is reachable; the leader call can fail while it steps up or down.
    status.error = describe(error);
  }
  return status;
}

export function unreachable(address: string, error: unknown): NodeStatus {
  return { address, reachable: !(isCustodianError(error) && (error.code === 'VAULT_UNREACHABLE' || error.code === 'VAULT_TLS')), error: describe(error) };
}

export function describe(error: unknown): { code: string; message: string } {
  if (isCustodianError(error)) return { code: error.code, message: error.message };
  if (error instanceof VaultResponseError) {
    return { code: 'VAULT_REQUEST_FAILED', message: `HTTP ${error.statusCode}${error.serverErrors.length ? `: ${error.serverErrors.join('; ')}` : ''}` };
  }
  return { code: 'INTERNAL', message: 'unexpected failure' };
}
