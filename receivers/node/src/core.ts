/**
 * The receiver's protocol state machine (docs/protocol.md §5-6), without HTTP: status answers, unlock
 * requests checked in the documented order, receipts, lock(). Keys live in Buffers owned here and are wiped
 * on lock(); the ephemeral private key lives only until the unlock.
 */
import { createHash, randomBytes as nodeRandomBytes, type KeyObject } from 'node:crypto';
import { parseAuthorizedCustodians, ed25519PublicRaw, type AuthorizedCustodian } from './config-files.js';
import {
  CHALLENGE_TTL_SECONDS, KEY_BYTES, MAX_BODY_BYTES, MAX_KEYS, MAX_OUTSTANDING_CHALLENGES, PROTOCOL,
  decodeB64u, encodeB64u, fingerprintOf, hasExactly, isFingerprint, isKeyId, isServerId, keyIdOf, parseJsonObject,
} from './encoding.js';
import { ReceiverConfigError, ReceiverError, type ReceiverErrorCode } from './errors.js';
import { createRecipientKey, hpkeOpen, type RecipientKey } from './hpke.js';
import { parseJws, signJws, verifyJws } from './jws.js';

export interface BootState {
  bootId: string;
  ephemeralPrivateKey: Uint8Array;
  challenges?: { challenge: string; expiresAt: number }[];
}

export interface ReceiverCoreOptions {
  serverId: string;
  /** The receiver identity: an Ed25519 private key (see loadOrCreateIdentityKey). */
  identityKey: KeyObject;
  /** The authorized-custodians file's text, or the parsed entries, or bare fingerprints. */
  authorizedCustodians: string | readonly (AuthorizedCustodian | string)[];
  /** Key ids this receiver accepts (docs/key-id.md); at least one. */
  keyChecks: readonly string[];
  /** Clock in milliseconds since the epoch (tests pass a fixed one). */
  now?: () => number;
  randomBytes?: (size: number) => Buffer;
  /** Start from this boot state instead of a fresh random one (the wire test vectors use it). */
  boot?: BootState;
}

export interface UnlockInfo {
  keyIds: string[];
  custodian: string;
  custodianName: string;
  bootId: string;
  receipt: string;
}

export interface Answer {
  httpStatus: number;
  body: Record<string, unknown>;
  /** Set for unlock attempts: what the demo server logs (no key material). */
  outcome?: { ok: true; unlocked: UnlockInfo } | { ok: false; error: ReceiverErrorCode };
}

const MEDIA_TYPE = 'application/json';

/** A key check that is not a key id may be the key itself pasted by mistake: never quote it, only say what to do. */
export const KEY_CHECK_NOT_A_KEY_ID = 'a --key-check value is not a key id (K1-XXXX-XXXX-XXXX-XXXX); '
  + 'if you passed the key itself, treat it as exposed and rotate it';

/**
 * Checks the settings that need no identity key (server id, key checks, authorized custodians), so a caller can
 * refuse a bad configuration before it creates anything on disk. Errors never quote the values.
 */
export function checkReceiverSettings(options: Pick<ReceiverCoreOptions, 'serverId' | 'keyChecks' | 'authorizedCustodians'>): void {
  if (!isServerId(options.serverId)) throw new ReceiverConfigError('INVALID_CONFIG', 'the server id must be 1-64 characters of A-Z a-z 0-9 . _ - (starting with a letter or digit)');
  if (options.keyChecks.length === 0) throw new ReceiverConfigError('INVALID_CONFIG', 'at least one key check (key id) is required');
  if (!options.keyChecks.every(isKeyId)) throw new ReceiverConfigError('INVALID_CONFIG', KEY_CHECK_NOT_A_KEY_ID);
  custodianMap(options.authorizedCustodians);
}

export class ReceiverCore {
  readonly serverId: string;
  readonly identity: string;
  readonly keyChecks: readonly string[];
  private readonly identityKey: KeyObject;
  private readonly identityPublic: Buffer;
  private readonly custodians: Map<string, string>;
  private readonly clock: () => number;
  private readonly random: (size: number) => Buffer;

  private bootIdValue = '';
  private ephemeralKey: RecipientKey | null = null;
  private readonly challenges = new Map<string, number>();
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
    this.keyChecks = [...new Set(options.keyChecks)];
    this.custodians = custodianMap(options.authorizedCustodians);
    this.clock = options.now ?? Date.now;
    this.random = options.randomBytes ?? nodeRandomBytes;
    this.newBoot(options.boot);
  }

  get state(): 'locked' | 'unlocked' {
    return this.keys.length > 0 ? 'unlocked' : 'locked';
  }

  get bootId(): string {
    return this.bootIdValue;
  }

  get installedKeyIds(): readonly string[] {
    return this.installedIds;
  }

  /** The installed raw keys, current first (empty when locked). The caller must not keep or change them. */
  installedKeys(): readonly Buffer[] {
    return this.keys;
  }

  nowSeconds(): number {
    return Math.floor(this.clock() / 1000);
  }

  /** GET {base}/status: signed status; while locked it issues a fresh single-use challenge. */
  status(): Answer {
    const now = this.nowSeconds();
    const locked = this.state === 'locked';
    let challenge: string | null = null;
    if (locked) {
      this.dropExpired(now);
      while (this.challenges.size >= MAX_OUTSTANDING_CHALLENGES) this.challenges.delete(this.challenges.keys().next().value as string);
      challenge = encodeB64u(this.random(32));
      this.challenges.set(challenge, now + CHALLENGE_TTL_SECONDS);
    }
    const payload = {
      protocol: PROTOCOL,
      type: 'status',
      server_id: this.serverId,
      identity: this.identity,
      boot_id: this.bootIdValue,
      state: this.state,
      issued_at: now,
      challenge,
      challenge_expires_at: challenge === null ? null : now + CHALLENGE_TTL_SECONDS,
      ephemeral_key: locked && this.ephemeralKey ? encodeB64u(this.ephemeralKey.publicRaw) : null,
      key_checks: [...this.keyChecks],
      installed_key_ids: [...this.installedIds],
    };
    return { httpStatus: 200, body: { protocol: PROTOCOL, status: signJws('custodian-status+jws', payload, this.identityKey, this.identityPublic) } };
  }

  /** POST {base}/unlock with the raw body bytes. Never rejects; refusals carry a code from protocol §7. */
  async unlock(body: Uint8Array, contentType: string | undefined): Promise<Answer> {
    try {
      const unlocked = await this.checkAndInstall(body, contentType);
      return { httpStatus: 200, body: { protocol: PROTOCOL, receipt: unlocked.receipt }, outcome: { ok: true, unlocked } };
    } catch (error) {
      const refusal = error instanceof ReceiverError ? error : new ReceiverError('INTERNAL');
      return { ...errorAnswer(refusal.code), outcome: { ok: false, error: refusal.code } };
    }
  }

  /** Wipes the installed keys and starts a new boot (new boot id, new ephemeral key, no challenges). */
  lock(): void {
    for (const key of this.keys) key.fill(0);
    this.keys = [];
    this.installedIds = [];
    this.newBoot();
  }

  private newBoot(boot?: BootState): void {
    this.challenges.clear();
    if (boot) {
      this.bootIdValue = boot.bootId;
      this.ephemeralKey = createRecipientKey(boot.ephemeralPrivateKey);
      for (const { challenge, expiresAt } of boot.challenges ?? []) this.challenges.set(challenge, expiresAt);
    } else {
      this.bootIdValue = encodeB64u(this.random(16));
      this.ephemeralKey = createRecipientKey();
    }
  }

  private dropExpired(now: number): void {
    for (const [challenge, expiresAt] of this.challenges) if (now > expiresAt) this.challenges.delete(challenge);
  }

  private async checkAndInstall(body: Uint8Array, contentType: string | undefined): Promise<UnlockInfo> {
    // Steps 1-11 run without an await, so checking and consuming a challenge is atomic.
    // 1. media type and size (the HTTP layer also stops reading early)
    if ((contentType ?? '').split(';')[0]!.trim().toLowerCase() !== MEDIA_TYPE) throw new ReceiverError('UNSUPPORTED_MEDIA_TYPE');
    if (body.length > MAX_BODY_BYTES) throw new ReceiverError('BODY_TOO_LARGE');
    // 2. envelope
    const envelope = parseJsonObject(body);
    if (!envelope) throw new ReceiverError('BAD_REQUEST');
    if (typeof envelope['protocol'] === 'string' && envelope['protocol'] !== PROTOCOL) throw new ReceiverError('UNSUPPORTED_PROTOCOL');
    if (!hasExactly(envelope, ['protocol', 'request']) || envelope['protocol'] !== PROTOCOL || typeof envelope['request'] !== 'string') {
      throw new ReceiverError('BAD_REQUEST');
    }
    const token = envelope['request'];
    // 3-6. JWS shape, alg, typ, header
    const jws = parseJws(token, 'custodian-unlock+jws');
    // 7. authorized custodian
    const custodianName = this.custodians.get(jws.signer);
    if (custodianName === undefined) throw new ReceiverError('UNKNOWN_CUSTODIAN');
    // 8. signature
    if (!verifyJws(jws)) throw new ReceiverError('BAD_SIGNATURE');
    // 9. payload
    const request = parseRequestPayload(jws.payloadBytes, jws.signer);
    // 10. server, boot, state
    if (request.serverId !== this.serverId || request.receiverIdentity !== this.identity) throw new ReceiverError('WRONG_SERVER');
    if (request.bootId !== this.bootIdValue) throw new ReceiverError('WRONG_BOOT');
    if (this.state === 'unlocked' || !this.ephemeralKey) throw new ReceiverError('ALREADY_UNLOCKED');
    // 11. challenge: single use from here on, whatever happens next
    const now = this.nowSeconds();
    const expiresAt = this.challenges.get(request.challenge);
    if (expiresAt === undefined) throw new ReceiverError('UNKNOWN_CHALLENGE');
    this.challenges.delete(request.challenge);
    if (now > expiresAt) throw new ReceiverError('CHALLENGE_EXPIRED');
    // 12. HPKE Open, bound to this receiver's own values
    const info = Buffer.from([PROTOCOL, this.serverId, this.identity, this.bootIdValue, request.challenge, jws.signer].join('\0'), 'utf8');
    const recipient = this.ephemeralKey;
    const plaintext = await hpkeOpen(recipient, request.sealed, info);
    if (!plaintext) throw new ReceiverError('DECRYPT_FAILED');
    // Open is asynchronous: another request may have unlocked, or lock() started a new boot, meanwhile.
    if (this.ephemeralKey !== recipient) {
      plaintext.fill(0);
      throw new ReceiverError(this.keys.length > 0 ? 'ALREADY_UNLOCKED' : 'WRONG_BOOT');
    }
    const keys: Buffer[] = [];
    try {
      // 13. whole keys, one per key id
      if (plaintext.length !== KEY_BYTES * request.keyIds.length) throw new ReceiverError('BAD_PAYLOAD');
      // 14. key checks, before anything is installed
      for (let i = 0; i < request.keyIds.length; i++) {
        // Over its own ArrayBuffer: V8 may keep small typed arrays on its moving heap, where a wipe could miss a copy.
        const key = Buffer.from(new ArrayBuffer(KEY_BYTES));
        plaintext.copy(key, 0, i * KEY_BYTES, (i + 1) * KEY_BYTES);
        keys.push(key);
        const id = keyIdOf(key);
        if (id !== request.keyIds[i] || !this.keyChecks.includes(id)) throw new ReceiverError('KEY_CHECK_FAILED');
      }
    } catch (error) {
      for (const key of keys) key.fill(0);
      throw error;
    } finally {
      plaintext.fill(0);
    }
    // 15. install, forget the ephemeral key and every challenge, sign the receipt
    this.keys = keys;
    this.installedIds = [...request.keyIds];
    this.ephemeralKey = null;
    this.challenges.clear();
    const receipt = signJws('custodian-receipt+jws', {
      protocol: PROTOCOL,
      type: 'receipt',
      server_id: this.serverId,
      identity: this.identity,
      boot_id: this.bootIdValue,
      challenge: request.challenge,
      custodian: jws.signer,
      key_ids: [...request.keyIds],
      installed_at: now,
      request_hash: createHash('sha256').update(token, 'ascii').digest('base64url'),
    }, this.identityKey, this.identityPublic);
    return { keyIds: [...request.keyIds], custodian: jws.signer, custodianName, bootId: this.bootIdValue, receipt };
  }
}

interface UnlockRequest {
  serverId: string;
  receiverIdentity: string;
  bootId: string;
  challenge: string;
  keyIds: string[];
  sealed: Buffer;
}

const REQUEST_MEMBERS = ['protocol', 'type', 'server_id', 'receiver_identity', 'boot_id', 'challenge', 'custodian', 'key_ids', 'issued_at', 'sealed'] as const;

function parseRequestPayload(bytes: Buffer, signer: string): UnlockRequest {
  const payload = parseJsonObject(bytes);
  if (!payload) throw new ReceiverError('BAD_REQUEST');
  if (payload['protocol'] !== PROTOCOL) {
    if (typeof payload['protocol'] === 'string') throw new ReceiverError('UNSUPPORTED_PROTOCOL');
    throw new ReceiverError('BAD_REQUEST');
  }
  if (payload['type'] !== 'unlock') throw new ReceiverError('WRONG_MESSAGE_TYPE');
  if (!hasExactly(payload, REQUEST_MEMBERS)) throw new ReceiverError('BAD_REQUEST');
  const keyIds = payload['key_ids'];
  const issuedAt = payload['issued_at'];
  const sealed = decodeB64u(payload['sealed']);
  const valid = isServerId(payload['server_id'])
    && isFingerprint(payload['receiver_identity'])
    && decodeB64u(payload['boot_id'], 16) !== null
    && decodeB64u(payload['challenge'], 32) !== null
    && isFingerprint(payload['custodian'])
    && Array.isArray(keyIds) && keyIds.length >= 1 && keyIds.length <= MAX_KEYS
    && keyIds.every(isKeyId) && new Set(keyIds).size === keyIds.length
    && typeof issuedAt === 'number' && Number.isSafeInteger(issuedAt) && issuedAt >= 0
    && sealed !== null;
  if (!valid || payload['custodian'] !== signer) throw new ReceiverError('BAD_REQUEST');
  return {
    serverId: payload['server_id'] as string,
    receiverIdentity: payload['receiver_identity'] as string,
    bootId: payload['boot_id'] as string,
    challenge: payload['challenge'] as string,
    keyIds: keyIds as string[],
    sealed: sealed!,
  };
}

export function errorAnswer(code: ReceiverErrorCode): Answer {
  const error = new ReceiverError(code);
  return { httpStatus: error.httpStatus, body: { protocol: PROTOCOL, error: { code, message: error.message } } };
}

function custodianMap(source: ReceiverCoreOptions['authorizedCustodians']): Map<string, string> {
  const entries = typeof source === 'string'
    ? parseAuthorizedCustodians(source)
    : source.map((entry) => (typeof entry === 'string' ? { fingerprint: entry, name: '' } : entry));
  const map = new Map<string, string>();
  for (const { fingerprint, name } of entries) {
    if (!isFingerprint(fingerprint)) throw new ReceiverConfigError('INVALID_CONFIG', 'an authorized custodian is not an ed25519: fingerprint');
    map.set(fingerprint, name);
  }
  if (map.size === 0) throw new ReceiverConfigError('INVALID_CONFIG', 'no authorized custodian');
  return map;
}
