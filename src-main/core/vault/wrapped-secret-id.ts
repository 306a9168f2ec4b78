import { CustodianError } from '../errors.js';
import type { VaultCluster } from './cluster.js';
import type { VaultNode } from './node.js';
import { VaultResponseError } from './node.js';

/** Wrap TTL of a SecretID minted for a push (protocol §12.13): long enough for one push, useless afterwards. */
export const PUSH_WRAP_TTL = '60s';

const ROLE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

interface WrapAnswer {
  wrap_info?: { token?: unknown; creation_path?: unknown };
}

/**
 * Mints response-wrapped AppRole SecretIDs (`auth/approle/role/NAME/secret-id` with X-Vault-Wrap-TTL: 60s), one
 * per call, for `custodian push --vault-role`. The active node is looked up once and again after a failure.
 * The SecretID itself never reaches this process: Vault keeps it in the wrapping token's cubbyhole, and only the
 * server that unwraps it (once) sees it.
 */
export class WrappedSecretIdMinter {
  private active: VaultNode | undefined;

  constructor(private readonly cluster: VaultCluster) {}

  /** The wrapping token as bytes; the caller wipes them. Throws VAULT_SEALED, VAULT_UNREACHABLE, VAULT_REQUEST_FAILED. */
  async mint(role: string): Promise<Buffer> {
    if (!ROLE.test(role)) throw new CustodianError('INVALID_INPUT', `"${role}" is not an AppRole role name.`, { hint: 'Use 1-64 letters, digits, . _ - (the role `custodian vault setup --app NAME` created).' });
    try {
      this.active ??= await this.cluster.activeNode();
      const answer = await this.active.call<WrapAnswer>('POST', `/auth/approle/role/${role}/secret-id`, {}, { authenticated: true, wrapTtl: PUSH_WRAP_TTL });
      const token = answer.wrap_info?.token;
      // node-vault parses the JSON answer: the token exists as a JS string here (not wipeable); it is copied into a
      // Buffer at once and the answer object is dropped.
      if (typeof token !== 'string' || answer.wrap_info?.creation_path !== `auth/approle/role/${role}/secret-id`) {
        throw new CustodianError('VAULT_REQUEST_FAILED', `Vault did not answer with a wrapped SecretID for role ${role}.`, { hint: 'Check the role with `custodian vault setup --dry-run`.' });
      }
      return Buffer.from(token, 'ascii');
    } catch (error) {
      this.active = undefined;
      if (error instanceof VaultResponseError) {
        const sealed = error.statusCode === 503;
        throw new CustodianError(sealed ? 'VAULT_SEALED' : 'VAULT_REQUEST_FAILED', sealed
          ? 'Vault is sealed: no SecretID was minted.'
          : `Minting a SecretID for role ${role} failed on ${error.address} (HTTP ${error.statusCode}).`, {
          hint: error.statusCode === 403
            ? `The token needs "update" on auth/approle/role/${role}/secret-id.`
            : 'Run `custodian vault status`.',
          details: { address: error.address, status: error.statusCode },
        });
      }
      throw error;
    }
  }
}
