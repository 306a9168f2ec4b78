import { CustodianError } from '../../errors.js';
import { asRequestFailed, type VaultNode } from '../node.js';
import type { MissingCapability, StepId } from './steps.js';

/** A capability a step needs on a path; "create|update" is satisfied by either. */
export interface Need {
  path: string;
  capabilities: string[];
  step: StepId | 'inspect';
}

/**
 * Asks the server which capabilities the token has on each path (sys/capabilities-self, allowed by the default
 * policy) and returns those missing. "root" grants everything; "deny" nothing.
 */
export async function missingCapabilities(node: VaultNode, needs: Need[]): Promise<MissingCapability[]> {
  if (needs.length === 0) return [];
  const paths = [...new Set(needs.map((n) => n.path))];
  let body: { data?: Record<string, unknown> } & Record<string, unknown>;
  try {
    body = await node.call('POST', '/sys/capabilities-self', { paths }, { authenticated: true });
  } catch (error) {
    throw asRequestFailed(error, 'Asking which capabilities the token has (sys/capabilities-self)');
  }
  const granted = (path: string): string[] => {
    const value = (body.data ?? body)[path];
    return Array.isArray(value) ? value.filter((c): c is string => typeof c === 'string') : [];
  };
  const missing: MissingCapability[] = [];
  for (const need of needs) {
    const has = granted(need.path);
    if (has.includes('root')) continue;
    if (has.includes('deny')) {
      for (const capability of need.capabilities) missing.push({ path: need.path, capability, step: need.step });
      continue;
    }
    for (const capability of need.capabilities) {
      if (!capability.split('|').some((c) => has.includes(c))) missing.push({ path: need.path, capability, step: need.step });
    }
  }
  return missing;
}

export function forbidden(missing: MissingCapability[], what: string): CustodianError {
  const list = missing.map((m) => `${m.capability} on ${m.path}`);
  return new CustodianError('VAULT_SETUP_FORBIDDEN', `The token cannot ${what}: it lacks ${list.join('; ')}. Nothing was changed.`, {
    hint: 'Use a token with these capabilities: right after init, the root token; later, make one with `custodian vault generate-root`.',
    details: { missing },
  });
}
