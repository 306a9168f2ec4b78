/**
 * Vault screen: node status and the ceremonies, on the core's vault module. Every ceremony lives in main
 * (ceremonies/registry.ts) between calls; the renderer holds only an opaque ceremony id and re-attaches to it
 * after navigation, the idle lock, a reload or a reopened window (`vaultCeremonies`). Every typed share becomes
 * a Buffer at once and is wiped after use. Secrets a ceremony makes (init shares and root token, rekeyed shares,
 * a generated root token) stay in main in a Handout and go to the renderer one holder at a time.
 *
 * Nothing here ends a ceremony behind the officer's back: only completion, an explicit cancel, or abandoning a
 * hand-out with the typed phrase that names the holders still waiting.
 */
import type { CeremonySummary, NonceCeremonyView } from '../../../src-shared/contract.js';
import type { AuditLog } from '../../core/audit.js';
import { CustodianError } from '../../core/errors.js';
import {
  decryptShare, GenerateRootCeremony, initialize, profileOptions, readRecipient, RekeyCeremony, RekeyVerification, resolveConnection, UnsealCeremony,
  VaultCluster, VaultProfiles, type PgpRecipient,
} from '../../core/vault/index.js';
import { Handout, type HandoutItem } from '../ceremonies/handout.js';
import { withAppHint } from '../ceremonies/node-words.js';
import { CeremonyRegistry, type ClusterTarget, type OpenCeremony } from '../ceremonies/registry.js';
import { typedShareBytes } from '../ceremonies/typed-share.js';
import { profileView } from './vault-admin.js';
import { nodeView, unsealView } from '../ceremonies/views.js';
import type { Handler } from '../dispatch.js';

type VaultActions = 'vaultProfiles' | 'vaultStatus' | 'unsealBegin' | 'unsealSubmit' | 'unsealView' | 'unsealReset' | 'unsealEnd' | 'vaultInit'
  | 'rekeyBegin' | 'rekeySubmit' | 'rekeyCancel' | 'generateRootBegin' | 'generateRootSubmit' | 'generateRootCancel'
  | 'vaultCeremonies' | 'handoutReveal' | 'handoutConfirm' | 'handoutAbandon';

export interface VaultHandlers {
  handlers: { [A in VaultActions]: Handler<A> };
  /** Open ceremonies that would lose something if the app closed now (the unload confirmation asks first). */
  openCount(): number;
  /** Ends every open ceremony (wiping what it remembers) and closes the connections. */
  closeAll(): Promise<void>;
}

export function vaultHandlers(deps: { env: NodeJS.ProcessEnv; home: string; audit: AuditLog }): VaultHandlers {
  const registry = new CeremonyRegistry();
  const profiles = new VaultProfiles(deps.home);
  /** The cluster to talk to: a saved profile (addresses + TLS files), or typed addresses with the VAULT_* environment. */
  const cluster = async ({ addrs, profile }: ClusterTarget): Promise<VaultCluster> => {
    const options = profile ? profileOptions(await profiles.get(profile)) : { addresses: addrs };
    return new VaultCluster(resolveConnection(options, deps.env), deps.audit);
  };
  const targetOf = ({ addrs, profile }: ClusterTarget): ClusterTarget => (profile ? { addrs, profile } : { addrs });

  /** A rekey whose new shares are handed out moves on to verification: join it on the server (once). */
  async function ensureVerification(entry: OpenCeremony): Promise<RekeyVerification> {
    if (entry.verification) return entry.verification;
    entry.verification = await RekeyVerification.join(entry.cluster!, deps.audit);
    entry.progress = 0;
    entry.required = entry.verification.threshold;
    return entry.verification;
  }

  /** After the last secret of a hand-out: a rekey goes on to verification, everything else ends. */
  async function afterHandout(entry: OpenCeremony): Promise<CeremonySummary | undefined> {
    entry.handout?.wipe();
    if (entry.kind === 'rekey' && entry.rekeyNeedsVerification) {
      entry.stage = 'verify';
      await ensureVerification(entry).catch(() => undefined); // joined again on the next share or listing
      return entry.summary();
    }
    await registry.close(entry.id);
    return undefined;
  }

  /**
   * Ends a hand-out that some holders never received, after the typed phrase. Rekeyed shares not all handed out
   * must never come into force, so a rekey is cancelled on the server too (the old shares stay valid); a root
   * token nobody received is simply dropped. One audit line either way, naming who is still waiting.
   */
  async function abandonHandout(entry: OpenCeremony, confirmation: string | undefined): Promise<Record<string, never>> {
    openHandout(entry).checkAbandon(confirmation);
    const waiting = waitingLabels(entry);
    if (entry.kind === 'rekey') await RekeyCeremony.cancel(entry.cluster!, deps.audit);
    await deps.audit.record({ action: 'vault.handout.abandon', outcome: 'ok', ceremony: entry.kind, waiting });
    await registry.close(entry.id);
    return {};
  }

  function checkFingerprint(entry: OpenCeremony, confirmed: string): void {
    const current = entry.fingerprint?.fingerprint ?? '';
    if (current !== confirmed) throw fingerprintChanged(confirmed, current);
  }

  const handlers: VaultHandlers['handlers'] = {
    vaultProfiles: async () => (await profiles.list()).map(profileView),
    vaultStatus: async (target) => {
      const c = await cluster(target);
      try {
        return (await c.status()).map(nodeView);
      } finally {
        c.close();
      }
    },

    vaultCeremonies: async () => {
      for (const summary of registry.list()) {
        const entry = registry.get(summary.ceremonyId);
        if (entry.stage === 'verify' && !entry.verification) await ensureVerification(entry).catch(() => undefined);
      }
      return registry.list();
    },

    unsealBegin: async (target) => {
      // One unseal per cluster: a second window, or the same one after a reload, joins the open ceremony.
      const open = registry.find('unseal', target);
      if (open?.unseal) return unsealView(open.id, open.unseal);
      const c = await cluster(target);
      try {
        const ceremony = await UnsealCeremony.start(c, { audit: deps.audit });
        const entry = registry.add('unseal', targetOf(target), c, 'collect');
        entry.unseal = ceremony;
        const view = unsealView(entry.id, ceremony);
        // Every node already unsealed: nothing to hold open.
        if (view.done) await registry.close(entry.id);
        return view;
      } catch (error) {
        c.close();
        throw withAppHint(error);
      }
    },
    unsealSubmit: async ({ ceremonyId, share, pgpPrivateKey, pgpPassphrase, holderName }) => {
      const entry = registry.get(ceremonyId, 'unseal');
      const ceremony = entry.unseal!;
      const typed = typedShareBytes(share, pgpPrivateKey !== undefined);
      try {
        if (pgpPrivateKey !== undefined) {
          const key = Buffer.from(pgpPrivateKey, 'utf8');
          const passphrase = pgpPassphrase ? Buffer.from(pgpPassphrase, 'utf8') : undefined;
          const decrypted = await decryptShare(typed, [{ key, label: 'Your private key', ...(passphrase ? { passphrase } : {}) }]).finally(() => {
            key.fill(0);
            passphrase?.fill(0);
          });
          try {
            await ceremony.submitShare(decrypted, holderName);
          } finally {
            decrypted.fill(0);
          }
        } else {
          await ceremony.submit(typed, holderName);
        }
      } finally {
        typed.fill(0);
      }
      const view = unsealView(ceremonyId, ceremony);
      // Unsealed: the ceremony is over; its remembered shares are wiped now, not when a window says so.
      if (view.done) await registry.close(ceremonyId);
      return view;
    },
    unsealView: async ({ ceremonyId }) => unsealView(ceremonyId, registry.get(ceremonyId, 'unseal').unseal!),
    unsealReset: async ({ ceremonyId }) => {
      const { unseal } = registry.get(ceremonyId, 'unseal');
      await unseal!.reset();
      return unsealView(ceremonyId, unseal!);
    },
    unsealEnd: async ({ ceremonyId }) => {
      await registry.close(ceremonyId);
      return {};
    },

    vaultInit: async ({ addrs, profile, shares, threshold, pgpKeys, rootTokenPgpKey, holderNames }) => {
      const c = await cluster({ addrs, profile });
      try {
        const recipients: PgpRecipient[] | undefined = pgpKeys
          ? await Promise.all(pgpKeys.map((text, i) => readRecipient(Buffer.from(text, 'utf8'), `PGP key of holder ${i + 1}`)))
          : undefined;
        const rootRecipient = rootTokenPgpKey ? await readRecipient(Buffer.from(rootTokenPgpKey, 'utf8'), 'root token PGP key') : undefined;
        const result = await initialize(c, {
          shares, threshold, audit: deps.audit, ...(holderNames ? { holderNames } : {}),
          ...(recipients ? { pgpKeys: recipients } : {}),
          ...(rootRecipient ? { rootTokenPgpKey: rootRecipient } : {}),
        });
        try {
          // The hand-out keeps its own copies; the core's result is wiped at once.
          const items: HandoutItem[] = [
            ...result.shares.map((share): HandoutItem => ({ kind: 'share', secret: Buffer.from(share), encoding: 'base64' })),
            { kind: 'root-token', secret: Buffer.from(result.rootToken), encoding: result.rootTokenEncrypted ? 'base64' : 'utf8' },
          ];
          const entry = registry.add('init', targetOf({ addrs, profile }), undefined, 'handout');
          entry.handout = new Handout(items, result.sharesEncrypted);
          entry.required = result.shares.length;
          return entry.summary();
        } finally {
          result.wipe();
        }
      } catch (error) {
        throw withAppHint(error);
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
        const entry = registry.add('rekey', targetOf({ addrs, profile }), c, 'collect');
        entry.rekey = ceremony;
        entry.required = ceremony.threshold;
        return nonceView(entry);
      } catch (error) {
        c.close();
        throw withAppHint(error);
      }
    },
    rekeySubmit: async ({ ceremonyId, share, confirmedFingerprint, holderName }) => {
      const entry = registry.get(ceremonyId, 'rekey');
      if (entry.stage === 'handout') throw handoutFirst(entry);
      if (entry.stage === 'verify') await ensureVerification(entry);
      checkFingerprint(entry, confirmedFingerprint);
      const typed = typedShareBytes(share, false);
      try {
        if (entry.stage === 'verify') {
          const progress = await entry.verification!.submit(typed, holderName);
          entry.progress = progress.progress;
          const view = { ...nonceView(entry), complete: progress.complete };
          if (progress.complete) await registry.close(ceremonyId);
          return view;
        }
        const progress = await entry.rekey!.submit(typed, holderName);
        entry.progress = progress.progress;
        if (!progress.complete) return nonceView(entry);
        // The new shares exist only here now: into the hand-out before anything else can fail.
        const fresh = progress.newShares ?? [];
        entry.handout = new Handout(fresh.map((s): HandoutItem => ({ kind: 'share', secret: Buffer.from(s), encoding: 'base64' })), Boolean(progress.newSharesEncrypted));
        for (const s of fresh) s.fill(0);
        entry.rekeyNeedsVerification = Boolean(progress.verificationNonce);
        entry.stage = 'handout';
        return { ...nonceView(entry), complete: true };
      } finally {
        typed.fill(0);
      }
    },
    rekeyCancel: async ({ ceremonyId, confirmation }) => {
      const entry = registry.get(ceremonyId, 'rekey');
      // New shares not yet with every holder: cancelling throws them away, so it needs the typed phrase.
      if (entry.stage === 'handout') return abandonHandout(entry, confirmation);
      await RekeyCeremony.cancel(entry.cluster!, deps.audit);
      await registry.close(ceremonyId);
      return {};
    },

    generateRootBegin: async (target) => {
      const c = await cluster(target);
      try {
        const ceremony = await GenerateRootCeremony.start(c, { audit: deps.audit });
        const entry = registry.add('generate-root', targetOf(target), c, 'collect');
        entry.generateRoot = ceremony;
        entry.required = ceremony.required;
        return nonceView(entry);
      } catch (error) {
        c.close();
        throw withAppHint(error);
      }
    },
    generateRootSubmit: async ({ ceremonyId, share, confirmedFingerprint, holderName }) => {
      const entry = registry.get(ceremonyId, 'generate-root');
      if (entry.stage === 'handout') throw handoutFirst(entry);
      checkFingerprint(entry, confirmedFingerprint);
      const typed = typedShareBytes(share, false);
      try {
        const progress = await entry.generateRoot!.submit(typed, holderName);
        entry.progress = progress.progress;
        if (!progress.complete || !progress.rootToken) return nonceView(entry);
        entry.handout = new Handout([{ kind: 'root-token', secret: Buffer.from(progress.rootToken), encoding: 'utf8' }], false);
        progress.rootToken.fill(0);
        entry.stage = 'handout';
        return { ...nonceView(entry), complete: true };
      } finally {
        typed.fill(0);
      }
    },
    generateRootCancel: async ({ ceremonyId, confirmation }) => {
      const entry = registry.get(ceremonyId, 'generate-root');
      // The attempt is over on the server once the token exists; what is left is the token nobody has received yet.
      if (entry.stage === 'handout') return abandonHandout(entry, confirmation);
      await GenerateRootCeremony.cancel(entry.cluster!, deps.audit);
      await registry.close(ceremonyId);
      return {};
    },

    handoutReveal: async ({ ceremonyId, index }) => {
      const entry = registry.get(ceremonyId);
      const secret = openHandout(entry).reveal(index);
      await deps.audit.record({ action: 'vault.handout.reveal', outcome: 'ok', ceremony: entry.kind, holder: secret.label });
      return secret;
    },
    handoutConfirm: async ({ ceremonyId, index }) => {
      const entry = registry.get(ceremonyId);
      const handout = openHandout(entry);
      const label = handout.view().items[index]?.label ?? '';
      handout.confirm(index);
      await deps.audit.record({ action: 'vault.handout.recorded', outcome: 'ok', ceremony: entry.kind, holder: label });
      if (!handout.complete) return { ceremony: entry.summary(), finished: false };
      const next = await afterHandout(entry);
      return next ? { ceremony: next, finished: false } : { finished: true };
    },
    handoutAbandon: async ({ ceremonyId, confirmation }) => abandonHandout(registry.get(ceremonyId), confirmation),
  };

  return {
    handlers,
    openCount: () => registry.openCount(),
    closeAll: () => registry.closeAll(),
  };
}

function openHandout(entry: OpenCeremony): Handout {
  if (entry.stage !== 'handout' || !entry.handout) {
    throw new CustodianError('CEREMONY_NOT_STARTED', 'This ceremony has nothing to hand out now.', { hint: 'Reopen the Vault screen to see where the ceremony stands.' });
  }
  return entry.handout;
}

function waitingLabels(entry: OpenCeremony): string[] {
  return (entry.handout?.view().items ?? []).filter((item) => !item.handedOut).map((item) => item.label);
}

function nonceView(entry: OpenCeremony): NonceCeremonyView {
  const print = entry.fingerprint ?? { fingerprint: '', nonce: '' };
  const view: NonceCeremonyView = {
    ceremonyId: entry.id,
    operation: entry.kind === 'rekey' ? 'rekey' : 'generate-root',
    stage: entry.stage,
    nonce: print.nonce,
    fingerprint: print.fingerprint,
    progress: entry.progress,
    required: entry.required,
    complete: false,
  };
  if (entry.stage === 'handout' && entry.handout) view.handout = entry.handout.view();
  return view;
}

function handoutFirst(entry: OpenCeremony): CustodianError {
  const next = entry.handout?.view().items[entry.handout.next]?.label ?? 'the next holder';
  return new CustodianError('HANDOUT_OPEN', `The hand-out of this ceremony is still open (${next} is next); no share is taken until it is finished.`, {
    hint: 'Finish the hand-out on the Vault screen, or abandon it with the typed confirmation.',
  });
}

function fingerprintChanged(confirmed: string, current: string): CustodianError {
  return new CustodianError('CEREMONY_CHANGED', `The fingerprint you confirmed (${confirmed}) is not the ceremony's current one (${current}). No share was sent.`, {
    hint: 'Stop, compare the fingerprint with the ceremony lead again, and confirm it before typing your share.',
  });
}
