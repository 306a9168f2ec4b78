/**
 * What the Servers screen's push and lock and the Identity section share with the CLI's push-context.ts: the
 * custodian home's stores, the signing identity from the OS keychain, and the hook that delivers pending custodian
 * statements before each server's push or lock. The same core objects the CLI builds, so both faces behave alike.
 */
import type { AuditEvent, AuditLog } from '../../core/audit.js';
import { keychainTimeoutMs, OsKeychain, type SecretStore } from '../../core/keystore/index.js';
import { keychainService } from '../../core/paths.js';
import {
  loadOrCreateIdentity, prepareWithStatements, ReceiptLog, ServerRegistry, StatementLog,
  type CallReceiver, type CustodianSigner, type LifecycleContext, type PrepareServer,
} from '../../core/push/index.js';

export interface CustodianDeps {
  env: NodeJS.ProcessEnv;
  home: string;
  audit: AuditLog;
  /** The keychain holding the identity (the OS keychain unless a unit test passes an in-memory one). */
  secrets?: () => SecretStore;
  /** How receivers are reached (the real transport unless a unit test passes in-memory receivers). */
  call?: CallReceiver;
}

export interface CustodianContext {
  registry: ServerRegistry;
  receipts: ReceiptLog;
  statements: StatementLog;
  /** The core's audit entries, marked as made from the desktop app. */
  audit: AuditLog;
  call?: CallReceiver;
  secrets(): SecretStore;
  /** The current signing identity, created (and audited) on first use, as `custodian identity show` does. */
  signer(): Promise<CustodianSigner>;
  lifecycle(): LifecycleContext;
  prepare(signer: CustodianSigner): PrepareServer;
}

export function custodianContext(deps: CustodianDeps): CustodianContext {
  const audit: AuditLog = { record: (event: AuditEvent) => deps.audit.record({ ...event, via: 'desktop' }) };
  const secrets = (): SecretStore => deps.secrets?.() ?? new OsKeychain(keychainService(deps.env), { timeoutMs: keychainTimeoutMs(deps.env) });
  const registry = new ServerRegistry(deps.home);
  const statements = new StatementLog(deps.home);
  const lifecycle = (): LifecycleContext => ({ secrets: secrets(), statements, servers: registry, audit, ...(deps.call ? { call: deps.call } : {}) });
  return {
    registry,
    receipts: new ReceiptLog(deps.home),
    statements,
    audit,
    ...(deps.call ? { call: deps.call } : {}),
    secrets,
    async signer() {
      const identity = await loadOrCreateIdentity(secrets());
      if (identity.created) await audit.record({ action: 'identity.create', outcome: 'ok', fingerprint: identity.fingerprint });
      return identity;
    },
    lifecycle,
    prepare: (signer) => prepareWithStatements(lifecycle(), signer),
  };
}
