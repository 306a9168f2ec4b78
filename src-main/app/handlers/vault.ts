/**
 * Vault screen: node status and the ceremonies, on the core's vault module. Ceremonies live here in main
 * between calls (the renderer holds only an opaque ceremony id); every share arrives as text, becomes a Buffer
 * at once and is wiped after use. Shares and tokens that must be handed out (init, rekey, generate-root) go back
 * to the renderer once, for the one-holder-at-a-time hand-out view.
 */
import { randomBytes } from 'node:crypto';
import type { NodeProgress, NonceCeremonyView, UnsealView, VaultNodeView } from '../../../src-shared/contract.js';
import type { AuditLog } from '../../core/audit.js';
import { CustodianError } from '../../core/errors.js';
import {
  decryptShare, GenerateRootCeremony, initialize, profileOptions, readRecipient, RekeyCeremony, RekeyVerification, resolveConnection, UnsealCeremony,
  VaultCluster, VaultProfiles, type NodeStatus, type PgpRecipient,
} from '../../core/vault/index.js';
import type { Handler } from '../dispatch.js';

type VaultActions = 'vaultProfiles' | 'vaultStatus' | 'unsealBegin' | 'unsealSubmit' | 'unsealView' | 'unsealReset' | 'unsealEnd' | 'vaultInit'
  | 'rekeyBegin' | 'rekeySubmit' | 'rekeyCancel' | 'generateRootBegin' | 'generateRootSubmit' | 'generateRootCancel';

type Open =
  | { kind: 'unseal'; cluster: VaultCluster; ceremony: UnsealCeremony }
  | { kind: 'rekey'; cluster: VaultCluster; ceremony: RekeyCeremony }
  | { kind: 'rekey-verify'; cluster: VaultCluster; ceremony: RekeyVerification }
  | { kind: 'generate-root'; cluster: VaultCluster; ceremony: GenerateRootCeremony };

export interface VaultHandlers {
  handlers: { [A in VaultActions]: Handler<A> };
  /** Ends every open ceremony (wiping what it remembers) and closes the connections. */
  closeAll(): Promise<void>;
  /** Ceremonies open right now (main asks before the window closes or reloads while this is above 0). */
  openCount(): number;
}

export function vaultHandlers(deps: { env: NodeJS.ProcessEnv; home: string; audit: AuditLog }): VaultHandlers {
  const open = new Map<string, Open>();
  const profiles = new VaultProfiles(deps.home);
  /** The cluster to talk to: a saved profile (addresses + TLS files), or typed addresses with the VAULT_* environment. */
  const cluster = async ({ addrs, profile }: { addrs: string[]; profile?: string | undefined }): Promise<VaultCluster> => {
    const options = profile ? profileOptions(await profiles.get(profile)) : { addresses: addrs };
    return new VaultCluster(resolveConnection(options, deps.env), deps.audit);
  };

  function take<K extends Open['kind']>(id: string, ...kinds: K[]): Extract<Open, { kind: K }> {
    const entry = open.get(id);
    if (!entry || !(kinds as string[]).includes(entry.kind)) {
      throw new CustodianError('CEREMONY_NOT_STARTED', 'This ceremony is no longer open in Key Custodian (it ended, or the app restarted).', {
        hint: 'Start the ceremony again; shares already given to the server are kept by it until reset.',
      });
    }
    return entry as Extract<Open, { kind: K }>;
  }
  function remember(entry: Open): string {
    const id = randomBytes(12).toString('base64url');
    open.set(id, entry);
    return id;
  }
  async function close(id: string): Promise<void> {
    const entry = open.get(id);
    if (!entry) return;
    open.delete(id);
    if (entry.kind === 'unseal') await entry.ceremony.finish();
    else entry.ceremony.wipe();
    entry.cluster.close();
  }

  const handlers: VaultHandlers['handlers'] = {
    vaultProfiles: async () => (await profiles.list()).map((p) => ({
      name: p.name, addresses: p.addresses,
      ...(p.caCert ? { caCert: p.caCert } : {}), ...(p.caPath ? { caPath: p.caPath } : {}), ...(p.tlsServerName ? { tlsServerName: p.tlsServerName } : {}),
    })),
    vaultStatus: async (target) => {
      const c = await cluster(target);
      try {
        return (await c.status()).map(nodeView);
      } finally {
        c.close();
      }
    },

    unsealBegin: async (target) => {
      const c = await cluster(target);
      try {
        const ceremony = await UnsealCeremony.start(c, { audit: deps.audit });
        return unsealView(remember({ kind: 'unseal', cluster: c, ceremony }), ceremony);
      } catch (error) {
        c.close();
        throw error;
      }
    },
    unsealSubmit: async ({ ceremonyId, share, pgpPrivateKey, pgpPassphrase }) => {
      const { ceremony } = take(ceremonyId, 'unseal');
      const typed = Buffer.from(share.trim(), 'utf8');
      try {
        if (pgpPrivateKey !== undefined) {
          const key = Buffer.from(pgpPrivateKey, 'utf8');
          const passphrase = pgpPassphrase ? Buffer.from(pgpPassphrase, 'utf8') : undefined;
          const decrypted = await decryptShare(typed, [{ key, label: 'Your private key', ...(passphrase ? { passphrase } : {}) }]).finally(() => {
            key.fill(0);
            passphrase?.fill(0);
          });
          try {
            await ceremony.submitShare(decrypted);
          } finally {
            decrypted.fill(0);
          }
        } else {
          await ceremony.submit(typed);
        }
      } finally {
        typed.fill(0);
      }
      return unsealView(ceremonyId, ceremony);
    },
    unsealView: async ({ ceremonyId }) => unsealView(ceremonyId, take(ceremonyId, 'unseal').ceremony),
    unsealReset: async ({ ceremonyId }) => {
      const { ceremony } = take(ceremonyId, 'unseal');
      await ceremony.reset();
      return unsealView(ceremonyId, ceremony);
    },
    unsealEnd: async ({ ceremonyId }) => {
      await close(ceremonyId);
      return {};
    },

    vaultInit: async ({ addrs, profile, shares, threshold, pgpKeys, rootTokenPgpKey }) => {
      const c = await cluster({ addrs, profile });
      try {
        const recipients: PgpRecipient[] | undefined = pgpKeys
          ? await Promise.all(pgpKeys.map((text, i) => readRecipient(Buffer.from(text, 'utf8'), `PGP key of holder ${i + 1}`)))
          : undefined;
        const rootRecipient = rootTokenPgpKey ? await readRecipient(Buffer.from(rootTokenPgpKey, 'utf8'), 'root token PGP key') : undefined;
        const result = await initialize(c, {
          shares, threshold, audit: deps.audit,
          ...(recipients ? { pgpKeys: recipients } : {}),
          ...(rootRecipient ? { rootTokenPgpKey: rootRecipient } : {}),
        });
        try {
          return {
            shares: result.shares.map((share) => share.toString('base64')),
            rootToken: result.rootTokenEncrypted ? result.rootToken.toString('base64') : result.rootToken.toString('utf8'),
            sharesEncrypted: result.sharesEncrypted,
          };
        } finally {
          result.wipe();
        }
      } finally {
        c.close();
      }
    },

    rekeyBegin: async ({ addrs, profile, shares, threshold, pgpKeys }) => {
      const c = await cluster({ addrs, profile });
      try {
        const recipients = pgpKeys
          ? await Promise.all(pgpKeys.map((text, i) => readRecipient(Buffer.from(text, 'utf8'), `PGP key of new holder ${i + 1}`)))
          : undefined;
        const ceremony = await RekeyCeremony.start(c, {
          newShares: shares, newThreshold: threshold, requireVerification: true, audit: deps.audit, ...(recipients ? { pgpKeys: recipients } : {}),
        });
        const id = remember({ kind: 'rekey', cluster: c, ceremony });
        return nonceView(id, 'rekey', 'collect', ceremony.parameters.nonce, ceremony.fingerprint, 0, ceremony.threshold, false);
      } catch (error) {
        c.close();
        throw error;
      }
    },
    rekeySubmit: async ({ ceremonyId, share, confirmedFingerprint }) => {
      const entry = take(ceremonyId, 'rekey', 'rekey-verify');
      if (entry.ceremony.fingerprint !== confirmedFingerprint) throw fingerprintChanged(confirmedFingerprint, entry.ceremony.fingerprint);
      const typed = Buffer.from(share.trim(), 'utf8');
      try {
        if (entry.kind === 'rekey-verify') {
          const progress = await entry.ceremony.submit(typed);
          const view = nonceView(ceremonyId, 'rekey', 'verify', entry.ceremony.parameters.nonce, entry.ceremony.fingerprint, progress.progress, progress.required, progress.complete);
          if (progress.complete) await close(ceremonyId);
          return view;
        }
        const progress = await entry.ceremony.submit(typed);
        const view = nonceView(ceremonyId, 'rekey', 'collect', entry.ceremony.parameters.nonce, entry.ceremony.fingerprint, progress.progress, progress.required, progress.complete);
        if (!progress.complete) return view;
        view.newShares = (progress.newShares ?? []).map((s) => s.toString('base64'));
        for (const s of progress.newShares ?? []) s.fill(0);
        if (progress.verificationNonce) {
          // The new shares are not in force yet: threshold holders of the NEW shares must now prove them.
          const verification = await RekeyVerification.join(entry.cluster, deps.audit);
          open.set(ceremonyId, { kind: 'rekey-verify', cluster: entry.cluster, ceremony: verification });
          view.verification = { nonce: verification.parameters.nonce, fingerprint: verification.fingerprint, required: verification.threshold };
        } else {
          await close(ceremonyId);
        }
        return view;
      } finally {
        typed.fill(0);
      }
    },
    rekeyCancel: async ({ ceremonyId }) => {
      const entry = take(ceremonyId, 'rekey', 'rekey-verify');
      await RekeyCeremony.cancel(entry.cluster, deps.audit);
      await close(ceremonyId);
      return {};
    },

    generateRootBegin: async (target) => {
      const c = await cluster(target);
      try {
        const ceremony = await GenerateRootCeremony.start(c, { audit: deps.audit });
        const id = remember({ kind: 'generate-root', cluster: c, ceremony });
        return nonceView(id, 'generate-root', 'collect', ceremony.parameters.nonce, ceremony.fingerprint, 0, ceremony.required, false);
      } catch (error) {
        c.close();
        throw error;
      }
    },
    generateRootSubmit: async ({ ceremonyId, share, confirmedFingerprint }) => {
      const { ceremony } = take(ceremonyId, 'generate-root');
      if (ceremony.fingerprint !== confirmedFingerprint) throw fingerprintChanged(confirmedFingerprint, ceremony.fingerprint);
      const typed = Buffer.from(share.trim(), 'utf8');
      try {
        const progress = await ceremony.submit(typed);
        const view = nonceView(ceremonyId, 'generate-root', 'collect', ceremony.parameters.nonce, ceremony.fingerprint, progress.progress, progress.required, progress.complete);
        if (progress.complete && progress.rootToken) {
          view.rootToken = progress.rootToken.toString('utf8');
          progress.rootToken.fill(0);
          await close(ceremonyId);
        }
        return view;
      } finally {
        typed.fill(0);
      }
    },
    generateRootCancel: async ({ ceremonyId }) => {
      const entry = take(ceremonyId, 'generate-root');
      await GenerateRootCeremony.cancel(entry.cluster, deps.audit);
      await close(ceremonyId);
      return {};
    },
  };

  return {
    handlers,
    async closeAll() {
      for (const id of [...open.keys()]) await close(id).catch(() => undefined);
    },
    openCount: () => open.size,
  };
}

function nodeView(status: NodeStatus): VaultNodeView {
  const view: VaultNodeView = { addr: status.address, reachable: status.reachable };
  if (status.error) view.error = status.error.message;
  if (status.initialized !== undefined) view.initialized = status.initialized;
  if (status.sealed !== undefined) view.sealed = status.sealed;
  if (status.threshold !== undefined) view.threshold = status.threshold;
  if (status.shares !== undefined) view.shares = status.shares;
  if (status.progress !== undefined) view.progress = status.progress;
  if (status.version) view.version = status.version;
  if (status.clusterName) view.clusterName = status.clusterName;
  if (status.role) view.haMode = status.role;
  view.isLeader = status.role === 'active';
  if (status.storageType) view.storageType = status.storageType;
  return view;
}

function unsealView(ceremonyId: string, ceremony: UnsealCeremony): UnsealView {
  const nodes: NodeProgress[] = ceremony.nodes.map((node) => {
    const threshold = node.threshold || ceremony.threshold;
    const progress: NodeProgress = {
      addr: node.address,
      sealed: node.outcome === 'unreachable' ? null : node.sealed ?? true,
      progress: node.sealed === false ? threshold : node.progress ?? 0,
      threshold,
    };
    if (node.error) progress.error = node.error.message;
    return progress;
  });
  return { ceremonyId, submitted: ceremony.accepted, threshold: ceremony.threshold, nodes, done: ceremony.complete };
}

function nonceView(ceremonyId: string, operation: NonceCeremonyView['operation'], stage: NonceCeremonyView['stage'], nonce: string, fingerprint: string,
  progress: number, required: number, complete: boolean): NonceCeremonyView {
  return { ceremonyId, operation, stage, nonce, fingerprint, progress, required, complete };
}

function fingerprintChanged(confirmed: string, current: string): CustodianError {
  return new CustodianError('CEREMONY_CHANGED', `The fingerprint you confirmed (${confirmed}) is not the ceremony's current one (${current}). No share was sent.`, {
    hint: 'Stop, compare the fingerprint with the ceremony lead again, and confirm it before typing your share.',
  });
}
