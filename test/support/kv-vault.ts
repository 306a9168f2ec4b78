/** One real OpenBao node, initialised (1 share), unsealed, with `secret/` as a KV v2 mount: what KV tests start from. */
import { initialize, kvRead, resolveConnection, UnsealCeremony, VaultCluster } from '../../src-main/core/vault/index.js';
import { startSingleNode, waitFor, type BaoCluster } from './openbao.js';

export interface KvVault {
  server: BaoCluster;
  /** The root token; the test wipes it (and the shares) when done. */
  rootToken: Buffer;
  shares: Buffer[];
}

export async function startKvVault(): Promise<KvVault> {
  const server = await startSingleNode();
  let rootToken: Buffer;
  let shares: Buffer[];
  const cluster = new VaultCluster(resolveConnection({ addresses: server.addresses, caCert: server.ca.caCert }, {}));
  try {
    const init = await initialize(cluster, { shares: 1, threshold: 1 });
    rootToken = Buffer.from(init.rootToken);
    shares = init.shares.map((s) => Buffer.from(s));
    const ceremony = await UnsealCeremony.start(cluster);
    await ceremony.submitShare(Buffer.from(init.shares[0]!));
    await ceremony.finish();
    init.wipe();
  } finally {
    cluster.close();
  }
  const authed = new VaultCluster(resolveConnection({ addresses: server.addresses, caCert: server.ca.caCert, token: rootToken }, {}));
  try {
    await waitFor('an active node', async () => Boolean(await authed.activeNode()), 30_000);
    const active = await authed.activeNode();
    await active.call('POST', '/sys/mounts/secret', { type: 'kv', options: { version: '2' } }, { authenticated: true });
    // A new KV v2 mount answers "upgrading ... resume service shortly" for a moment.
    await waitFor('the KV v2 mount to be ready', async () => (await kvRead(authed, 'secret', 'not/yet')) === null, 30_000);
  } finally {
    authed.close();
  }
  return { server, rootToken, shares };
}
