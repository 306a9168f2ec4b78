/**
 * Servers screen: pinned receivers, their status, and the push, on the core's push module. The custodian's
 * identity and the data keys stay in the OS keychain; the renderer sees fingerprints, states and receipts.
 */
import type { PushResultView, ServerStatusView, ServerView } from '../../../src-shared/contract.js';
import type { AuditLog } from '../../core/audit.js';
import { CustodianError } from '../../core/errors.js';
import type { KeyStore, SecretStore } from '../../core/keystore/index.js';
import {
  callReceiver, isFingerprint, normalizeReceiverUrl, presentedIdentity, pushKeys,
  statusOf, verifyStatus, type CallReceiver, type PinnedServer, type PushResult,
  type VaultLoginOptions,
} from '../../core/push/index.js';
import { WrappedSecretIdMinter } from '../../core/vault/index.js';
import { tokenRequests } from './vault-token.js';
import type { Handler } from '../dispatch.js';
import { custodianContext } from './custodian-context.js';
import { errorOf } from './lifecycle-views.js';

type ServerActions = 'listServers' | 'probeServer' | 'addServer' | 'removeServer' | 'serverStatus' | 'pushKey';

export interface ServerHandlerDeps {
  env: NodeJS.ProcessEnv;
  home: string;
  audit: AuditLog;
  keys: () => KeyStore;
  /** The keychain holding the custodian identity (in-memory in unit tests; the OS keychain otherwise). */
  secrets?: () => SecretStore;
  /** How receivers are reached (in-memory receivers in unit tests). */
  call?: CallReceiver;
}

export function serverHandlers(deps: ServerHandlerDeps): { [A in ServerActions]: Handler<A> } {
  // The same stores, identity and statement hook as the CLI's push (and this app's lock and Identity section).
  const context = custodianContext(deps);
  const { registry, receipts } = context;
  const identity = () => context.signer();

  /** First contact: the identity the receiver presents, checked for self-consistency (its status is signed by it). */
  async function probe(url: string, name: string): Promise<{ url: string; identity: string; serverId: string; state: 'locked' | 'unlocked' }> {
    const normalized = normalizeReceiverUrl(url);
    const answer = await callReceiver({ name, url: normalized }, 'status');
    const presented = presentedIdentity(answer.body);
    const status = await verifyStatus(answer.body, presented ?? 'unknown', undefined, name);
    return { url: normalized, identity: status.identity, serverId: status.serverId, state: status.state };
  }

  return {
    listServers: async () => (await registry.list()).map(serverView),
    probeServer: async ({ url }) => probe(url, 'new server'),
    addServer: async ({ name, url, identity: confirmed }) => {
      if (!isFingerprint(confirmed)) {
        throw new CustodianError('INVALID_INPUT', 'That is not an identity fingerprint (ed25519: followed by 43 characters).', { hint: 'Fetch the server identity first.' });
      }
      // Contact it again: the identity pinned is the one presented now, and it must be the one the officer confirmed.
      const seen = await probe(url, name);
      if (seen.identity !== confirmed) {
        await deps.audit.record({ action: 'server.add', outcome: 'error', server: name, url: seen.url, code: 'IDENTITY_MISMATCH', via: 'desktop' });
        throw new CustodianError('IDENTITY_MISMATCH', `${name} at ${seen.url} now presents identity ${seen.identity}, not the one you confirmed; it was not added.`, {
          hint: 'Check the URL and the fingerprint the receiver printed at start. A different identity can mean another machine answers at this address.',
        });
      }
      const pinned: PinnedServer = { name, url: seen.url, identity: seen.identity, serverId: seen.serverId, added: new Date().toISOString() };
      await registry.add(pinned);
      await deps.audit.record({ action: 'server.add', outcome: 'ok', server: name, url: seen.url, identity: seen.identity, serverId: seen.serverId, via: 'desktop' });
      return serverView(pinned);
    },
    removeServer: async ({ name }) => {
      const removed = await registry.remove(name);
      await deps.audit.record({ action: 'server.remove', outcome: 'ok', server: name, via: 'desktop' });
      return serverView(removed);
    },
    serverStatus: async ({ names }) => {
      const chosen = names ? await registry.select(names, false) : await registry.list();
      const statuses = await statusOf(chosen, deps.call);
      return statuses.map((status): ServerStatusView => {
        const view: ServerStatusView = { name: status.server, url: status.url, reachable: status.ok };
        if (status.state) view.state = status.state;
        if (status.serverId) view.serverId = status.serverId;
        if (status.bootId) view.bootId = status.bootId;
        if (status.keyChecks) view.expectedKeyIds = status.keyChecks;
        if (status.installedKeyIds) view.installedKeyIds = status.installedKeyIds;
        if (status.tokensUnderPrevious !== undefined) view.tokensUnderPrevious = status.tokensUnderPrevious;
        if (status.error) view.error = errorOf(status.error);
        return view;
      });
    },
    pushKey: async ({ key, previous, servers, allowOlderCurrentKey, dropPrevious, vaultLogin }) => {
      const chosen = await registry.select(servers, false);
      const store = deps.keys();
      const ids = await Promise.all([key, ...(previous ?? [])].map(async (ref) => (await store.resolve(ref)).id));
      if (new Set(ids).size !== ids.length) throw new CustodianError('INVALID_INPUT', 'The same key is chosen as current and previous key.', { hint: 'Choose a different previous key, or none.' });
      const signer = await identity();
      // The same guard as `custodian push`: never silently drop a key a server still needs (REKEY_KEY_IN_USE).
      const heldKeyIds = (await store.list()).map((entry) => entry.id);
      const lend = (index: number, keys: Buffer[], vault?: VaultLoginOptions): Promise<PushResult[]> => (index === ids.length
        ? pushKeys({
          servers: chosen, keys, signer, receipts, audit: context.audit, allowOlderCurrentKey: allowOlderCurrentKey === true,
          dropPrevious: dropPrevious === true, heldKeyIds,
          prepare: context.prepare(signer), ...(deps.call ? { call: deps.call } : {}), ...(vault ? { vaultLogin: vault } : {}),
        })
        : store.withKey(ids[index]!, (raw) => lend(index + 1, [...keys, raw], vault), { purpose: 'push' }));
      if (!vaultLogin) return (await lend(0, [])).map(pushView);
      // §12.13: SecretIDs minted on the profile's cluster with the typed token (wiped when the push ends).
      return tokenRequests(deps)({ addrs: [], profile: vaultLogin.profile }, vaultLogin.token, async (cluster) => {
        const minter = new WrappedSecretIdMinter(cluster);
        return (await lend(0, [], { role: vaultLogin.role, mint: (role) => minter.mint(role) })).map(pushView);
      });
    },
  };
}

function serverView(server: PinnedServer): ServerView {
  return { name: server.name, url: server.url, identity: server.identity, serverId: server.serverId, added: server.added };
}

export function pushView(result: PushResult): PushResultView {
  const view: PushResultView = { server: result.server, ok: result.ok, outcome: result.outcome, keyIds: result.keyIds };
  if (result.retired?.length) view.retired = result.retired;
  if (result.ok && result.serverId && result.bootId) {
    view.receipt = {
      serverId: result.serverId,
      bootId: result.bootId,
      keyIds: result.keyIds,
      time: new Date((result.installedAt ?? Date.now() / 1000) * 1000).toISOString(),
    };
  }
  if (result.warnings?.length) view.warnings = result.warnings;
  if (result.error) view.error = errorOf(result.error);
  if (result.vaultLogin) view.vaultLogin = result.vaultLogin;
  return view;
}

