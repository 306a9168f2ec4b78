/**
 * The receiver's protocol state machine (docs/protocol.md §5-6 and revision 2, §12), without HTTP: status
 * answers with stateless challenges, unlock and lock requests checked in the documented order, receipts,
 * custodian statements, lock(), and the rekey of an unlocked receiver (§12.12). Keys live in Buffers owned here
 * and are wiped on every lock and when a rekey replaces them; the ephemeral private key and the challenge secret
 * live only for one boot (while unlocked, the rekey key only until the next rekey). Whoever else uses the keys (a
 * host agent's clients) subscribes with onLock()/onRekey() and is told at once, before any answer leaves.
 */
import { createHash, randomBytes as nodeRandomBytes, type KeyObject } from 'node:crypto';
import { ChallengeBook } from './challenges.js';
import { parseAuthorizedCustodians, ed25519PublicRaw, type AuthorizedCustodian } from './config-files.js';
import {
  CHALLENGE_TTL_SECONDS, KEY_BYTES, MAX_BODY_BYTES, MAX_KEYS, PROTOCOL,
  decodeB64u, encodeB64u, fingerprintOf, hasExactly, isFingerprint, isKeyId, isServerId, isTime, keyIdOf, parseJsonObject,
} from './encoding.js';
import { ReceiverConfigError, ReceiverError, type ReceiverErrorCode } from './errors.js';
import { createRecipientKey, hpkeOpen, type RecipientKey } from './hpke.js';
import { parseJws, signJws, verifyJws, type MessageType, type ParsedJws } from './jws.js';
import { checkedKeyChecks, KEY_CHECK_NOT_A_KEY_ID, type KeyCheckSource } from './key-checks.js';
import { ReceiverMetrics } from './metrics.js';
import { CustodianRegistry, type StatementInfo } from './statements.js';
import { isRoleName, takeWrapToken, type VaultLogin, type VaultLoginState } from './vault-login.js';

export interface BootState {
  bootId: string;
  ephemeralPrivateKey: Uint8Array;
  /** The boot's 32-byte challenge secret (§12.1). */
  challengeSecret: Uint8Array;
  /** Challenges already spent (the wire vectors' `receiver.spent`). */
  spent?: readonly string[];
}

/** Where accepted custodian statements go (§12.5): the file's text at start, and an append that is durable when it resolves. */
export interface StatementStore {
  text: string;
  append(jws: string): Promise<void>;
}

export interface ReceiverCoreOptions {
  serverId: string;
  /** The receiver identity: an Ed25519 private key (see loadOrCreateIdentityKey). */
  identityKey: KeyObject;
  /** The authorized-custodians file's text, or the parsed entries, or bare fingerprints. */
  authorizedCustodians: string | readonly (AuthorizedCustodian | string)[];
  /**
   * Key ids this receiver accepts (docs/key-id.md), newest first; at least one. A function is called again at
   * every status and reloadKeyChecks() (§12.12: the operator deploys a new key id without a restart).
   */
  keyChecks: KeyCheckSource;
  /**
   * The application's count of tokens still under a non-current key, for the signed status (§12.12); called at
   * every status, keep it quick. Null, a throw or anything but a non-negative integer is reported as null.
   */
  tokensUnderPrevious?: () => number | null;
  /** The raw X25519 private key of each rekey key, in order (the wire vectors); default random. */
  newRekeyKey?: () => Uint8Array | undefined;
  /** Accept an unlock whose first key is not the newest key check (§12.3 step 10a). Default false. */
  allowOlderCurrentKey?: boolean;
  /** Enables POST {base}/custodians; without it statements answer STATEMENTS_DISABLED. */
  statements?: StatementStore;
  /** Checked hand-over links for GET {base}/identity, oldest first (see checkIdentityHandovers). */
  identityHandovers?: readonly string[];
  /** Clock in milliseconds since the epoch (tests pass a fixed one). */
  now?: () => number;
  randomBytes?: (size: number) => Buffer;
  /** Start from this boot state instead of a fresh random one (the wire test vectors use it). */
  boot?: BootState;
  /** A Vault login delivered by push (§12.13): announced in the status, the wrapping token after the keys. */
  vault?: VaultLogin;
}

export interface UnlockInfo {
  keyIds: string[];
  custodian: string;
  custodianName: string;
  bootId: string;
  receipt: string;
  /** The Vault login's state after this request, when it carried `vault_role` (§12.13). */
  vaultLogin?: VaultLoginState;
}

export interface RekeyInfo {
  /** What is installed now, current first. */
  keyIds: string[];
  /** What was installed before. */
  replacedKeyIds: string[];
  /** The replaced keys the custodian dropped on purpose. */
  retired: string[];
  custodian: string;
  custodianName: string;
  bootId: string;
  receipt: string;
}

/** A re-read of the key checks: ok false when the source failed (keyChecks is then the list that stays). */
export interface KeyChecksInfo {
  ok: boolean;
  keyChecks: string[];
  changed: boolean;
  error?: 'INVALID_CONFIG';
}

export interface LockInfo {
  /** 'remote': a signed lock request; 'local': lock() was called. */
  reason: 'remote' | 'local';
  /** The boot that ended. */
  bootId: string;
  /** The custodian who sent a remote lock. */
  custodian?: string;
}

export type Outcome =
  | { event: 'unlock'; ok: true; unlocked: UnlockInfo }
  | { event: 'lock'; ok: true; locked: LockInfo }
  | { event: 'statement'; ok: true; statement: StatementInfo }
  | { event: 'rekey'; ok: true; rekeyed: RekeyInfo }
  | { event: 'unlock' | 'lock' | 'statement' | 'rekey'; ok: false; error: ReceiverErrorCode };

export interface Answer {
  httpStatus: number;
  body: Record<string, unknown>;
  /** Set for unlock, lock and statement attempts: what the demo server logs (no key material). */
  outcome?: Outcome;
}

const MEDIA_TYPE = 'application/json';

export { KEY_CHECK_NOT_A_KEY_ID };

/**
 * Checks the settings that need no identity key (server id, key checks, authorized custodians), so a caller can
 * refuse a bad configuration before it creates anything on disk. Errors never quote the values.
 */
export function checkReceiverSettings(options: Pick<ReceiverCoreOptions, 'serverId' | 'keyChecks' | 'authorizedCustodians'>): void {
  if (!isServerId(options.serverId)) throw new ReceiverConfigError('INVALID_CONFIG', 'the server id must be 1-64 characters of A-Z a-z 0-9 . _ - (starting with a letter or digit)');
  checkedKeyChecks(typeof options.keyChecks === 'function' ? options.keyChecks() : options.keyChecks);
  custodianEntries(options.authorizedCustodians);
}

export class ReceiverCore {
  readonly serverId: string;
  readonly identity: string;
  readonly metrics = new ReceiverMetrics();
  private readonly identityKey: KeyObject;
  private readonly identityPublic: Buffer;
  private readonly custodians: CustodianRegistry;
  private readonly statementStore: StatementStore | undefined;
  private readonly handovers: readonly string[];
  private readonly allowOlderCurrentKey: boolean;
  private readonly clock: () => number;
  private readonly random: (size: number) => Buffer;
  private readonly lockListeners = new Set<(info: LockInfo) => void>();
  private readonly unlockListeners = new Set<(info: UnlockInfo) => void>();
  private readonly rekeyListeners = new Set<(info: RekeyInfo) => void>();
  private readonly keyCheckListeners = new Set<(info: KeyChecksInfo) => void>();
  private readonly keyCheckSource: (() => readonly string[]) | undefined;
  private readonly newRekeyKey: () => Uint8Array | undefined;
  /** §12.13 (undefined: not configured, and `vault_role` is an unknown member). */
  readonly vault: VaultLogin | undefined;
  private tokensReporter: (() => number | null) | undefined;
  private keyCheckList: string[];
  /** Statements are checked, written and applied one at a time (two revocations must not both pass LAST_CUSTODIAN). */
  private statementQueue: Promise<unknown> = Promise.resolve();

  private bootIdValue = '';
  private bootTime = 0;
  private ephemeralKey: RecipientKey | null = null;
  private challenges!: ChallengeBook;
  private keys: Buffer[] = [];
  private installedIds: string[] = [];

  constructor(options: ReceiverCoreOptions) {
    checkReceiverSettings(options);
    if (options.identityKey.asymmetricKeyType !== 'ed25519' || options.identityKey.type !== 'private') {
      throw new ReceiverConfigError('INVALID_CONFIG', 'the identity key must be an Ed25519 private key');
    }
    this.serverId = options.serverId;
    this.identityKey = options.identityKey;
    this.identityPublic = ed25519PublicRaw(options.identityKey);
    this.identity = fingerprintOf(this.identityPublic);
    this.keyCheckSource = typeof options.keyChecks === 'function' ? options.keyChecks : undefined;
    this.keyCheckList = checkedKeyChecks(typeof options.keyChecks === 'function' ? options.keyChecks() : options.keyChecks);
    this.tokensReporter = options.tokensUnderPrevious;
    this.newRekeyKey = options.newRekeyKey ?? (() => undefined);
    this.custodians = new CustodianRegistry(custodianEntries(options.authorizedCustodians));
    this.statementStore = options.statements;
    if (options.statements) this.custodians.replay(options.statements.text);
    this.handovers = [...(options.identityHandovers ?? [])];
    this.allowOlderCurrentKey = options.allowOlderCurrentKey ?? false;
    this.clock = options.now ?? Date.now;
    this.random = options.randomBytes ?? nodeRandomBytes;
    this.vault = options.vault;
    this.newBoot(options.boot);
  }

  get state(): 'locked' | 'unlocked' {
    return this.keys.length > 0 ? 'unlocked' : 'locked';
  }

  get bootId(): string {
    return this.bootIdValue;
  }

  /** The accepted key ids, newest first (as last re-read). */
  get keyChecks(): readonly string[] {
    return this.keyCheckList;
  }

  get installedKeyIds(): readonly string[] {
    return this.installedIds;
  }

  /** The effective custodians' fingerprints, sorted (§12.5). */
  effectiveCustodians(): string[] {
    return this.custodians.effective();
  }

  /** The installed raw keys, current first (empty when locked). The caller must not keep or change them. */
  installedKeys(): readonly Buffer[] {
    return this.keys;
  }

  nowSeconds(): number {
    return Math.floor(this.clock() / 1000);
  }

  /**
   * Calls the listener synchronously at every lock (remote or local), after the keys are wiped and before the
   * lock's answer is sent: a host agent drops its clients' keys here. Returns an unsubscribe function.
   */
  onLock(listener: (info: LockInfo) => void): () => void {
    this.lockListeners.add(listener);
    return () => this.lockListeners.delete(listener);
  }

  /**
   * Calls the listener synchronously after a rekey replaced the keys (§12.12), before its receipt is sent: the
   * old key buffers are already wiped and fernet() uses the new set. Returns an unsubscribe function.
   */
  onRekey(listener: (info: RekeyInfo) => void): () => void {
    this.rekeyListeners.add(listener);
    return () => this.rekeyListeners.delete(listener);
  }

  /** Calls the listener after every re-read of the key checks (status, reloadKeyChecks). */
  onKeyChecks(listener: (info: KeyChecksInfo) => void): () => void {
    this.keyCheckListeners.add(listener);
    return () => this.keyCheckListeners.delete(listener);
  }

  /** Registers (or, with undefined, removes) the application's tokens_under_previous count (§12.12). */
  reportTokensUnderPrevious(reporter: (() => number | null) | undefined): void {
    this.tokensReporter = reporter;
  }

  /**
   * Re-reads the key checks from their source (nothing to do for a fixed list). A source that throws or gives an
   * invalid list leaves the current list in place. The demo server calls it on SIGHUP; status() too.
   */
  reloadKeyChecks(): KeyChecksInfo {
    if (!this.keyCheckSource) return { ok: true, keyChecks: [...this.keyCheckList], changed: false };
    let info: KeyChecksInfo;
    try {
      const next = checkedKeyChecks(this.keyCheckSource());
      const changed = JSON.stringify(next) !== JSON.stringify(this.keyCheckList);
      this.keyCheckList = next;
      info = { ok: true, keyChecks: [...next], changed };
    } catch {
      info = { ok: false, keyChecks: [...this.keyCheckList], changed: false, error: 'INVALID_CONFIG' };
    }
    tell(this.keyCheckListeners, info);
    return info;
  }

  /** Calls the listener synchronously once keys are installed, before the receipt is sent. */
  onUnlock(listener: (info: UnlockInfo) => void): () => void {
    this.unlockListeners.add(listener);
    return () => this.unlockListeners.delete(listener);
  }

  /**
   * GET {base}/status with the raw query string (without "?"): a signed status with a fresh challenge (both
   * states) and the client's nonce echoed (§12.2).
   */
  status(query = ''): Answer {
    const nonce = clientNonceOf(query);
    if (nonce === undefined) return errorAnswer('BAD_REQUEST');
    this.reloadKeyChecks();
    const tokens = this.tokensUnderPrevious();
    const now = this.nowSeconds();
    const challenge = this.challenges.issue(now, this.random(8));
    const payload = {
      protocol: PROTOCOL,
      type: 'status',
      server_id: this.serverId,
      identity: this.identity,
      boot_id: this.bootIdValue,
      state: this.state,
      issued_at: now,
      client_nonce: nonce,
      challenge,
      challenge_expires_at: now + CHALLENGE_TTL_SECONDS,
      // locked: the boot's key for unlock; unlocked: the rekey key (§12.12)
      ephemeral_key: this.ephemeralKey ? encodeB64u(this.ephemeralKey.publicRaw) : null,
      key_checks: [...this.keyCheckList],
      installed_key_ids: [...this.installedIds],
      tokens_under_previous: tokens,
      // §12.13: only on a receiver configured for a Vault login (others send exactly the revision-2 payload)
      ...(this.vault ? { vault_login: this.vault.statusMember() } : {}),
    };
    return { httpStatus: 200, body: { protocol: PROTOCOL, status: signJws('custodian-status+jws', payload, this.identityKey, this.identityPublic) } };
  }

  /** GET {base}/identity: the receiver identity hand-overs, oldest first (§12.6). */
  identityAnswer(): Answer {
    return { httpStatus: 200, body: { protocol: PROTOCOL, handovers: [...this.handovers] } };
  }

  /** The Prometheus text of GET {base}/metrics (§12.7). */
  metricsText(): string {
    return this.metrics.render({ serverId: this.serverId, identity: this.identity, protocol: PROTOCOL, unlocked: this.state === 'unlocked', bootTime: this.bootTime });
  }

  /** POST {base}/unlock with the raw body bytes. Never rejects; refusals carry a code from protocol §7. */
  async unlock(body: Uint8Array, contentType: string | undefined): Promise<Answer> {
    try {
      const unlocked = await this.checkAndInstall(body, contentType);
      this.metrics.unlocks++;
      return { httpStatus: 200, body: { protocol: PROTOCOL, receipt: unlocked.receipt }, outcome: { event: 'unlock', ok: true, unlocked } };
    } catch (error) {
      return this.refusal('unlock', error);
    }
  }

  /** POST {base}/rekey (§12.12): replace the keys of an unlocked receiver. Never rejects. */
  async rekey(body: Uint8Array, contentType: string | undefined): Promise<Answer> {
    try {
      const rekeyed = await this.checkAndRekey(body, contentType);
      this.metrics.rekeys++;
      return { httpStatus: 200, body: { protocol: PROTOCOL, receipt: rekeyed.receipt }, outcome: { event: 'rekey', ok: true, rekeyed } };
    } catch (error) {
      return this.refusal('rekey', error);
    }
  }

  /** POST {base}/lock (§12.4): a signed, challenge-bound lock. Synchronous: nothing can run between check and lock. */
  remoteLock(body: Uint8Array, contentType: string | undefined): Answer {
    try {
      const token = readEnvelope(body, contentType, 'request');
      const jws = this.verifiedSigner(token, 'custodian-lock+jws');
      const request = parseSignedPayload(jws, 'lock', LOCK_MEMBERS);
      this.checkBinding(request);
      this.challenges.spend(request.challenge, request.challengeBytes, this.nowSeconds());
      const lockedAt = this.nowSeconds();
      const locked: LockInfo = { reason: 'remote', bootId: this.bootIdValue, custodian: jws.signer };
      const receipt = this.receipt('custodian-lock-receipt+jws', 'lock_receipt', this.bootIdValue, request.challenge, jws.signer, token, { locked_at: lockedAt });
      this.lockNow(locked);
      return { httpStatus: 200, body: { protocol: PROTOCOL, receipt }, outcome: { event: 'lock', ok: true, locked } };
    } catch (error) {
      return this.refusal('lock', error);
    }
  }

  /**
   * A remote lock as the HTTP handler answers it: after the Vault token's revocation (§12.13, bounded by the
   * Vault deadline), so a custodian who sees the lock receipt knows the token is gone too.
   */
  async remoteLockSettled(body: Uint8Array, contentType: string | undefined): Promise<Answer> {
    const answer = this.remoteLock(body, contentType);
    if (answer.outcome?.ok && this.vault) await this.vault.waitRevoked();
    return answer;
  }

  /** POST {base}/custodians (§12.5): a hand-over or revocation, written to the statements file before it applies. */
  statement(body: Uint8Array, contentType: string | undefined): Promise<Answer> {
    const run = this.statementQueue.then(async (): Promise<Answer> => {
      try {
        checkMediaAndSize(body, contentType);
        if (!this.statementStore) throw new ReceiverError('STATEMENTS_DISABLED');
        const token = readEnvelope(body, contentType, 'statement');
        const plan = this.custodians.check(token);
        if (plan.info.applied) {
          await this.statementStore.append(token);
          plan.apply();
          this.metrics.statements++;
        }
        return { httpStatus: 200, body: { protocol: PROTOCOL, applied: plan.info.applied }, outcome: { event: 'statement', ok: true, statement: plan.info } };
      } catch (error) {
        return this.refusal('statement', error);
      }
    });
    this.statementQueue = run;
    return run;
  }

  /** Wipes the installed keys and starts a new boot (new boot id, ephemeral key and challenge secret). */
  lock(): void {
    this.lockNow({ reason: 'local', bootId: this.bootIdValue });
  }

  private lockNow(info: LockInfo): void {
    for (const key of this.keys) key.fill(0);
    this.keys = [];
    this.installedIds = [];
    this.vault?.forget(); // §12.13: the Vault token goes with the keys (revoked in the background)
    this.newBoot();
    this.metrics.locks++;
    for (const listener of this.lockListeners) {
      try {
        listener(info);
      } catch {
        // A listener's failure must not keep the others from hearing about the lock.
      }
    }
  }

  private tokensUnderPrevious(): number | null {
    try {
      const count = this.tokensReporter?.() ?? null;
      return typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? count : null;
    } catch {
      return null; // locked, a database error: unknown, never a failed status
    }
  }

  private refusal(event: 'unlock' | 'lock' | 'statement' | 'rekey', error: unknown): Answer {
    const refusal = error instanceof ReceiverError ? error : new ReceiverError('INTERNAL');
    this.metrics.refuse(refusal.code);
    return { ...errorAnswer(refusal.code), outcome: { event, ok: false, error: refusal.code } };
  }

  private newBoot(boot?: BootState): void {
    this.challenges?.wipe();
    if (boot) {
      this.bootIdValue = boot.bootId;
      this.ephemeralKey = createRecipientKey(boot.ephemeralPrivateKey);
      this.challenges = new ChallengeBook(boot.challengeSecret, boot.bootId, boot.spent);
    } else {
      this.bootIdValue = encodeB64u(this.random(16));
      this.ephemeralKey = createRecipientKey();
      const secret = this.random(32);
      this.challenges = new ChallengeBook(secret, this.bootIdValue);
      secret.fill(0);
    }
    this.bootTime = this.nowSeconds();
  }

  /** Steps 3-8 of revision 2: JWS shape, alg, typ, header; the signature; then the signer among the effective custodians. */
  private verifiedSigner(token: string, typ: 'custodian-unlock+jws' | 'custodian-lock+jws' | 'custodian-rekey+jws'): ParsedJws & { custodianName: string } {
    const jws = parseJws(token, typ);
    if (!verifyJws(jws)) throw new ReceiverError('BAD_SIGNATURE');
    const custodianName = this.custodians.labelOf(jws.signer);
    if (custodianName === undefined) throw new ReceiverError('UNKNOWN_CUSTODIAN');
    return { ...jws, custodianName };
  }

  /** Step 10 without the state check: this server, this boot. */
  private checkBinding(request: SignedRequest): void {
    if (request.serverId !== this.serverId || request.receiverIdentity !== this.identity) throw new ReceiverError('WRONG_SERVER');
    if (request.bootId !== this.bootIdValue) throw new ReceiverError('WRONG_BOOT');
  }

  private async checkAndInstall(body: Uint8Array, contentType: string | undefined): Promise<UnlockInfo> {
    // Steps 1-11 run without an await, so checking and spending a challenge is atomic.
    const token = readEnvelope(body, contentType, 'request');
    const jws = this.verifiedSigner(token, 'custodian-unlock+jws');
    const request = parseUnlockPayload(jws, this.vault !== undefined);
    this.checkBinding(request);
    if (this.state === 'unlocked' || !this.ephemeralKey) throw new ReceiverError('ALREADY_UNLOCKED');
    // 10a. the current key must be the newest configured key (issue 10 §5: rotation order)
    if (!this.allowOlderCurrentKey && request.keyIds[0] !== this.keyChecks[0]) throw new ReceiverError('KEY_ORDER_REFUSED');
    // 11. challenge: spent from here on, whatever happens next
    const now = this.nowSeconds();
    this.challenges.spend(request.challenge, request.challengeBytes, now);
    // 12. HPKE Open, bound to this receiver's own values
    const recipient = this.ephemeralKey;
    const plaintext = await hpkeOpen(recipient, request.sealed, this.hpkeInfo(request.challenge, jws.signer, false));
    if (!plaintext) throw new ReceiverError('DECRYPT_FAILED');
    // Open is asynchronous: another request may have unlocked, or a lock started a new boot, meanwhile.
    if (this.ephemeralKey !== recipient) {
      plaintext.fill(0);
      throw new ReceiverError(this.keys.length > 0 ? 'ALREADY_UNLOCKED' : 'WRONG_BOOT');
    }
    // 13, §12.13: with vault_role the wrapping token follows the keys (taken and wiped from the plaintext first)
    const wrap = request.vaultRole === undefined ? undefined : takeWrapToken(plaintext, request.keyIds.length);
    let keys: Buffer[];
    try {
      keys = this.checkedKeys(wrap ? plaintext.subarray(0, KEY_BYTES * request.keyIds.length) : plaintext, request.keyIds); // 13-14
    } catch (error) {
      wrap?.fill(0);
      plaintext.fill(0);
      throw error;
    }
    // 15. install, replace the boot's key with a rekey key, sign the receipt (the spent set stays until the next boot)
    this.keys = keys;
    this.installedIds = [...request.keyIds];
    this.ephemeralKey = createRecipientKey(this.newRekeyKey());
    const bootId = this.bootIdValue;
    const fields: Record<string, unknown> = { key_ids: [...request.keyIds], installed_at: now };
    if (wrap && this.vault && request.vaultRole !== undefined) {
      // After the install (pushing data keys never needs Vault); Vault calls are bounded by their 5 s deadline.
      fields['vault_login'] = await this.vault.deliver(wrap, request.vaultRole, this.vault.generation());
    }
    const receipt = this.receipt('custodian-receipt+jws', 'receipt', bootId, request.challenge, jws.signer, token, fields);
    const unlocked: UnlockInfo = {
      keyIds: [...request.keyIds], custodian: jws.signer, custodianName: jws.custodianName, bootId, receipt,
      ...(fields['vault_login'] ? { vaultLogin: fields['vault_login'] as VaultLoginState } : {}),
    };
    tell(this.unlockListeners, unlocked);
    return unlocked;
  }

  /** A signed receipt (unlock §5.3, lock §12.4, rekey §12.12): shared bindings, the message's own fields in order, the request's hash. */
  private receipt(typ: MessageType, type: string, bootId: string, challenge: string, custodian: string, token: string, fields: Record<string, unknown>): string {
    return signJws(typ, {
      protocol: PROTOCOL, type, server_id: this.serverId, identity: this.identity, boot_id: bootId, challenge, custodian, ...fields,
      request_hash: createHash('sha256').update(token, 'ascii').digest('base64url'),
    }, this.identityKey, this.identityPublic);
  }

  /** HPKE info (§5.2; a rekey puts "rekey" after the protocol, §12.12) from this receiver's own values. */
  private hpkeInfo(challenge: string, custodian: string, rekey: boolean): Buffer {
    return Buffer.from([PROTOCOL, ...(rekey ? ['rekey'] : []), this.serverId, this.identity, this.bootIdValue, challenge, custodian].join('\0'), 'utf8');
  }

  /** Steps 13-14: whole keys, one per key id, each matching its id and a key check; the plaintext is wiped. */
  private checkedKeys(plaintext: Buffer, keyIds: readonly string[]): Buffer[] {
    const keys: Buffer[] = [];
    try {
      if (plaintext.length !== KEY_BYTES * keyIds.length) throw new ReceiverError('BAD_PAYLOAD');
      for (let i = 0; i < keyIds.length; i++) {
        // Over its own ArrayBuffer: V8 may keep small typed arrays on its moving heap, where a wipe could miss a copy.
        const key = Buffer.from(new ArrayBuffer(KEY_BYTES));
        plaintext.copy(key, 0, i * KEY_BYTES, (i + 1) * KEY_BYTES);
        keys.push(key);
        const id = keyIdOf(key);
        if (id !== keyIds[i] || !this.keyCheckList.includes(id)) throw new ReceiverError('KEY_CHECK_FAILED');
      }
      return keys;
    } catch (error) {
      for (const key of keys) key.fill(0);
      throw error;
    } finally {
      plaintext.fill(0);
    }
  }

  /** §12.12, in its order; steps up to the challenge run without an await, so checking and spending it is atomic. */
  private async checkAndRekey(body: Uint8Array, contentType: string | undefined): Promise<RekeyInfo> {
    const token = readEnvelope(body, contentType, 'request');
    const jws = this.verifiedSigner(token, 'custodian-rekey+jws');
    const request = parseRekeyPayload(jws);
    this.checkBinding(request);
    if (this.state !== 'unlocked' || !this.ephemeralKey) throw new ReceiverError('NOT_UNLOCKED');
    if (!this.allowOlderCurrentKey && request.keyIds[0] !== this.keyCheckList[0]) throw new ReceiverError('KEY_ORDER_REFUSED');
    const dropped = this.installedIds.filter((id) => !request.keyIds.includes(id));
    if (JSON.stringify(dropped) !== JSON.stringify(request.retire)) throw new ReceiverError('RETIRE_MISMATCH');
    const now = this.nowSeconds();
    this.challenges.spend(request.challenge, request.challengeBytes, now);
    const recipient = this.ephemeralKey;
    const replaced = [...this.installedIds];
    const plaintext = await hpkeOpen(recipient, request.sealed, this.hpkeInfo(request.challenge, jws.signer, true));
    if (!plaintext) throw new ReceiverError('DECRYPT_FAILED');
    // Open is asynchronous: a lock (new boot) or another rekey (new rekey key) may have happened meanwhile.
    if (this.ephemeralKey !== recipient) {
      plaintext.fill(0);
      throw new ReceiverError(this.keys.length > 0 ? 'UNKNOWN_CHALLENGE' : 'WRONG_BOOT');
    }
    const keys = this.checkedKeys(plaintext, request.keyIds);
    // Swap in one step (the application's ReceiverFernet reads installedKeys() at each call), then wipe the old keys.
    const old = this.keys;
    this.keys = keys;
    this.installedIds = [...request.keyIds];
    for (const key of old) key.fill(0);
    this.ephemeralKey = createRecipientKey(this.newRekeyKey());
    const receipt = this.receipt('custodian-rekey-receipt+jws', 'rekey_receipt', this.bootIdValue, request.challenge, jws.signer, token, {
      key_ids: [...request.keyIds], replaced_key_ids: replaced, retired: [...request.retire], installed_at: now,
    });
    const rekeyed: RekeyInfo = {
      keyIds: [...request.keyIds], replacedKeyIds: replaced, retired: [...request.retire], custodian: jws.signer, custodianName: jws.custodianName,
      bootId: this.bootIdValue, receipt,
    };
    tell(this.rekeyListeners, rekeyed);
    return rekeyed;
  }
}

function tell<T>(listeners: Iterable<(info: T) => void>, info: T): void {
  for (const listener of listeners) {
    try {
      listener(info);
    } catch {
      // A listener's failure must not keep the others from hearing about it, nor change the answer.
    }
  }
}

/** Step 1: media type (compared on the media type only) and size. */
function checkMediaAndSize(body: Uint8Array, contentType: string | undefined): void {
  if ((contentType ?? '').split(';')[0]!.trim().toLowerCase() !== MEDIA_TYPE) throw new ReceiverError('UNSUPPORTED_MEDIA_TYPE');
  if (body.length > MAX_BODY_BYTES) throw new ReceiverError('BODY_TOO_LARGE');
}

/** Steps 1-2: media type, size, and an envelope of exactly `protocol` and `member` (both strings). */
function readEnvelope(body: Uint8Array, contentType: string | undefined, member: 'request' | 'statement'): string {
  checkMediaAndSize(body, contentType);
  const envelope = parseJsonObject(body);
  if (!envelope) throw new ReceiverError('BAD_REQUEST');
  if (typeof envelope['protocol'] === 'string' && envelope['protocol'] !== PROTOCOL) throw new ReceiverError('UNSUPPORTED_PROTOCOL');
  if (!hasExactly(envelope, ['protocol', member]) || envelope['protocol'] !== PROTOCOL || typeof envelope[member] !== 'string') {
    throw new ReceiverError('BAD_REQUEST');
  }
  return envelope[member];
}

/**
 * The client nonce of a raw query string (§12.2): null without one, undefined when it is refused. The query is
 * read raw: split on "&", each part on its first "=", names compared byte for byte, nothing percent-decoded.
 */
export function clientNonceOf(query: string): string | null | undefined {
  let nonce: string | null = null;
  for (const part of query === '' ? [] : query.split('&')) {
    const equals = part.indexOf('=');
    const name = equals < 0 ? part : part.slice(0, equals);
    if (name !== 'nonce') continue;
    if (nonce !== null || equals < 0) return undefined;
    const value = part.slice(equals + 1);
    if (decodeB64u(value, 16) === null) return undefined;
    nonce = value;
  }
  return nonce;
}

interface SignedRequest {
  serverId: string;
  receiverIdentity: string;
  bootId: string;
  challenge: string;
  challengeBytes: Buffer;
  payload: Record<string, unknown>;
}

interface UnlockRequest extends SignedRequest {
  keyIds: string[];
  sealed: Buffer;
  /** §12.13: the plaintext carries a Vault wrapping token after the keys. */
  vaultRole?: string;
}

const UNLOCK_MEMBERS = ['protocol', 'type', 'server_id', 'receiver_identity', 'boot_id', 'challenge', 'custodian', 'key_ids', 'issued_at', 'sealed'] as const;
const REKEY_MEMBERS = ['protocol', 'type', 'server_id', 'receiver_identity', 'boot_id', 'challenge', 'custodian', 'key_ids', 'retire', 'issued_at', 'sealed'] as const;
const LOCK_MEMBERS = ['protocol', 'type', 'server_id', 'receiver_identity', 'boot_id', 'challenge', 'custodian', 'issued_at'] as const;

/** Step 9 for the members unlock and lock share: protocol, type, exact members, formats, signer. */
function parseSignedPayload(jws: ParsedJws, type: 'unlock' | 'lock' | 'rekey', members: readonly string[]): SignedRequest {
  const payload = parseJsonObject(jws.payloadBytes);
  if (!payload) throw new ReceiverError('BAD_REQUEST');
  if (payload['protocol'] !== PROTOCOL) {
    if (typeof payload['protocol'] === 'string') throw new ReceiverError('UNSUPPORTED_PROTOCOL');
    throw new ReceiverError('BAD_REQUEST');
  }
  if (payload['type'] !== type) throw new ReceiverError('WRONG_MESSAGE_TYPE');
  if (!hasExactly(payload, members)) throw new ReceiverError('BAD_REQUEST');
  const challengeBytes = decodeB64u(payload['challenge'], 32);
  const valid = isServerId(payload['server_id'])
    && isFingerprint(payload['receiver_identity'])
    && decodeB64u(payload['boot_id'], 16) !== null
    && challengeBytes !== null
    && isFingerprint(payload['custodian'])
    && isTime(payload['issued_at']);
  if (!valid || payload['custodian'] !== jws.signer) throw new ReceiverError('BAD_REQUEST');
  return {
    serverId: payload['server_id'] as string,
    receiverIdentity: payload['receiver_identity'] as string,
    bootId: payload['boot_id'] as string,
    challenge: payload['challenge'] as string,
    challengeBytes: challengeBytes!,
    payload,
  };
}

/** Step 9 for unlock: the members of §5.2, plus `vault_role` (§12.13) only on a receiver configured for a Vault login. */
function parseUnlockPayload(jws: ParsedJws, vaultEnabled: boolean): UnlockRequest {
  const parsed = vaultEnabled ? parseJsonObject(jws.payloadBytes) : null;
  const withVault = parsed !== null && Object.prototype.hasOwnProperty.call(parsed, 'vault_role');
  const request = parseSignedPayload(jws, 'unlock', withVault ? [...UNLOCK_MEMBERS, 'vault_role'] : UNLOCK_MEMBERS);
  const keyIds = request.payload['key_ids'];
  const sealed = decodeB64u(request.payload['sealed']);
  const valid = Array.isArray(keyIds) && keyIds.length >= 1 && keyIds.length <= MAX_KEYS
    && keyIds.every(isKeyId) && new Set(keyIds).size === keyIds.length && sealed !== null
    && (!withVault || isRoleName(request.payload['vault_role']));
  if (!valid) throw new ReceiverError('BAD_REQUEST');
  return { ...request, keyIds: keyIds as string[], sealed: sealed!, ...(withVault ? { vaultRole: request.payload['vault_role'] as string } : {}) };
}

const isDistinctIds = (value: unknown, min: number): value is string[] => Array.isArray(value) && value.length >= min
  && value.length <= MAX_KEYS && value.every(isKeyId) && new Set(value).size === value.length;

function parseRekeyPayload(jws: ParsedJws): UnlockRequest & { retire: string[] } {
  const request = parseSignedPayload(jws, 'rekey', REKEY_MEMBERS);
  const { key_ids: keyIds, retire } = request.payload;
  const sealed = decodeB64u(request.payload['sealed']);
  if (!isDistinctIds(keyIds, 1) || !isDistinctIds(retire, 0) || sealed === null) throw new ReceiverError('BAD_REQUEST');
  return { ...request, keyIds, retire, sealed };
}

export function errorAnswer(code: ReceiverErrorCode): Answer {
  const error = new ReceiverError(code);
  return { httpStatus: error.httpStatus, body: { protocol: PROTOCOL, error: { code, message: error.message } } };
}

function custodianEntries(source: ReceiverCoreOptions['authorizedCustodians']): AuthorizedCustodian[] {
  const entries = typeof source === 'string'
    ? parseAuthorizedCustodians(source)
    : source.map((entry) => (typeof entry === 'string' ? { fingerprint: entry, name: '' } : entry));
  const seen = new Set<string>();
  for (const { fingerprint } of entries) {
    if (!isFingerprint(fingerprint)) throw new ReceiverConfigError('INVALID_CONFIG', 'an authorized custodian is not an ed25519: fingerprint');
    seen.add(fingerprint);
  }
  if (seen.size === 0) throw new ReceiverConfigError('INVALID_CONFIG', 'no authorized custodian');
  return entries;
}
