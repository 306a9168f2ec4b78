import { CustodianError } from '../errors.js';
import type { AuditLog } from '../audit.js';
import type { VaultCluster } from './cluster.js';
import { assertSameCeremony, ceremonyFingerprint, type CeremonyParameters } from './fingerprint.js';
import { checkShareParameters } from './init.js';
import { asRequestFailed, VaultResponseError, type VaultNode } from './node.js';
import type { PgpRecipient } from './pgp.js';
import { decodeShare, shareForRequest, ShareLedger } from './shares.js';
import { CeremonyTranscript } from './transcript.js';

interface RekeyStatusBody {
  nonce?: string;
  started?: boolean;
  t?: number;
  n?: number;
  progress?: number;
  required?: number;
  pgp_fingerprints?: string[] | null;
  verification_required?: boolean;
  verification_nonce?: string;
}

interface RekeyUpdateBody extends RekeyStatusBody {
  complete?: boolean;
  keys_base64?: string[];
}

export interface RekeyOptions {
  newShares: number;
  newThreshold: number;
  pgpKeys?: PgpRecipient[];
  /** Ask the server to keep the old shares valid until threshold holders of the new shares prove they have them. */
  requireVerification?: boolean;
  audit?: AuditLog;
}

export interface RekeyProgress {
  progress: number;
  required: number;
  complete: boolean;
  /** When complete: the new shares (raw bytes, or binary PGP messages if PGP keys were given). Wipe after use. */
  newShares?: Buffer[];
  newSharesEncrypted?: boolean;
  /** When complete and verification is required: the nonce of the verification step. */
  verificationNonce?: string;
}

/**
 * A rekey ceremony on the active node: old-share holders authorise new shares/threshold. Every holder sees the
 * fingerprint of (nonce, new shares, threshold, PGP fingerprints) and every submission first re-reads the
 * server's state, aborting with CEREMONY_CHANGED if it differs.
 */
export class RekeyCeremony {
  private readonly ledger = new ShareLedger();
  /** This process's part of the ceremony as one transcript entry: recorded on completion, refusal or end(). */
  readonly transcript: CeremonyTranscript;

  private constructor(private readonly node: VaultNode, readonly parameters: CeremonyParameters, private required: number, private readonly audit: AuditLog | undefined, addresses: string[]) {
    this.transcript = new CeremonyTranscript('rekey', addresses, ceremonyFingerprint(parameters));
  }

  get fingerprint(): string {
    return ceremonyFingerprint(this.parameters);
  }

  get threshold(): number {
    return this.required;
  }

  /** Starts a new rekey. Refuses if one is already running (join it, or cancel it first). */
  static async start(cluster: VaultCluster, options: RekeyOptions): Promise<RekeyCeremony> {
    checkShareParameters(options.newShares, options.newThreshold, 'new shares');
    if (options.pgpKeys && options.pgpKeys.length !== options.newShares) {
      throw new CustodianError('INVALID_INPUT', `${options.pgpKeys.length} PGP keys for ${options.newShares} new shares: give exactly one per share.`);
    }
    const node = await cluster.activeNode();
    const current = await node.call<RekeyStatusBody>('GET', '/sys/rekey/init');
    if (current.started) {
      throw new CustodianError('CEREMONY_CHANGED', `A rekey is already in progress on ${node.address} (fingerprint ${ceremonyFingerprint(parametersOf(current))}).`, {
        hint: 'Join it with `custodian vault rekey --continue`, or cancel it with `custodian vault rekey --cancel`.',
      });
    }
    const body: Record<string, unknown> = {
      secret_shares: options.newShares,
      secret_threshold: options.newThreshold,
      require_verification: options.requireVerification ?? true,
    };
    if (options.pgpKeys) body['pgp_keys'] = options.pgpKeys.map((k) => k.base64Key);
    let status: RekeyStatusBody;
    try {
      status = await node.call<RekeyStatusBody>('PUT', '/sys/rekey/init', body);
    } catch (error) {
      throw asRequestFailed(error, 'Starting the rekey');
    }
    const ceremony = new RekeyCeremony(node, parametersOf(status), status.required ?? 0, options.audit, [...cluster.settings.addresses]);
    await options.audit?.record({ action: 'vault.rekey.start', outcome: 'ok', address: node.address, fingerprint: ceremony.fingerprint, newShares: options.newShares, newThreshold: options.newThreshold });
    return ceremony;
  }

  /** Joins the rekey already running on the active node (for example started from another terminal). */
  static async join(cluster: VaultCluster, audit?: AuditLog): Promise<RekeyCeremony> {
    const node = await cluster.activeNode();
    const status = await node.call<RekeyStatusBody>('GET', '/sys/rekey/init');
    if (!status.started || !status.nonce) {
      throw new CustodianError('CEREMONY_NOT_STARTED', `No rekey is in progress on ${node.address}.`, { hint: 'Start one with `custodian vault rekey --shares N --threshold T`.' });
    }
    return new RekeyCeremony(node, parametersOf(status), status.required ?? 0, audit, [...cluster.settings.addresses]);
  }

  /** Cancels the rekey running on the active node (whoever started it). */
  static async cancel(cluster: VaultCluster, audit?: AuditLog): Promise<void> {
    const node = await cluster.activeNode();
    await node.call('DELETE', '/sys/rekey/init').catch((error: unknown) => { throw asRequestFailed(error, 'Cancelling the rekey'); });
    await audit?.record({ action: 'vault.rekey.cancel', outcome: 'ok', address: node.address });
  }

  /** One old-share holder's typed share; `holderName` (optional, as typed) goes into the transcript. */
  async submit(shareText: Uint8Array, holderName?: string): Promise<RekeyProgress> {
    const share = decodeShare(shareText);
    try {
      return await this.submitShare(share, holderName);
    } finally {
      share.fill(0);
    }
  }

  /** One old-share holder's share. Checks the ceremony is unchanged on the server first. */
  async submitShare(share: Buffer, holderName?: string): Promise<RekeyProgress> {
    const current = await this.node.call<RekeyStatusBody>('GET', '/sys/rekey/init');
    if (!current.started) throw changed(this.parameters, 'the rekey is no longer in progress (cancelled or finished)');
    assertSameCeremony(this.parameters, parametersOf(current));
    this.ledger.admit(share);
    this.transcript.share(share, holderName);
    const encoded = shareForRequest(share);
    let body: RekeyUpdateBody;
    try {
      body = await this.node.call<RekeyUpdateBody>('PUT', '/sys/rekey/update', { nonce: this.parameters.nonce, key: encoded }, { secrets: [encoded] });
    } catch (error) {
      this.ledger.wipe();
      this.transcript.markLast('rejected');
      await this.transcript.record(this.audit, 'error', 'rejected', [{ address: this.node.address, result: 'rejected' }], { newShares: this.parameters.newShares ?? 0, newThreshold: this.parameters.newThreshold ?? 0 });
      throw rejected(error, 'rekey');
    }
    if (!body.complete) {
      if (body.nonce && body.nonce !== this.parameters.nonce) throw changed(this.parameters, 'the nonce changed');
      return { progress: body.progress ?? this.ledger.count, required: this.required, complete: false };
    }
    this.ledger.wipe();
    const newShares = (body.keys_base64 ?? []).map((k) => Buffer.from(k, 'base64'));
    await this.audit?.record({ action: 'vault.rekey.complete', outcome: 'ok', address: this.node.address, fingerprint: this.fingerprint, verificationRequired: Boolean(body.verification_required) });
    const state = body.verification_required ? 'verification-pending' : 'rekeyed';
    await this.transcript.record(this.audit, 'ok', state, [{ address: this.node.address, result: state }], { newShares: this.parameters.newShares ?? 0, newThreshold: this.parameters.newThreshold ?? 0 });
    const result: RekeyProgress = { progress: this.required, required: this.required, complete: true, newShares, newSharesEncrypted: (this.parameters.pgpFingerprints ?? []).length > 0 };
    if (body.verification_required && body.verification_nonce) result.verificationNonce = body.verification_nonce;
    return result;
  }

  /** Ends this process's part without completion: records the transcript (state in-progress) if a share was given. */
  async end(): Promise<void> {
    await this.transcript.record(this.audit, 'error', 'in-progress', [{ address: this.node.address, result: 'in-progress' }], { newShares: this.parameters.newShares ?? 0, newThreshold: this.parameters.newThreshold ?? 0 }, true);
  }

  wipe(): void {
    this.ledger.wipe();
  }
}

/**
 * The verification step of a rekey: threshold holders of the NEW shares prove they have them; only then does the
 * server switch to the new shares. Until then the old shares stay valid.
 */
export class RekeyVerification {
  private readonly ledger = new ShareLedger();
  /** The verification's transcript entry (holders of the NEW shares): recorded on completion, refusal or end(). */
  readonly transcript: CeremonyTranscript;

  private constructor(private readonly node: VaultNode, readonly parameters: CeremonyParameters, readonly threshold: number, private readonly audit: AuditLog | undefined, addresses: string[]) {
    this.transcript = new CeremonyTranscript('rekey-verify', addresses, ceremonyFingerprint(parameters));
  }

  get fingerprint(): string {
    return ceremonyFingerprint(this.parameters);
  }

  static async join(cluster: VaultCluster, audit?: AuditLog): Promise<RekeyVerification> {
    const node = await cluster.activeNode();
    let status: RekeyStatusBody;
    try {
      status = await node.call<RekeyStatusBody>('GET', '/sys/rekey/verify');
    } catch (error) {
      if (error instanceof VaultResponseError && error.statusCode === 400) {
        throw new CustodianError('CEREMONY_NOT_STARTED', `No rekey verification is pending on ${node.address}.`, { hint: 'Verification follows a rekey started with verification required.' });
      }
      throw asRequestFailed(error, 'Reading the rekey verification');
    }
    if (!status.nonce) throw new CustodianError('CEREMONY_NOT_STARTED', `No rekey verification is pending on ${node.address}.`);
    const parameters: CeremonyParameters = { operation: 'rekey-verify', nonce: status.nonce, newShares: status.n ?? 0, newThreshold: status.t ?? 0 };
    return new RekeyVerification(node, parameters, status.t ?? 0, audit, [...cluster.settings.addresses]);
  }

  async submit(shareText: Uint8Array, holderName?: string): Promise<{ progress: number; required: number; complete: boolean }> {
    const share = decodeShare(shareText);
    try {
      return await this.submitShare(share, holderName);
    } finally {
      share.fill(0);
    }
  }

  async submitShare(share: Buffer, holderName?: string): Promise<{ progress: number; required: number; complete: boolean }> {
    const current = await this.node.call<RekeyStatusBody>('GET', '/sys/rekey/verify').catch(() => ({} as RekeyStatusBody));
    assertSameCeremony(this.parameters, { operation: 'rekey-verify', nonce: current.nonce ?? '', newShares: current.n ?? 0, newThreshold: current.t ?? 0 });
    this.ledger.admit(share);
    this.transcript.share(share, holderName);
    const encoded = shareForRequest(share);
    let body: RekeyUpdateBody;
    try {
      body = await this.node.call<RekeyUpdateBody>('PUT', '/sys/rekey/verify', { nonce: this.parameters.nonce, key: encoded }, { secrets: [encoded] });
    } catch (error) {
      this.ledger.wipe();
      this.transcript.markLast('rejected');
      await this.transcript.record(this.audit, 'error', 'rejected', [{ address: this.node.address, result: 'rejected' }]);
      throw rejected(error, 'rekey verification');
    }
    if (body.complete) {
      this.ledger.wipe();
      await this.audit?.record({ action: 'vault.rekey.verified', outcome: 'ok', address: this.node.address, fingerprint: this.fingerprint });
      await this.transcript.record(this.audit, 'ok', 'rekeyed', [{ address: this.node.address, result: 'switched to the new shares' }]);
      return { progress: this.threshold, required: this.threshold, complete: true };
    }
    return { progress: body.progress ?? this.ledger.count, required: this.threshold, complete: false };
  }

  /** Ends without completion: records the transcript (state in-progress) if a share was given. */
  async end(): Promise<void> {
    await this.transcript.record(this.audit, 'error', 'in-progress', [{ address: this.node.address, result: 'in-progress' }], {}, true);
  }

  wipe(): void {
    this.ledger.wipe();
  }
}

function parametersOf(status: RekeyStatusBody): CeremonyParameters {
  return { operation: 'rekey', nonce: status.nonce ?? '', newShares: status.n ?? 0, newThreshold: status.t ?? 0, pgpFingerprints: status.pgp_fingerprints ?? [] };
}

function changed(expected: CeremonyParameters, why: string): CustodianError {
  return new CustodianError('CEREMONY_CHANGED', `The ${expected.operation} ceremony ${ceremonyFingerprint(expected)} changed on the server: ${why}. No share was sent.`, {
    hint: 'Stop, find out who changed it, and start a new ceremony that every holder confirms.',
  });
}

function rejected(error: unknown, what: string): unknown {
  if (error instanceof VaultResponseError && error.statusCode === 400) {
    return new CustodianError('SHARE_REJECTED', `The server refused the share for the ${what}: ${error.serverErrors.join('; ') || 'no reason given'}.`, {
      hint: 'If the threshold was just reached, at least one share given is wrong; the server resets its progress and every holder must give their share again.',
      details: { address: error.address, status: error.statusCode },
    });
  }
  return asRequestFailed(error, `The ${what}`);
}
