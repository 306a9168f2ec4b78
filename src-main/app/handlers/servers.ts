/**
 * Servers screen: pinned receivers, their status, and the push, on the core's push module. The custodian's
 * identity and the data keys stay in the OS keychain; the renderer sees fingerprints, states and receipts.
 */
import type { PushResultView, ServerStatusView, ServerView } from '../../../src-shared/contract.js';
import type { AuditLog } from '../../core/audit.js';
import { CustodianError } from '../../core/errors.js';
import { keychainTimeoutMs, OsKeychain, type KeyStore } from '../../core/keystore/index.js';
import { keychainService } from '../../core/paths.js';
import {
  authorizedCustodiansEntry, callReceiver, isFingerprint, loadOrCreateIdentity, normalizeReceiverUrl, presentedIdentity, pushKeys, ReceiptLog,
  ServerRegistry, statusOf, verifyStatus, type CustodianSigner, type PinnedServer, type PushResult,
} from '../../core/push/index.js';
import type { Handler } from '../dispatch.js';

type ServerActions = 'custodianIdentity' | 'listServers' | 'probeServer' | 'addServer' | 'removeServer' | 'serverStatus' | 'pushKey';

export interface ServerHandlerDeps {
  env: NodeJS.ProcessEnv;
  home: string;
  audit: AuditLog;
  keys: () => KeyStore;
}

export function serverHandlers(deps: ServerHandlerDeps): { [A in ServerActions]: Handler<A> } {
  const registry = new ServerRegistry(deps.home);
  const receipts = new ReceiptLog(deps.home);
  const identity = async (): Promise<CustodianSigner> => {
    const secrets = new OsKeychain(keychainService(deps.env), { timeoutMs: keychainTimeoutMs(deps.env) });
    const signer = await loadOrCreateIdentity(secrets);
    if (signer.created) await deps.audit.record({ action: 'identity.create', outcome: 'ok', fingerprint: signer.fingerprint, via: 'desktop' });
    return signer;
  };

  /** First contact: the identity the receiver presents, checked for self-consistency (its status is signed by it). */
  async function probe(url: string, name: string): Promise<{ url: string; identity: string; serverId: string; state: 'locked' | 'unlocked' }> {
    const normalized = normalizeReceiverUrl(url);
    const answer = await callReceiver({ name, url: normalized }, 'status');
    const presented = presentedIdentity(answer.body);
    const status = await verifyStatus(answer.body, presented ?? 'unknown', undefined, name);
    return { url: normalized, identity: status.identity, serverId: status.serverId, state: status.state };
  }

  return {
    custodianIdentity: async () => {
      const signer = await identity();
      return { line: authorizedCustodiansEntry(signer.fingerprint), fingerprint: signer.fingerprint };
    },
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
      const statuses = await statusOf(chosen);
      return statuses.map((status): ServerStatusView => {
        const view: ServerStatusView = { name: status.server, url: status.url, reachable: status.ok };
        if (status.state) view.state = status.state;
        if (status.serverId) view.serverId = status.serverId;
        if (status.bootId) view.bootId = status.bootId;
        if (status.keyChecks) view.expectedKeyIds = status.keyChecks;
        if (status.error) view.error = { code: status.error.code, message: status.error.message, ...(status.error.hint ? { hint: status.error.hint } : {}) };
        return view;
      });
    },
    pushKey: async ({ key, previous, servers }) => {
      const chosen = await registry.select(servers, false);
      const store = deps.keys();
      const ids = await Promise.all([key, ...(previous ?? [])].map(async (ref) => (await store.resolve(ref)).id));
      if (new Set(ids).size !== ids.length) throw new CustodianError('INVALID_INPUT', 'The same key is chosen as current and previous key.', { hint: 'Choose a different previous key, or none.' });
      const signer = await identity();
      const lend = (index: number, keys: Buffer[]): Promise<PushResult[]> => (index === ids.length
        ? pushKeys({ servers: chosen, keys, signer, receipts, audit: deps.audit })
        : store.withKey(ids[index]!, (raw) => lend(index + 1, [...keys, raw]), { purpose: 'push' }));
      return (await lend(0, [])).map(pushView);
    },
  };
}

function serverView(server: PinnedServer): ServerView {
  return { name: server.name, url: server.url, identity: server.identity, serverId: server.serverId, added: server.added };
}

function pushView(result: PushResult): PushResultView {
  const view: PushResultView = { server: result.server, ok: result.ok, outcome: result.outcome, keyIds: result.keyIds };
  if (result.ok && result.serverId && result.bootId) {
    view.receipt = {
      serverId: result.serverId,
      bootId: result.bootId,
      keyIds: result.keyIds,
      time: new Date((result.installedAt ?? Date.now() / 1000) * 1000).toISOString(),
    };
  }
  if (result.error) view.error = { code: result.error.code, message: result.error.message, ...(result.error.hint ? { hint: result.error.hint } : {}) };
  return view;
}

