/** What the identity, server and push commands share: the custodian home's stores and the keychain identity. */
import { FileAuditLog } from '../../core/audit.js';
import { CustodianError } from '../../core/errors.js';
import { keychainTimeoutMs, OsKeychain } from '../../core/keystore/index.js';
import { custodianHome, keychainService } from '../../core/paths.js';
import {
  DEFAULT_CONCURRENCY, MAX_CONCURRENCY, SLOW_AFTER_MS, loadOrCreateIdentity, parseTimeoutSeconds, prepareWithStatements, ReceiptLog, ServerRegistry, StatementLog,
  type CustodianSigner, type LifecycleContext, type PrepareServer,
} from '../../core/push/index.js';
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

export function statements(context: CommandContext): StatementLog {
  return new StatementLog(custodianHome(context.io.env));
}

export function keychain(context: CommandContext): OsKeychain {
  const env = context.io.env;
  return new OsKeychain(keychainService(env), {
    timeoutMs: keychainTimeoutMs(env),
    onTimeout: () => { setTimeout(() => process.exit(), 1000).unref(); },
  });
}

/** The custodian identity from the OS keychain, created (and announced on stderr) on first use. */
export async function custodianIdentity(context: CommandContext): Promise<CustodianSigner> {
  const identity = await loadOrCreateIdentity(keychain(context));
  if (identity.created) {
    context.output().note('Created a new custodian identity in the OS keychain. Receivers must list it: see `custodian identity show`.');
    await audit(context).record({ action: 'identity.create', outcome: 'ok', fingerprint: identity.fingerprint });
  }
  return identity;
}

/** --timeout and --concurrency, shared by push, server status and server lock. */
export interface ContactFlags {
  timeout?: string;
  concurrency?: string;
}

// No commander defaults: the core's defaults apply when a flag is absent (and a command may give --timeout
// another scope, e.g. a whole watch, without a default that would end it early).
export const TIMEOUT_FLAG = ['--timeout <seconds>', 'overall deadline of each request to a receiver: connect, TLS and the whole answer (0.1-600, default 10)'] as const;
export const CONCURRENCY_FLAG = ['--concurrency <n>', `at most this many servers contacted at once (1-${MAX_CONCURRENCY}); default: ${DEFAULT_CONCURRENCY}, and one still waiting after ${SLOW_AFTER_MS / 1000} s makes room for the next`] as const;

export function contactOptions(flags: ContactFlags): { timeoutMs?: number; concurrency?: number } {
  const timeoutMs = parseTimeoutSeconds(flags.timeout);
  let concurrency: number | undefined;
  if (flags.concurrency !== undefined) {
    concurrency = Number(flags.concurrency);
    if (!/^[0-9]+$/.test(flags.concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new CustodianError('USAGE', `--concurrency takes a whole number between 1 and ${MAX_CONCURRENCY}.`, { hint: `Leave it out for the default (${DEFAULT_CONCURRENCY} at once; slow servers make room for the next).` });
    }
  }
  return { ...(timeoutMs ? { timeoutMs } : {}), ...(concurrency ? { concurrency } : {}) };
}

/** What rotate, revoke and the push/lock hook need: keychain, statements, pinned servers, audit. */
export function lifecycle(context: CommandContext, contact: { timeoutMs?: number; concurrency?: number } = {}): LifecycleContext {
  return { secrets: keychain(context), statements: statements(context), servers: servers(context), audit: audit(context), ...contact };
}

/** Before each server's push or lock: deliver its pending custodian statements, pick the identity it accepts. */
export function prepareServers(context: CommandContext, signer: CustodianSigner, contact: { timeoutMs?: number }): PrepareServer {
  return prepareWithStatements(lifecycle(context, contact), signer);
}
