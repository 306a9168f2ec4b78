// The usual start of an e2e file against a real OpenBao node: the node initialised (1 share) and unsealed, and an
// officer's window on a fresh bridge. Shared so that each spec file says only what is particular to it.
import { initialize, resolveConnection, UnsealCeremony, VaultCluster } from '../../../src-main/core/vault/index.js';
import { waitFor, type BaoCluster } from '../../support/openbao.js';
import { E2E_UNLOCK_PASSPHRASE, type SpecContext } from '../specs/helpers.js';
import { startBridge, type Bridge } from './bridge.js';
import { openWindow, screenshot, type Window } from './browser.js';

/** init (1 share) and unseal through the core; returns the root token (a test-only string). */
export async function initAndUnseal(server: BaoCluster): Promise<string> {
  const plain = new VaultCluster(resolveConnection({ addresses: server.addresses, caCert: server.ca.caCert }, {}));
  try {
    const init = await initialize(plain, { shares: 1, threshold: 1 });
    const rootToken = init.rootToken.toString('utf8');
    const ceremony = await UnsealCeremony.start(plain);
    await ceremony.submitShare(Buffer.from(init.shares[0]!));
    await ceremony.finish();
    init.wipe();
    await waitFor('an active node', async () => Boolean(await plain.activeNode()), 30_000);
    return rootToken;
  } finally {
    plain.close();
  }
}

export interface Session { bridge: Bridge; window: Window; context: SpecContext }

/** A bridge on `env` and a window on it, with the spec context the helpers take. */
export async function openSession(env: Record<string, string>, options: Parameters<typeof startBridge>[1] = {}): Promise<Session> {
  const bridge = await startBridge(env, options);
  const window = await openWindow(bridge);
  return { bridge, window, context: { page: window.page, env, shot: (name) => screenshot(window.page, name), passphrase: E2E_UNLOCK_PASSPHRASE } };
}

/** Closes the window, the bridge, then the given servers (any may be missing after a failed start). */
export async function closeSession(session: Session | undefined, ...servers: Array<{ stop(): Promise<void> } | undefined>): Promise<void> {
  await session?.window.close();
  await session?.bridge.stop();
  await Promise.all(servers.map((s) => s?.stop()));
}
