import { CustodianError } from '../errors.js';
import type { VaultCluster } from './cluster.js';
import { asRequestFailed, VaultResponseError } from './node.js';

/** A KV v2 secret version. String values are returned as Buffers (they are usually keys); wipe them after use. */
export interface KvSecret {
  data: Record<string, Buffer>;
  version: number;
  createdTime?: string;
}

interface KvReadBody {
  data?: { data?: Record<string, unknown> | null; metadata?: { version?: number; created_time?: string } };
}

/** Reads the latest (or a given) version of `path` under a KV v2 mount, e.g. ('secret', 'mail-helper/encryption'). */
export async function kvRead(cluster: VaultCluster, mount: string, path: string, version?: number): Promise<KvSecret | null> {
  const node = await cluster.activeNode();
  const query = version ? `?version=${version}` : '';
  let body: KvReadBody;
  try {
    body = await node.call<KvReadBody>('GET', `/${cleanSegment(mount)}/data/${cleanPath(path)}${query}`, undefined, { authenticated: true });
  } catch (error) {
    if (error instanceof VaultResponseError && error.statusCode === 404) return null;
    throw asRequestFailed(error, `Reading ${mount}/${path}`);
  }
  const data: Record<string, Buffer> = {};
  for (const [key, value] of Object.entries(body.data?.data ?? {})) {
    data[key] = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
  }
  const secret: KvSecret = { data, version: body.data?.metadata?.version ?? 0 };
  if (body.data?.metadata?.created_time) secret.createdTime = body.data.metadata.created_time;
  return secret;
}

/**
 * Writes a new version. `cas` (check-and-set) makes the write fail if the current version is not `cas`
 * (0 = only if absent), so two officers cannot silently overwrite each other's rotation.
 */
export async function kvWrite(cluster: VaultCluster, mount: string, path: string, data: Record<string, Uint8Array | string>, options: { cas?: number } = {}): Promise<{ version: number }> {
  const node = await cluster.activeNode();
  const payload: Record<string, string> = {};
  // The JSON body needs strings (the transport wipes the serialised bytes once sent); these copies are not wipeable.
  for (const [key, value] of Object.entries(data)) payload[key] = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
  const body: Record<string, unknown> = { data: payload };
  if (options.cas !== undefined) body['options'] = { cas: options.cas };
  try {
    const response = await node.call<{ data?: { version?: number } }>('POST', `/${cleanSegment(mount)}/data/${cleanPath(path)}`, body, {
      authenticated: true, secrets: Object.values(payload),
    });
    return { version: response.data?.version ?? 0 };
  } catch (error) {
    if (options.cas !== undefined && error instanceof VaultResponseError && error.statusCode === 400 && error.serverErrors.some((m) => /check-and-set/i.test(m))) {
      throw new CustodianError('VAULT_KV_CONFLICT', `Writing ${mount}/${path} failed: it changed since it was read (the write expected version ${options.cas}); nothing was written.`, {
        hint: `Someone else wrote it meanwhile: look at \`custodian vault kv versions ${path}\`, then run the command again (it reads the new version).`,
        details: { expectedVersion: options.cas },
      });
    }
    throw asRequestFailed(error, `Writing ${mount}/${path}`);
  }
}

/** The mount name, checked (one path segment). */
export function kvMountSegment(mount: string): string {
  return cleanSegment(mount);
}

/** The secret path's segments, checked (no '..', no odd characters), not yet URL-encoded. */
export function kvPathSegments(path: string): string[] {
  return cleanPath(path).split('/').map(decodeURIComponent);
}

function cleanSegment(segment: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(segment)) throw new CustodianError('INVALID_INPUT', `"${segment}" is not a valid mount name.`);
  return segment;
}

function cleanPath(path: string): string {
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0 || parts.some((p) => p === '..' || p === '.' || !/^[A-Za-z0-9_.@-]+$/.test(p))) {
    throw new CustodianError('INVALID_INPUT', `"${path}" is not a valid secret path.`, { hint: 'Use letters, digits, - _ . @ and / only.' });
  }
  return parts.map(encodeURIComponent).join('/');
}
