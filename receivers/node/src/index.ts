/**
 * Key Custodian receiver for Node (docs/protocol.md, custodian-unlock/1, revision 2).
 *
 *   const receiver = createReceiver({ serverId, identityKey, authorizedCustodians, keyChecks });
 *   hardenServer(http.createServer(receiverServerOptions(), receiver.handler)).listen(8421);  // or app.use(receiver.handler)
 *   receiver.on('unlocked', () => { const token = receiver.fernet().encrypt(data); ... });
 *   receiver.onLock(() => dropEveryCopyOfTheKeys());   // remote lock or lock(): keys already wiped here
 *   receiver.on('rekeyed', (info) => ...);             // a custodian replaced the keys while unlocked (§12.12)
 *   receiver.reportTokensUnderPrevious(() => countRowsNotUnderTheCurrentKey());   // signed status, §12.12
 *   // §12.13: createReceiver({ ..., vault: vaultLoginFromEnvironment() }); then await receiver.getSecret('postgresql')
 *
 * The data key arrives encrypted to a per-boot key, is checked against the configured key ids, and is kept only
 * in this process's memory; lock() (or a custodian's signed remote lock) wipes it.
 */
import { EventEmitter } from 'node:events';
import { ReceiverCore, type Answer, type LockInfo, type ReceiverCoreOptions, type RekeyInfo, type UnlockInfo } from './core.js';
import { ReceiverFernet } from './fernet.js';
import { createHandler, type RequestHandler } from './http.js';
import { ReceiverConfigError, type ReceiverErrorCode } from './errors.js';
import type { StatementInfo } from './statements.js';
import type { VaultLoginState } from './vault-login.js';

export { PROTOCOL, fingerprintOf, keyIdOf, isKeyId, isFingerprint } from './encoding.js';
export { RECEIVER_ERRORS, ReceiverConfigError, ReceiverError, type ReceiverErrorCode } from './errors.js';
export {
  loadOrCreateIdentityKey, loadIdentityKeyCredential, openStatementsFile, readIdentityHandovers, parseAuthorizedCustodians,
  type AuthorizedCustodian,
} from './config-files.js';
export { InvalidToken, ReceiverFernet } from './fernet.js';
export {
  ReceiverCore, checkReceiverSettings, clientNonceOf,
  type Answer, type BootState, type KeyChecksInfo, type LockInfo, type Outcome, type ReceiverCoreOptions, type RekeyInfo, type StatementStore,
  type UnlockInfo,
} from './core.js';
export { keyCheckSource, readKeyCheckFile, type KeyCheckSource } from './key-checks.js';
export { parseStrictJson } from './strict-json.js';
export { CustodianRegistry, type StatementInfo } from './statements.js';
export { checkIdentityHandovers, createReceiverHandover } from './identity-handovers.js';
export { hardenServer, receiverServerOptions, MAX_CONNECTIONS_PER_ADDRESS, REQUEST_DEADLINE_MS } from './server.js';
export type { RequestHandler } from './http.js';
export {
  VaultLogin, VaultLockedError, VaultReadError, VAULT_STATES, isRoleName, takeWrapToken, vaultLoginFromEnvironment, vaultSettingsFromEnvironment,
  type VaultLoginState, type VaultSettings,
} from './vault-login.js';
export { AgentClient, AgentLockedError, AGENT_PROTOCOL, AGENT_SOCKET_ENV, type AgentClientState } from './agent-client.js';

export interface ReceiverConfig extends ReceiverCoreOptions {
  /** Where the endpoints live: {basePath}/status, /unlock, /lock, /custodians, /identity. Default "/custodian". */
  basePath?: string;
  /** Serve GET {basePath}/metrics (Prometheus text; nothing secret). Default false. */
  metrics?: boolean;
}

/** One line of the attempt log (protocol §12.7): never key material, never the request. */
export type Attempt =
  | { event: 'unlock'; ok: true; keyIds: string[]; custodian: string; vaultLogin?: VaultLoginState }
  | { event: 'lock'; ok: true; custodian: string; bootId: string }
  | { event: 'statement'; ok: true; type: StatementInfo['type']; custodian: string; subject: string; applied: boolean }
  | { event: 'rekey'; ok: true; keyIds: string[]; retired: string[]; custodian: string }
  | { event: 'unlock' | 'lock' | 'statement' | 'rekey'; ok: false; error: ReceiverErrorCode };
/** @deprecated the name of revision 1; every attempt now says which endpoint it was for. */
export type UnlockAttempt = Attempt;

/**
 * Events: 'unlocked' (UnlockInfo), 'locked' (LockInfo: remote or local), 'rekeyed' (RekeyInfo: the keys were
 * replaced while unlocked; fernet() already uses the new set), 'attempt' (Attempt) for every unlock, lock,
 * statement and rekey request.
 */
export interface Receiver extends EventEmitter {
  /** node:http request handler (also express-style middleware: paths that are not its own go to next()). */
  readonly handler: RequestHandler;
  readonly state: 'locked' | 'unlocked';
  readonly serverId: string;
  /** This receiver's identity fingerprint: what `custodian server add --identity` takes. */
  readonly identity: string;
  readonly bootId: string;
  readonly installedKeyIds: readonly string[];
  /** The protocol core (for a host agent that serves the keys on: see onLock). */
  readonly core: ReceiverCore;
  /** Fernet/MultiFernet over the installed keys; throws while locked. */
  fernet(): ReceiverFernet;
  /** Wipes the keys and starts a new boot: locked again, old requests useless. */
  lock(): void;
  /**
   * Called synchronously at every lock, local or remote, after the keys are wiped and before the lock's answer
   * leaves: drop every other copy of the keys here. Returns an unsubscribe function.
   */
  onLock(listener: (info: LockInfo) => void): () => void;
  /** The application's count of tokens under non-current keys for the signed status (§12.12); undefined removes it. */
  reportTokensUnderPrevious(reporter: (() => number | null) | undefined): void;
  /** Re-reads the key checks from their source (the demo server's SIGHUP); a failing source keeps the list. */
  reloadKeyChecks(): void;
  /**
   * A secret of the application from Vault with the login the last push delivered (§12.13): getSecret('postgresql')
   * reads {mount}/data/{prefix}/postgresql. Rejects with VaultLockedError while this boot has none (its state says
   * why), and at once when no Vault login is configured (config.vault).
   */
  getSecret(name: string): Promise<Record<string, string>>;
  /** The Vault login's state (§12.13), or undefined when none is configured. */
  readonly vaultLoginState: VaultLoginState | undefined;
}

class NodeReceiver extends EventEmitter implements Receiver {
  readonly handler: RequestHandler;
  readonly core: ReceiverCore;
  private readonly application: ReceiverFernet;

  constructor(config: ReceiverConfig) {
    super();
    this.core = new ReceiverCore(config);
    this.application = new ReceiverFernet(() => this.core.installedKeys(), () => this.core.nowSeconds());
    this.handler = createHandler(this.core, { basePath: config.basePath ?? '/custodian', metrics: config.metrics ?? false }, (answer) => this.report(answer));
    this.core.onLock((info) => this.emit('locked', info));
    this.core.onUnlock((info: UnlockInfo) => this.emit('unlocked', info));
    this.core.onRekey((info: RekeyInfo) => this.emit('rekeyed', info));
  }

  get state() { return this.core.state; }
  get serverId() { return this.core.serverId; }
  get identity() { return this.core.identity; }
  get bootId() { return this.core.bootId; }
  get installedKeyIds() { return this.core.installedKeyIds; }

  fernet(): ReceiverFernet {
    if (this.core.state !== 'unlocked') throw new Error('receiver is locked');
    return this.application;
  }

  lock(): void {
    this.core.lock();
  }

  onLock(listener: (info: LockInfo) => void): () => void {
    return this.core.onLock(listener);
  }

  reportTokensUnderPrevious(reporter: (() => number | null) | undefined): void {
    this.core.reportTokensUnderPrevious(reporter);
  }

  reloadKeyChecks(): void {
    this.core.reloadKeyChecks();
  }

  get vaultLoginState(): VaultLoginState | undefined {
    return this.core.vault?.state;
  }

  async getSecret(name: string): Promise<Record<string, string>> {
    if (!this.core.vault) throw new ReceiverConfigError('INVALID_CONFIG', 'this receiver has no Vault login configured (VAULT_ENABLED)');
    return this.core.vault.getSecret(name);
  }

  private report(answer: Answer): void {
    const outcome = answer.outcome;
    if (!outcome) return;
    let attempt: Attempt;
    if (!outcome.ok) attempt = { event: outcome.event, ok: false, error: outcome.error };
    else if (outcome.event === 'unlock') {
      const { keyIds, custodian, vaultLogin } = outcome.unlocked;
      attempt = { event: 'unlock', ok: true, keyIds, custodian, ...(vaultLogin ? { vaultLogin } : {}) };
    }
    else if (outcome.event === 'lock') attempt = { event: 'lock', ok: true, custodian: outcome.locked.custodian ?? '', bootId: outcome.locked.bootId };
    else if (outcome.event === 'rekey') attempt = { event: 'rekey', ok: true, keyIds: outcome.rekeyed.keyIds, retired: outcome.rekeyed.retired, custodian: outcome.rekeyed.custodian };
    else attempt = { event: 'statement', ok: true, type: outcome.statement.type, custodian: outcome.statement.custodian, subject: outcome.statement.subject, applied: outcome.statement.applied };
    this.emit('attempt', attempt);
  }
}

export function createReceiver(config: ReceiverConfig): Receiver {
  return new NodeReceiver(config);
}
