import { open, stat } from 'node:fs/promises';
import { CustodianError } from '../../errors.js';
import { asRequestFailed, type VaultNode } from '../node.js';

export type AuditCheckMethod = 'file-contains-request' | 'server-blocks-unlogged-requests' | 'listed';

export interface AuditCheck {
  method: AuditCheckMethod;
  detail: string;
}

const LOOPBACK = /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/;
const WAIT_MS = 3_000;

/**
 * Checks that the audit device is writing. It sends one audited request (sys/audit-hash on that device, which
 * changes nothing) and then:
 * - when the node is on this machine (a loopback address) and the file is readable here, looks for that request's
 *   id in what the file gained: the strongest check;
 * - otherwise, when this is the only enabled device, relies on Vault's rule that a request is answered only if at
 *   least one audit device logged it (so the answer itself proves the device wrote);
 * - otherwise reports that the device is listed and answered, which is all that can be seen from here.
 */
export async function checkAuditWriting(node: VaultNode, devicePath: string, filePath: string, deviceCount: number): Promise<AuditCheck> {
  const local = LOOPBACK.test(node.address) ? await sizeOf(filePath) : null;
  let requestId = '';
  try {
    const body = await node.call<{ request_id?: string }>('POST', `/sys/audit-hash/${devicePath}`, { input: 'key-custodian vault setup check' }, { authenticated: true });
    requestId = typeof body.request_id === 'string' ? body.request_id : '';
  } catch (error) {
    throw asRequestFailed(error, `Checking the audit device ${devicePath}/ (sys/audit-hash)`);
  }
  if (local !== null && requestId) {
    const deadline = Date.now() + WAIT_MS;
    while (Date.now() < deadline) {
      if (await grown(filePath, local, requestId)) return { method: 'file-contains-request', detail: `request ${requestId} appeared in ${filePath}` };
      await new Promise((ok) => setTimeout(ok, 100));
    }
    throw new CustodianError('VAULT_SETUP_AUDIT_NOT_WRITING', `The audit device ${devicePath}/ is enabled, but the check request did not appear in ${filePath} within ${WAIT_MS / 1000} s.`, {
      hint: 'Check the file path, its directory\'s permissions and free disk on the Vault server, then run setup again.',
      details: { device: devicePath, filePath },
    });
  }
  if (deviceCount === 1) {
    return { method: 'server-blocks-unlogged-requests', detail: `the only audit device; Vault answers a request only after an audit device logged it, and the check request (${requestId || 'no id'}) was answered` };
  }
  return { method: 'listed', detail: `listed and answering; with ${deviceCount} devices the server's answer does not prove this one wrote (check ${filePath} on the server)` };
}

async function sizeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

/** Whether the bytes the file gained since `from` contain `needle` (reads only the new part of a large log). */
async function grown(path: string, from: number, needle: string): Promise<boolean> {
  const handle = await open(path, 'r').catch(() => null);
  if (!handle) return false;
  try {
    const { size } = await handle.stat();
    const start = size < from ? 0 : from;
    const length = Math.min(size - start, 16 * 1024 * 1024);
    if (length <= 0) return false;
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, start);
    return buffer.includes(needle);
  } finally {
    await handle.close();
  }
}
