import { CustodianError } from '../errors.js';
import type { AuditLog } from '../audit.js';
import type { VaultCluster } from './cluster.js';
import { asRequestFailed, type VaultNode } from './node.js';
import type { PgpRecipient } from './pgp.js';
import { CeremonyTranscript } from './transcript.js';

export interface InitOptions {
  shares: number;
  threshold: number;
  /** One public key per share, in holder order: each share comes back encrypted to its holder. */
  pgpKeys?: PgpRecipient[];
  /** The root token comes back encrypted to this key. */
  rootTokenPgpKey?: PgpRecipient;
  /** Which node to initialise; default: the first node of the cluster. */
  address?: string;
  /** The holders' names as typed, in share order (optional): they go into the ceremony transcript. */
  holderNames?: string[];
  audit?: AuditLog;
}

/**
 * The result of init. Secrets are Buffers: `shares` holds raw share bytes, or the binary PGP messages when
 * PGP keys were given; `rootToken` the token text, or a binary PGP message. Call `wipe()` once handed over.
 */
export interface InitResult {
  address: string;
  shares: Buffer[];
  sharesEncrypted: boolean;
  pgpFingerprints: string[];
  rootToken: Buffer;
  rootTokenEncrypted: boolean;
  threshold: number;
  wipe(): void;
}

interface InitResponse {
  keys?: string[];
  keys_base64?: string[];
  root_token?: string;
}

export function checkShareParameters(shares: number, threshold: number, what = 'shares'): void {
  if (!Number.isInteger(shares) || !Number.isInteger(threshold) || shares < 1 || shares > 255 || threshold < 1 || threshold > shares) {
    throw new CustodianError('INVALID_INPUT', `Invalid ${what}/threshold ${shares}/${threshold}: need 1 <= threshold <= ${what} <= 255.`, {
      hint: 'For example --shares 5 --threshold 3.',
    });
  }
  if (shares > 1 && threshold < 2) {
    throw new CustodianError('INVALID_INPUT', `A threshold of 1 with ${shares} ${what} would let any single holder unseal alone.`, {
      hint: 'Use a threshold of at least 2 (Vault/OpenBao refuses 1 with several shares).',
    });
  }
}

/** Initialises one node (for Raft, the other nodes join it and are then unsealed with the same shares). */
export async function initialize(cluster: VaultCluster, options: InitOptions): Promise<InitResult> {
  checkShareParameters(options.shares, options.threshold);
  if (options.pgpKeys && options.pgpKeys.length !== options.shares) {
    throw new CustodianError('INVALID_INPUT', `${options.pgpKeys.length} PGP keys for ${options.shares} shares: give exactly one public key per share.`, {
      hint: 'List one key file per holder with --pgp-keys a.asc,b.asc,...',
    });
  }
  const node: VaultNode = options.address ? cluster.node(options.address) : cluster.nodes[0]!;
  const state = await node.call<{ initialized?: boolean }>('GET', '/sys/init');
  if (state.initialized) {
    throw new CustodianError('VAULT_ALREADY_INITIALIZED', `${node.address} is already initialised.`, {
      hint: 'Unseal it with the existing shares (custodian vault unseal), or rekey to change them.',
    });
  }
  const body: Record<string, unknown> = { secret_shares: options.shares, secret_threshold: options.threshold };
  if (options.pgpKeys) body['pgp_keys'] = options.pgpKeys.map((k) => k.base64Key);
  if (options.rootTokenPgpKey) body['root_token_pgp_key'] = options.rootTokenPgpKey.base64Key;

  const transcript = new CeremonyTranscript('init', [...cluster.settings.addresses]);
  let response: InitResponse;
  try {
    response = await node.call<InitResponse>('PUT', '/sys/init', body);
  } catch (error) {
    await options.audit?.record({ action: 'vault.init', outcome: 'error', address: node.address });
    await transcript.record(options.audit, 'error', 'not-initialized', [{ address: node.address, result: 'init refused' }], { shares: options.shares, threshold: options.threshold });
    throw asRequestFailed(error, 'Init');
  }
  const shares = (response.keys_base64 ?? []).map((k) => Buffer.from(k, 'base64'));
  const rootToken = options.rootTokenPgpKey
    ? Buffer.from(response.root_token ?? '', 'base64')
    : Buffer.from(response.root_token ?? '', 'utf8');
  if (shares.length !== options.shares || rootToken.length === 0) {
    for (const share of shares) share.fill(0);
    rootToken.fill(0);
    throw new CustodianError('VAULT_REQUEST_FAILED', `${node.address} accepted init but did not return the expected ${options.shares} shares and a root token.`, {
      hint: 'Check the node\'s log; if it is initialised now, its shares are lost and the storage must be wiped and re-initialised.',
    });
  }
  await options.audit?.record({
    action: 'vault.init', outcome: 'ok', address: node.address, shares: options.shares, threshold: options.threshold,
    pgpFingerprints: (options.pgpKeys ?? []).map((k) => k.fingerprint),
  });
  // One holder per share handed out: the Shamir index is readable only from a plain share (not a PGP message).
  for (const [index, share] of shares.entries()) transcript.share(options.pgpKeys ? null : share, options.holderNames?.[index], 'handed-out');
  await transcript.record(options.audit, 'ok', 'initialized-sealed', [{ address: node.address, result: 'initialized' }], {
    shares: options.shares, threshold: options.threshold, pgpFingerprints: (options.pgpKeys ?? []).map((k) => k.fingerprint),
  });
  return {
    address: node.address,
    shares,
    sharesEncrypted: Boolean(options.pgpKeys),
    pgpFingerprints: (options.pgpKeys ?? []).map((k) => k.fingerprint),
    rootToken,
    rootTokenEncrypted: Boolean(options.rootTokenPgpKey),
    threshold: options.threshold,
    wipe() {
      for (const share of shares) share.fill(0);
      rootToken.fill(0);
    },
  };
}
