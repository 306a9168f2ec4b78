/**
 * Keys screen, "Rotate a key": the rotation of docs/rotation.md from the desktop app, on the same core
 * RotationWorkflow as `custodian rotate` (the same keystore, pinned servers, signing identity, receipts and audit
 * log; src-main/cli/commands/rotate.ts builds it the same way). The window sees key ids, server names, counts and
 * dates; the keys stay in the keychain and go to the servers and Vault from here. A Vault token typed for a call
 * becomes a Buffer at once and is wiped when the call ends (vault-token.ts); finish and abort ask for presence
 * first (guard.ts), as the other levers that change what servers accept do.
 */
import type {
  ErrorView, KeyAgeView, OpenRotationView, RotationBegun, RotationServerRowView, RotationStatusView,
} from '../../../src-shared/contract.js';
import type { KeyStore } from '../../core/keystore/index.js';
import { pushKeys, rekeyKeys, statusOf, type ResultError } from '../../core/push/index.js';
import {
  keyAges, rotationFile, RotationWorkflow, type OpenRotation, type RotationOverview, type RotationServerView, type WithVault,
} from '../../core/rotation/index.js';
import type { Handler } from '../dispatch.js';
import { custodianContext, type CustodianDeps } from './custodian-context.js';
import { errorOf } from './lifecycle-views.js';
import { pushView } from './servers.js';
import { tokenRequests } from './vault-token.js';

type RotationActions = 'rotationKeys' | 'rotationStatus' | 'rotationBegin' | 'rotationPush' | 'rotationFinish' | 'rotationAbort';

export interface RotationHandlerDeps extends CustodianDeps {
  keys: () => KeyStore;
  now?: () => Date;
}

export function rotationHandlers(deps: RotationHandlerDeps): { [A in RotationActions]: Handler<A> } {
  const context = custodianContext(deps);
  const state = rotationFile(deps.home);
  const withToken = tokenRequests(deps);
  const call = context.call ? { call: context.call } : {};

  /** The workflow for one request; `token` (typed for this call) reaches Vault on the rotation's profile. */
  function workflow(token: string | undefined, profile?: string): RotationWorkflow {
    const withVault: WithVault = (saved, use) => withToken({ addrs: [], ...((profile ?? saved) ? { profile: profile ?? saved } : {}) }, token!, use);
    return new RotationWorkflow({
      keys: deps.keys(), state, servers: context.registry, audit: context.audit,
      status: (chosen) => statusOf(chosen, context.call),
      push: async (chosen, keys) => {
        const signer = await context.signer();
        return pushKeys({ servers: chosen, keys, signer, receipts: context.receipts, audit: context.audit, prepare: context.prepare(signer), ...call });
      },
      // The old key is retired explicitly: a receiver refuses to drop an installed key otherwise (protocol §12.12).
      rekey: async (chosen, keys, retire) => {
        const signer = await context.signer();
        const results = await rekeyKeys({ servers: chosen, keys, signer, retire, receipts: context.receipts, audit: context.audit, prepare: context.prepare(signer), ...call });
        return results.map((r) => ({ server: r.server, ok: r.ok, ...(r.installedKeyIds ? { installedKeyIds: r.installedKeyIds } : {}), ...(r.error ? { error: r.error } : {}) }));
      },
      ...(token ? { withVault } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    });
  }

  return {
    rotationKeys: async () => {
      const current = await state.read();
      const ages = keyAges(await deps.keys().list(), current, deps.now?.() ?? new Date());
      return { intervalDays: current.intervalDays, open: current.open ? openView(current.open) : null, keys: ages.map((a): KeyAgeView => ({ ...a })) };
    },
    rotationStatus: async ({ token }) => statusView(await workflow(token).status({ vault: token !== undefined })),
    rotationBegin: async ({ key, newKey, name, graceDays, servers, vaultKv, profile, token, noBackupCheck }) => {
      const result = await workflow(token, profile).begin({
        key, ...(newKey ? { newKey } : {}), ...(name ? { name } : {}), ...(graceDays ? { graceDays } : {}),
        ...(servers?.length ? { servers } : {}), ...(vaultKv ? { vaultKv } : {}), ...(profile ? { profile } : {}), noBackupCheck,
      });
      const begun: RotationBegun = {
        ...statusView(result), generated: result.generated, warnings: result.warnings,
        oldKey: { id: result.oldKey.id, name: result.oldKey.name }, newKey: { id: result.newKey.id, name: result.newKey.name },
      };
      return begun;
    },
    rotationPush: async ({ servers }) => (await workflow(undefined).push(servers ?? [])).map(pushView),
    rotationFinish: async ({ force, token, kvCas }) => {
      const result = await workflow(token).finish({ force, ...(kvCas !== undefined ? { kvCas } : {}) });
      return { ...result, rekeyed: result.rekeyed.map((r) => ({ server: r.server, ok: r.ok, ...(r.installedKeyIds ? { installedKeyIds: r.installedKeyIds } : {}), ...(r.error ? { error: errorOf(r.error) } : {}) })) };
    },
    rotationAbort: async ({ force, token, kvCas }) => workflow(token).abort({ force, ...(kvCas !== undefined ? { kvCas } : {}) }),
  };
}

function openView(open: OpenRotation): OpenRotationView {
  return { ...open, servers: [...open.servers], ...(open.vaultKv ? { vaultKv: { ...open.vaultKv } } : {}) };
}

function statusView(overview: RotationOverview): RotationStatusView {
  return {
    open: overview.open ? openView(overview.open) : null,
    intervalDays: overview.intervalDays,
    graceDaysLeft: overview.graceDaysLeft,
    servers: overview.servers.map(serverRow),
    notAccepting: overview.notAccepting,
    ready: overview.ready,
    vault: overview.vault ? { ...overview.vault } : null,
    vaultError: overview.vaultError ? errorOf(overview.vaultError) : null,
    last: overview.last ? { ...overview.last } : null,
  };
}

function serverRow(view: RotationServerView): RotationServerRowView {
  const row: RotationServerRowView = {
    server: view.server, reachable: view.reachable, state: view.state, keyChecks: view.keyChecks, installedKeyIds: view.installedKeyIds,
    acceptsNew: view.acceptsNew, newIsCurrent: view.newIsCurrent, tokensUnderPrevious: view.tokensUnderPrevious, done: view.done,
  };
  if (view.blocker) row.blocker = errorView(view.blocker);
  if (view.error) row.error = errorView(view.error);
  return row;
}

function errorView(error: ResultError): ErrorView {
  return errorOf(error);
}
