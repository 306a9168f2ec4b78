import { describe, type VaultCluster } from './cluster.js';
import { asRequestFailed } from './node.js';

export interface AuditDevice {
  path: string;
  type: string;
  filePath?: string;
}

/**
 * The enabled audit devices (needs a token with sudo on sys/audit). A failure (no permission, no active node) is
 * returned, not thrown: `vault status` reports it and goes on.
 */
export async function auditDevices(cluster: VaultCluster): Promise<{ devices: AuditDevice[] | null; error?: { code: string; message: string } }> {
  try {
    const node = await cluster.activeNode();
    const body = await node.call<Record<string, unknown>>('GET', '/sys/audit', undefined, { authenticated: true });
    const table = (body['data'] ?? body) as Record<string, { type?: unknown; options?: Record<string, unknown> | null }>;
    const devices = Object.entries(table)
      .filter(([, d]) => d && typeof d === 'object' && typeof d.type === 'string')
      .map(([path, d]): AuditDevice => {
        const device: AuditDevice = { path, type: String(d.type) };
        if (typeof d.options?.['file_path'] === 'string') device.filePath = d.options['file_path'];
        return device;
      })
      .sort((a, b) => a.path.localeCompare(b.path));
    return { devices };
  } catch (error) {
    return { devices: null, error: describe(asRequestFailed(error, 'Listing the audit devices (sys/audit)')) };
  }
}
