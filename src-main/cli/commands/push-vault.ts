/** `custodian push --vault-role NAME`: the Vault side of a push (docs/protocol.md §12.13). */
import { CustodianError } from '../../core/errors.js';
import type { PushResult, VaultLoginOptions } from '../../core/push/index.js';
import { WrappedSecretIdMinter } from '../../core/vault/index.js';
import type { Output } from '../io.js';
import type { CommandContext } from '../main.js';
import { withCluster } from './vault.js';
import { isInteractive, readHiddenLine } from './vault-input.js';

export interface VaultLoginFlags {
  vaultRole?: string;
  profile?: string;
  tokenFile?: string;
}

/**
 * Runs `use` with a minter on the profile's cluster when --vault-role is given (token from VAULT_TOKEN,
 * --token-file or a hidden prompt, as the other vault commands), else with none. The token is wiped afterwards.
 */
export async function withVaultLogin<T>(context: CommandContext, flags: VaultLoginFlags, output: Output, use: (vault: VaultLoginOptions | undefined) => Promise<T>): Promise<T> {
  if (!flags.vaultRole) {
    if (flags.profile || flags.tokenFile) {
      throw new CustodianError('USAGE', '--profile and --token-file belong to --vault-role.', { hint: 'Add --vault-role NAME to deliver a Vault login, or leave them out.' });
    }
    return use(undefined);
  }
  const role = flags.vaultRole;
  let token: Buffer | undefined;
  if (!flags.tokenFile && !context.io.env['VAULT_TOKEN'] && isInteractive(context.io)) {
    token = (await readHiddenLine(context.io, 'Vault token to mint SecretIDs (hidden): ')) ?? undefined;
  }
  try {
    return await withCluster(context, { ...(flags.profile ? { profile: flags.profile } : {}), ...(flags.tokenFile ? { tokenFile: flags.tokenFile } : {}) }, output, (cluster) => {
      if (!cluster.settings.token) {
        throw new CustodianError('USAGE', '--vault-role needs a Vault token that may mint SecretIDs.', { hint: 'Set VAULT_TOKEN, pass --token-file FILE, or run on a terminal to be asked.' });
      }
      const minter = new WrappedSecretIdMinter(cluster);
      return use({ role, mint: (name) => minter.mint(name) });
    }, token);
  } finally {
    token?.fill(0);
  }
}

/** The line under a server's result: its Vault login delivered, or why not and what to do. */
export function vaultLoginLines(result: PushResult): string[] {
  const login = result.vaultLogin;
  if (!login) return [];
  if (login.delivered) return [`  vault login: delivered (role ${login.role})`];
  return [`  vault login: NOT delivered (${login.state}, role ${login.role})`, ...(login.hint ? [`  hint: ${login.hint.replaceAll('NAME', result.server)}`] : [])];
}
