import { randomBytes } from 'node:crypto';
import { CustodianError } from '../errors.js';
import type { AuditLog } from '../audit.js';
import type { VaultCluster } from './cluster.js';
import { assertSameCeremony, ceremonyFingerprint, type CeremonyParameters } from './fingerprint.js';
import { asRequestFailed, VaultResponseError, type VaultNode } from './node.js';
import { decodeShare, shareForRequest, ShareLedger } from './shares.js';
import { CeremonyTranscript } from './transcript.js';

interface AttemptBody {
  started?: boolean;
  nonce?: string;
  progress?: number;
  required?: number;
  complete?: boolean;
  encoded_token?: string;
  encoded_root_token?: string;
  pgp_fingerprint?: string;
  otp_length?: number;
}

const BASE62 = Buffer.from('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 'latin1');

/** Vault's OTP: `length` characters of base62 from a CSPRNG (rejection sampling, no modulo bias). As bytes. */
export function generateOtp(length: number): Buffer {
  const out = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const pool = randomBytes(length * 2);
    for (const byte of pool) {
      if (filled === length) break;
      if (byte < 248) out[filled++] = BASE62[byte % 62]!;
    }
    pool.fill(0);
  }
  return out;
}

/**
 * Decodes the encoded root token the server returns (OpenBao/Vault >= 1.10 scheme, sdk/helper/roottoken):
 * encoded = base64 without padding (RawStdEncoding) of (token XOR OTP), token and OTP of equal length.
 * The legacy scheme (otp_length 0: a base64 OTP and a UUID token) is decoded too.
 */
export function decodeRootToken(encoded: string, otp: Uint8Array, otpLength: number): Buffer {
  const xored = Buffer.from(encoded.replace(/=+$/, ''), 'base64');
  try {
    if (otpLength === 0) {
      const otpBytes = Buffer.from(Buffer.from(otp).toString('latin1'), 'base64');
      if (otpBytes.length !== xored.length) throw invalidToken();
      for (let i = 0; i < xored.length; i++) xored[i]! ^= otpBytes[i]!;
      otpBytes.fill(0);
      const hex = xored.toString('hex');
      return Buffer.from(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`, 'latin1');
    }
    if (xored.length !== otp.length) throw invalidToken();
    const token = Buffer.alloc(xored.length);
    for (let i = 0; i < xored.length; i++) token[i] = xored[i]! ^ otp[i]!;
    return token;
  } finally {
    xored.fill(0);
  }
}

export interface GenerateRootProgress {
  progress: number;
  required: number;
  complete: boolean;
  /** When complete: the new root token (text bytes), decoded in memory. Wipe it after use. */
  rootToken?: Buffer;
}

/**
 * A generate-root ceremony. The OTP is generated here and never shown: the encoded token the server returns is
 * decoded in memory, so neither OTP nor token pass through a terminal or shell history. As a consequence the
 * ceremony lives in one process: if that process ends before completion, cancel the attempt and start again.
 */
export class GenerateRootCeremony {
  private readonly ledger = new ShareLedger();
  /** The ceremony's transcript entry: recorded on completion, refusal or end(). */
  readonly transcript: CeremonyTranscript;

  private constructor(
    private readonly node: VaultNode,
    readonly parameters: CeremonyParameters,
    readonly required: number,
    private readonly otp: Buffer,
    private readonly otpLength: number,
    private readonly audit: AuditLog | undefined,
    addresses: string[],
  ) {
    this.transcript = new CeremonyTranscript('generate-root', addresses, ceremonyFingerprint(parameters));
  }

  get fingerprint(): string {
    return ceremonyFingerprint(this.parameters);
  }

  static async start(cluster: VaultCluster, options: { audit?: AuditLog } = {}): Promise<GenerateRootCeremony> {
    const node = await cluster.activeNode();
    const before = await node.call<AttemptBody>('GET', '/sys/generate-root/attempt');
    if (before.started) {
      throw new CustodianError('CEREMONY_CHANGED', `A generate-root attempt is already in progress on ${node.address}; its one-time password is not ours, so it cannot be finished here.`, {
        hint: 'Cancel it with `custodian vault generate-root --cancel` and start again.',
      });
    }
    const otpLength = before.otp_length ?? 0;
    const otp = otpLength > 0 ? generateOtp(otpLength) : Buffer.from(randomBytes(16).toString('base64'), 'latin1');
    let status: AttemptBody;
    const otpText = otp.toString('latin1');
    try {
      status = await node.call<AttemptBody>('PUT', '/sys/generate-root/attempt', { otp: otpText }, { secrets: [otpText] });
    } catch (error) {
      otp.fill(0);
      throw asRequestFailed(error, 'Starting generate-root');
    }
    const parameters: CeremonyParameters = { operation: 'generate-root', nonce: status.nonce ?? '' };
    const ceremony = new GenerateRootCeremony(node, parameters, status.required ?? 0, otp, otpLength, options.audit, [...cluster.settings.addresses]);
    await options.audit?.record({ action: 'vault.generate-root.start', outcome: 'ok', address: node.address, fingerprint: ceremony.fingerprint });
    return ceremony;
  }

  static async cancel(cluster: VaultCluster, audit?: AuditLog): Promise<void> {
    const node = await cluster.activeNode();
    await node.call('DELETE', '/sys/generate-root/attempt').catch((error: unknown) => { throw asRequestFailed(error, 'Cancelling generate-root'); });
    await audit?.record({ action: 'vault.generate-root.cancel', outcome: 'ok', address: node.address });
  }

  async submit(shareText: Uint8Array, holderName?: string): Promise<GenerateRootProgress> {
    const share = decodeShare(shareText);
    try {
      return await this.submitShare(share, holderName);
    } finally {
      share.fill(0);
    }
  }

  async submitShare(share: Buffer, holderName?: string): Promise<GenerateRootProgress> {
    const current = await this.node.call<AttemptBody>('GET', '/sys/generate-root/attempt');
    if (!current.started) {
      throw new CustodianError('CEREMONY_CHANGED', `The generate-root ceremony ${this.fingerprint} is no longer in progress (cancelled or finished elsewhere). No share was sent.`, {
        hint: 'Start a new ceremony.',
      });
    }
    assertSameCeremony(this.parameters, { operation: 'generate-root', nonce: current.nonce ?? '' });
    this.ledger.admit(share);
    this.transcript.share(share, holderName);
    const encoded = shareForRequest(share);
    let body: AttemptBody;
    try {
      body = await this.node.call<AttemptBody>('PUT', '/sys/generate-root/update', { nonce: this.parameters.nonce, key: encoded }, { secrets: [encoded] });
    } catch (error) {
      this.ledger.wipe();
      this.transcript.markLast('rejected');
      await this.transcript.record(this.audit, 'error', 'rejected', [{ address: this.node.address, result: 'rejected' }]);
      if (error instanceof VaultResponseError && error.statusCode === 400) {
        throw new CustodianError('SHARE_REJECTED', `The server refused the share: ${error.serverErrors.join('; ') || 'no reason given'}.`, {
          hint: 'If the threshold was just reached, at least one share is wrong; the attempt is over: start a new one.',
        });
      }
      throw asRequestFailed(error, 'generate-root');
    }
    const encodedToken = body.encoded_token || body.encoded_root_token;
    if (!body.complete || !encodedToken) {
      return { progress: body.progress ?? this.ledger.count, required: this.required, complete: false };
    }
    this.ledger.wipe();
    try {
      const rootToken = decodeRootToken(encodedToken, this.otp, this.otpLength);
      await this.audit?.record({ action: 'vault.generate-root.complete', outcome: 'ok', address: this.node.address, fingerprint: this.fingerprint });
      await this.transcript.record(this.audit, 'ok', 'root-token-generated', [{ address: this.node.address, result: 'root token generated' }]);
      return { progress: this.required, required: this.required, complete: true, rootToken };
    } finally {
      this.otp.fill(0);
    }
  }

  /** Ends without completion: records the transcript (state in-progress) if a share was given. */
  async end(): Promise<void> {
    await this.transcript.record(this.audit, 'error', 'in-progress', [{ address: this.node.address, result: 'in-progress' }], {}, true);
  }

  /** Wipes the OTP and remembered shares (the attempt on the server stays until cancelled). */
  wipe(): void {
    this.ledger.wipe();
    this.otp.fill(0);
  }
}

function invalidToken(): CustodianError {
  return new CustodianError('INVALID_TOKEN', 'invalid token', { hint: 'The encoded token does not match the one-time password; start a new generate-root attempt.' });
}
