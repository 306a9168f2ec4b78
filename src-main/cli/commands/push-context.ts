/** What the identity, server and push commands share: the custodian home's stores and the keychain identity. */
import { FileAuditLog } from '../../core/audit.js';
import { keychainTimeoutMs, OsKeychain } from '../../core/keystore/index.js';
import { custodianHome, keychainService } from '../../core/paths.js';
import { loadOrCreateIdentity, ReceiptLog, ServerRegistry, type CustodianSigner } from '../../core/push/index.js';
import type { CommandContext } from '../main.js';

export function servers(context: CommandContext): ServerRegistry {
  return new ServerRegistry(custodianHome(context.io.env));
}

export function receipts(context: CommandContext): ReceiptLog {
  return new ReceiptLog(custodianHome(context.io.env));
}

export function audit(context: CommandContext): FileAuditLog {
  return new FileAuditLog(custodianHome(context.io.env));
}

/** The custodian identity from the OS keychain, created (and announced on stderr) on first use. */
export async function custodianIdentity(context: CommandContext): Promise<CustodianSigner> {
  const env = context.io.env;
  const secrets = new OsKeychain(keychainService(env), {
    timeoutMs: keychainTimeoutMs(env),
    onTimeout: () => { setTimeout(() => process.exit(), 1000).unref(); },
  });
  const identity = await loadOrCreateIdentity(secrets);
  if (identity.created) {
    context.output().note('Created a new custodian identity in the OS keychain. Receivers must list it: see `custodian identity show`.');
    await audit(context).record({ action: 'identity.create', outcome: 'ok', fingerprint: identity.fingerprint });
  }
  return identity;
}
