/** What the Vault screens see of nodes and ceremonies: public facts, progress, and problems in words. */
import type { NodeProgress, UnsealView, VaultNodeView } from '../../../src-shared/contract.js';
import type { NodeStatus, UnsealCeremony } from '../../core/vault/index.js';
import { nodeProblemInWords } from './node-words.js';

export function nodeView(status: NodeStatus): VaultNodeView {
  const view: VaultNodeView = { addr: status.address, reachable: status.reachable };
  if (status.error) Object.assign(view, nodeProblemInWords(status.error));
  if (status.initialized !== undefined) view.initialized = status.initialized;
  if (status.sealed !== undefined) view.sealed = status.sealed;
  if (status.threshold !== undefined) view.threshold = status.threshold;
  if (status.shares !== undefined) view.shares = status.shares;
  if (status.progress !== undefined) view.progress = status.progress;
  if (status.version) view.version = status.version;
  if (status.clusterName) view.clusterName = status.clusterName;
  // A sealed node has no HA role ("sealed" is the core's placeholder, not a role).
  if (status.role && status.role !== 'sealed') view.haMode = status.role;
  view.isLeader = status.role === 'active';
  if (status.storageType) view.storageType = status.storageType;
  return view;
}

export function unsealView(ceremonyId: string, ceremony: UnsealCeremony): UnsealView {
  const nodes: NodeProgress[] = ceremony.nodes.map((node) => {
    const threshold = node.threshold || ceremony.threshold;
    const progress: NodeProgress = {
      addr: node.address,
      sealed: node.outcome === 'unreachable' ? null : node.sealed ?? true,
      progress: node.sealed === false ? threshold : node.progress ?? 0,
      threshold,
    };
    // A Raft follower reports "not initialised" (threshold 0) until it can join: it is sealed, waiting for the others.
    if (node.outcome === 'waiting' || (node.threshold === 0 && node.sealed !== false && node.outcome !== 'unreachable' && !node.error)) progress.joining = true;
    if (node.error) {
      const words = nodeProblemInWords(node.error);
      progress.error = words.error;
      progress.errorCode = words.errorCode;
    }
    return progress;
  });
  return { ceremonyId, submitted: ceremony.accepted, threshold: ceremony.threshold, nodes, done: ceremony.complete };
}
