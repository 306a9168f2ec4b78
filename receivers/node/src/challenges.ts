/**
 * Stateless, unexhaustible challenges (docs/protocol.md §12.1). Revision 1 kept the last 32 issued challenges,
 * so ~100 status requests a second evicted a custodian's challenge before its unlock arrived (issue 10 §5).
 * Now a challenge carries its own proof: issued_at || nonce || a 16-byte HMAC tag under a per-boot secret, so
 * issuing one stores nothing. Only challenges that a signed, authorized request spends are remembered, until
 * they expire, so only an authorized custodian can make the spent set grow.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CHALLENGE_TTL_SECONDS, encodeB64u } from './encoding.js';
import { ReceiverError } from './errors.js';

const LABEL = Buffer.from('custodian-challenge/1\0', 'ascii');

export class ChallengeBook {
  /** challenge (b64u) -> the second after which it expires. */
  private readonly spent = new Map<string, number>();

  /** The secret is copied into a buffer owned here and wiped by wipe(). */
  private readonly secret: Buffer;

  constructor(secret: Uint8Array, private readonly bootId: string, spent: readonly string[] = []) {
    if (secret.length !== 32) throw new RangeError('the challenge secret is 32 bytes');
    this.secret = Buffer.from(new ArrayBuffer(32));
    this.secret.set(secret);
    for (const challenge of spent) {
      const bytes = Buffer.from(challenge, 'base64url');
      this.spent.set(challenge, bytes.length === 32 ? Number(bytes.readBigUInt64BE(0)) + CHALLENGE_TTL_SECONDS : Number.MAX_SAFE_INTEGER);
    }
  }

  /** A fresh challenge issued at `now` with 8 random nonce bytes. */
  issue(now: number, nonce: Uint8Array): string {
    if (nonce.length !== 8) throw new RangeError('the challenge nonce is 8 bytes');
    const head = Buffer.alloc(16);
    head.writeBigUInt64BE(BigInt(now), 0);
    head.set(nonce, 8);
    return encodeB64u(Buffer.concat([head, this.tag(head)]));
  }

  /**
   * Step 11 of §6 as revision 2 defines it: a bad tag or a challenge from the future is unknown, then an expired
   * one is expired, then a spent one is unknown; otherwise it is spent now, whatever happens next.
   * `bytes` is the decoded 32-byte challenge (the payload check has already validated its length).
   */
  spend(challenge: string, bytes: Buffer, now: number): void {
    const head = bytes.subarray(0, 16);
    const issuedAt = bytes.readBigUInt64BE(0);
    if (!timingSafeEqual(this.tag(head), bytes.subarray(16, 32)) || issuedAt > BigInt(now)) throw new ReceiverError('UNKNOWN_CHALLENGE');
    const expiresAt = Number(issuedAt) + CHALLENGE_TTL_SECONDS;
    if (now > expiresAt) throw new ReceiverError('CHALLENGE_EXPIRED');
    for (const [old, until] of this.spent) if (now > until) this.spent.delete(old);
    if (this.spent.has(challenge)) throw new ReceiverError('UNKNOWN_CHALLENGE');
    this.spent.set(challenge, expiresAt);
  }

  get spentCount(): number {
    return this.spent.size;
  }

  wipe(): void {
    this.secret.fill(0);
    this.spent.clear();
  }

  private tag(head: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(LABEL).update(this.bootId, 'ascii').update('\0', 'ascii').update(head).digest().subarray(0, 16);
  }
}
