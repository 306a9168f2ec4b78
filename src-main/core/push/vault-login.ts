/**
 * The Vault login delivered by push (docs/protocol.md §12.13), client side: per server, at push time, a
 * response-wrapped AppRole SecretID (wrap TTL 60 s, single use) is minted and its wrapping token travels inside
 * the HPKE-sealed, signed unlock request, after the data keys. Vault being sealed or unreachable never stops the
 * data keys: the server is unlocked and its result says the Vault login was not delivered, with a hint.
 */
import { isCustodianError } from '../errors.js';
import type { ReceiverStatus } from './messages.js';

/** The role a receiver announces and the state of its Vault login (status member `vault_login`). */
export interface ReceiverVaultLogin {
  role: string;
  state: string;
}

/** What the receipt or the client says about one server's Vault login. */
export interface VaultLoginResult {
  role: string;
  delivered: boolean;
  /** `delivered`, or why not: a receiver's state (VAULT_WRAP_USED, …) or a client-side reason (VAULT_SEALED, …). */
  state: string;
  hint?: string;
}

/** Mints one wrapped SecretID for `role`; returns the wrapping token's bytes (the caller wipes them). */
export type MintWrappedSecretId = (role: string) => Promise<Buffer>;

export interface VaultLoginOptions {
  role: string;
  mint: MintWrappedSecretId;
}

export const ROLE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_WRAP_TOKEN_BYTES = 1024;

/** The receivers' states (§12.13) and the client's own reasons for "not delivered", each with what to do. */
const HINTS: Record<string, string> = {
  VAULT_WRAP_USED: 'The wrapping token was already used or had expired when the server unwrapped it: someone may have intercepted it. Check the Vault audit log for the unwrap, then `custodian server lock NAME` and push again.',
  VAULT_UNREACHABLE: 'Vault was unreachable (from this machine when minting, or from the server when logging in) or sealed. Check it (custodian vault status), unseal it if needed (custodian vault unseal), then `custodian server lock NAME` and push again with --vault-role.',
  VAULT_LOGIN_FAILED: 'Vault refused the AppRole login: check the RoleID in the server\'s configuration (VAULT_ROLE_ID) against `bao read auth/approle/role/ROLE/role-id`.',
  VAULT_ROLE_MISMATCH: 'The server expects a login for another AppRole role: push with --vault-role set to the role in its VAULT_ROLE.',
  awaiting: 'The server is unlocked but holds no Vault login (none was delivered in this boot): `custodian server lock NAME`, then push again with --vault-role.',
  VAULT_TOKEN_EXPIRED: 'The server\'s Vault token expired (it could not renew it): `custodian server lock NAME`, then push again with --vault-role.',
  VAULT_NOT_CONFIGURED: 'The server has no Vault login configured (VAULT_ENABLED): nothing was minted for it.',
  VAULT_SEALED: 'Vault is sealed: the data key was pushed anyway. Unseal it (custodian vault unseal), then `custodian server lock NAME` and push again with --vault-role.',
  VAULT_MINT_FAILED: 'Vault did not mint a SecretID: check that the token may write auth/approle/role/ROLE/secret-id (custodian vault setup) and that the role exists.',
};

export function hintFor(state: string): string | undefined {
  return HINTS[state];
}

/** Checks the optional status member; undefined means "absent" (the receiver has no Vault login configured). */
export function parseStatusVaultLogin(value: unknown): ReceiverVaultLogin | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entry = value as Record<string, unknown>;
  const keys = Object.keys(entry);
  if (keys.length !== 2 || typeof entry['role'] !== 'string' || !ROLE_NAME_PATTERN.test(entry['role'])) return null;
  if (typeof entry['state'] !== 'string' || !/^[A-Za-z_]{1,40}$/.test(entry['state'])) return null;
  return { role: entry['role'], state: entry['state'] };
}

export function receiptVaultResult(role: string, state: string): VaultLoginResult {
  const hint = hintFor(state);
  return { role, delivered: state === 'delivered', state, ...(hint ? { hint } : {}) };
}

/**
 * Mints the wrapped SecretID for this server, or says why no Vault login goes with the push. Only servers that
 * announce a Vault login for the same role get one: a SecretID is never minted for a server that cannot use it.
 */
export async function vaultLoginFor(status: ReceiverStatus, options: VaultLoginOptions): Promise<{ wrap: Buffer } | { result: VaultLoginResult }> {
  const announced = status.vaultLogin;
  if (!announced) return { result: receiptVaultResult(options.role, 'VAULT_NOT_CONFIGURED') };
  if (announced.role !== options.role) return { result: receiptVaultResult(options.role, 'VAULT_ROLE_MISMATCH') };
  try {
    const wrap = await options.mint(options.role);
    if (wrap.length < 1 || wrap.length > MAX_WRAP_TOKEN_BYTES || wrap.some((byte) => byte < 0x21 || byte > 0x7e)) {
      wrap.fill(0);
      return { result: receiptVaultResult(options.role, 'VAULT_MINT_FAILED') };
    }
    return { wrap };
  } catch (error) {
    const code = isCustodianError(error) ? error.code : 'INTERNAL';
    const state = code === 'VAULT_SEALED' ? 'VAULT_SEALED' : code === 'VAULT_UNREACHABLE' || code === 'VAULT_TLS' ? 'VAULT_UNREACHABLE' : 'VAULT_MINT_FAILED';
    return { result: receiptVaultResult(options.role, state) };
  }
}
