/**
 * The Vault KV view (issue 11 §5): an application's secrets in a KV v2 mount, as `custodian vault kv`. The core
 * does the work (vault/kv-secrets.ts); this file turns the window's requests into core calls. Listing and
 * reading answer names, fingerprints and versions only; a value leaves main only through vaultKvReveal, which
 * needs the user's presence (guard.ts), and a generated password is made here and never sent back by put.
 */
import type { VaultKvSecretView } from '../../../src-shared/contract.js';
import type { AuditLog } from '../../core/audit.js';
import { CustodianError } from '../../core/errors.js';
import {
  generatePassword, kvDelete, kvGet, kvList, kvMetadata, kvPut, summariseKvSecret, wipeAll,
} from '../../core/vault/index.js';
import type { Handler } from '../dispatch.js';
import { tokenRequests } from './vault-token.js';

type KvActions = 'vaultKvList' | 'vaultKvGet' | 'vaultKvReveal' | 'vaultKvPut' | 'vaultKvDelete';

export function vaultKvHandlers(deps: { env: NodeJS.ProcessEnv; home: string; audit: AuditLog; revealClearSeconds: () => Promise<number> }): { [A in KvActions]: Handler<A> } {

  const withToken = tokenRequests(deps);

  return {
    vaultKvList: async ({ token, mount, prefix, ...target }) => withToken(target, token, async (cluster) => ({ keys: await kvList(cluster, mount, prefix) })),

    vaultKvGet: async ({ token, mount, path, ...target }) => withToken(target, token, async (cluster): Promise<VaultKvSecretView> => {
      const metadata = await kvMetadata(cluster, mount, path);
      if (!metadata) throw new CustodianError('VAULT_KV_NOT_FOUND', `${mount}/${path} holds no secret.`, { hint: 'Reload the list: it may have been deleted.' });
      // The latest version may be soft-deleted: then there are versions to show, but no fields.
      const secret = metadata.versions.find((v) => v.version === metadata.currentVersion && !v.deletionTime && !v.destroyed) ? await kvGet(cluster, mount, path) : undefined;
      try {
        const summary = secret ? summariseKvSecret(mount, path, secret) : undefined;
        return {
          path, version: metadata.currentVersion, createdTime: summary?.createdTime ?? null, fields: summary?.fields ?? [], versions: metadata.versions,
        };
      } finally {
        if (secret) wipeAll(Object.values(secret.data));
      }
    }),

    vaultKvReveal: async ({ token, mount, path, field, version, ...target }) => withToken(target, token, async (cluster) => {
      const secret = await kvGet(cluster, mount, path, version);
      try {
        const value = secret.data[field];
        if (!value) throw new CustodianError('VAULT_KV_NOT_FOUND', `${mount}/${path} version ${secret.version} has no field "${field}".`, { hint: 'Reload the secret: its fields may have changed.' });
        await deps.audit.record({ action: 'vault.kv.reveal', outcome: 'ok', mount, path, field, version: secret.version, via: 'desktop' });
        // The answer crosses IPC as a string: the one copy this action exists to make.
        return { field, version: secret.version, value: value.toString('utf8'), clearsAfterSeconds: await deps.revealClearSeconds() };
      } finally {
        wipeAll(Object.values(secret.data));
      }
    }),

    vaultKvPut: async ({ token, mount, path, generate, values, cas, ...target }) => {
      const fields: Record<string, Buffer> = {};
      try {
        for (const { field, length } of generate) {
          if (field in fields) throw new CustodianError('INVALID_INPUT', `The field ${field} is given twice.`);
          fields[field] = generatePassword(length);
        }
        for (const { field, value } of values) {
          if (field in fields) throw new CustodianError('INVALID_INPUT', `The field ${field} is given twice.`, { hint: 'Generate it or type it, not both.' });
          fields[field] = Buffer.from(value, 'utf8');
        }
        return await withToken(target, token, async (cluster) => {
          const result = await kvPut(cluster, mount, path, fields, { audit: deps.audit, ...(cas !== undefined ? { cas } : {}) });
          return { version: result.version, fields: result.fields, kept: result.kept, generated: generate.map((g) => g.field).sort() };
        });
      } finally {
        wipeAll(Object.values(fields));
      }
    },

    vaultKvDelete: async ({ token, mount, path, ...target }) => withToken(target, token, (cluster) => kvDelete(cluster, mount, path, { audit: deps.audit })),
  };
}
