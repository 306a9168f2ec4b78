/**
 * Key Custodian receiver for Node (docs/protocol.md, custodian-unlock/1).
 *
 *   const receiver = createReceiver({ serverId, identityKey, authorizedCustodians, keyChecks });
 *   http.createServer(receiver.handler).listen(8421);        // or app.use(receiver.handler) in express
 *   receiver.on('unlocked', () => { const token = receiver.fernet().encrypt(data); ... });
 *
 * The data key arrives encrypted to a per-boot key, is checked against the configured key ids, and is kept only
 * in this process's memory; lock() wipes it.
 */
import { EventEmitter } from 'node:events';
import { ReceiverCore, type Answer, type ReceiverCoreOptions } from './core.js';
import { ReceiverFernet } from './fernet.js';
import { createHandler, type RequestHandler } from './http.js';
import type { ReceiverErrorCode } from './errors.js';

export { PROTOCOL, fingerprintOf, keyIdOf, isKeyId, isFingerprint } from './encoding.js';
export { RECEIVER_ERRORS, ReceiverConfigError, ReceiverError, type ReceiverErrorCode } from './errors.js';
export { loadOrCreateIdentityKey, parseAuthorizedCustodians, type AuthorizedCustodian } from './config-files.js';
export { InvalidToken, ReceiverFernet } from './fernet.js';
export { ReceiverCore, checkReceiverSettings, type Answer, type BootState, type ReceiverCoreOptions, type UnlockInfo } from './core.js';
export type { RequestHandler } from './http.js';
export { AgentClient, AgentLockedError, AGENT_PROTOCOL, AGENT_SOCKET_ENV, type AgentClientState } from './agent-client.js';

export interface ReceiverConfig extends ReceiverCoreOptions {
  /** Where the two endpoints live: {basePath}/status and {basePath}/unlock. Default "/custodian". */
  basePath?: string;
}

export type UnlockAttempt = { ok: true; keyIds: string[]; custodian: string } | { ok: false; error: ReceiverErrorCode };

/** Events: 'unlocked' (UnlockInfo), 'locked' (), 'attempt' (UnlockAttempt) for every unlock request. */
export interface Receiver extends EventEmitter {
  /** node:http request handler (also express-style middleware: paths outside basePath go to next()). */
  readonly handler: RequestHandler;
  readonly state: 'locked' | 'unlocked';
  readonly serverId: string;
  /** This receiver's identity fingerprint: what `custodian server add --identity` takes. */
  readonly identity: string;
  readonly bootId: string;
  readonly installedKeyIds: readonly string[];
  /** Fernet/MultiFernet over the installed keys; throws while locked. */
  fernet(): ReceiverFernet;
  /** Wipes the keys and starts a new boot: locked again, old requests useless. */
  lock(): void;
}

class NodeReceiver extends EventEmitter implements Receiver {
  readonly handler: RequestHandler;
  private readonly core: ReceiverCore;
  private readonly application: ReceiverFernet;

  constructor(config: ReceiverConfig) {
    super();
    this.core = new ReceiverCore(config);
    this.application = new ReceiverFernet(() => this.core.installedKeys(), () => this.core.nowSeconds());
    this.handler = createHandler(this.core, config.basePath ?? '/custodian', (answer) => this.report(answer));
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
    this.emit('locked');
  }

  private report(answer: Answer): void {
    const outcome = answer.outcome;
    if (!outcome) return;
    if (outcome.ok) {
      this.emit('attempt', { ok: true, keyIds: outcome.unlocked.keyIds, custodian: outcome.unlocked.custodian });
      this.emit('unlocked', outcome.unlocked);
    } else {
      this.emit('attempt', { ok: false, error: outcome.error });
    }
  }
}

export function createReceiver(config: ReceiverConfig): Receiver {
  return new NodeReceiver(config);
}
