/**
 * Stable error codes. Every failure the core reports carries one of these codes, a sentence a user can act on
 * (`message`) and, where useful, what to do next (`hint`). Messages never contain key material: crypto failures
 * say no more than "invalid token".
 *
 * Add new codes here (one line each, grouped by area) and give them an exit status in EXIT_STATUS.
 */
export type ErrorCode =
  // usage and input
  | 'USAGE'
  | 'INVALID_INPUT'
  | 'CONFIRMATION_REQUIRED'
  // keys and custody
  | 'KEYCHAIN_UNAVAILABLE'
  | 'KEYCHAIN_LOCKED'
  | 'KEY_NOT_FOUND'
  | 'KEY_MISSING_FROM_KEYCHAIN'
  | 'KEY_AMBIGUOUS'
  | 'KEY_EXISTS'
  | 'INVALID_KEY'
  | 'METADATA_CORRUPT'
  | 'STORAGE_FAILED'
  // fernet
  | 'INVALID_TOKEN'
  | 'TOKEN_EXPIRED'
  // vault / openbao
  | 'VAULT_UNREACHABLE'
  | 'VAULT_TLS'
  | 'VAULT_REQUEST_FAILED'
  | 'VAULT_NOT_INITIALIZED'
  | 'VAULT_ALREADY_INITIALIZED'
  | 'VAULT_SEALED'
  | 'SHARE_INVALID'
  | 'SHARE_REPEATED'
  | 'SHARE_REJECTED'
  | 'CEREMONY_CHANGED'
  | 'CEREMONY_NOT_STARTED'
  | 'PGP_INVALID'
  | 'PROFILE_NOT_FOUND'
  // servers, push protocol
  | 'SERVER_NOT_FOUND'
  | 'SERVER_EXISTS'
  | 'SERVER_UNREACHABLE'
  | 'IDENTITY_MISMATCH'
  | 'IDENTITY_UNCONFIRMED'
  | 'IDENTITY_CORRUPT'
  | 'PUSH_REFUSED'
  | 'PROTOCOL_ERROR'
  | 'STALE_STATUS'
  // backup and recovery
  | 'MNEMONIC_INVALID'
  | 'MNEMONIC_SET_MISMATCH'
  | 'MNEMONIC_DUPLICATE'
  | 'MNEMONIC_INSUFFICIENT'
  | 'RESTORE_MISMATCH'
  | 'BACKUP_CORRUPT'
  | 'BACKUP_DECRYPT_FAILED'
  | 'OUTPUT_UNWRITABLE'
  // desktop app ceremonies
  | 'HANDOUT_OPEN'
  | 'PRESENCE_REQUIRED'
  // desktop app
  | 'FORBIDDEN_SENDER'
  | 'INTERNAL'
  // monitoring
  | 'WATCH_TIMEOUT'
  // vault kv
  | 'VAULT_KV_NOT_FOUND'
  | 'VAULT_KV_CONFLICT'
  // vault login delivered by push (protocol §12.13)
  | 'VAULT_LOGIN_NOT_DELIVERED'
  // vault setup (day-one hardening)
  | 'VAULT_SETUP_PLAN_INVALID'
  | 'VAULT_SETUP_FORBIDDEN'
  | 'VAULT_SETUP_CONFLICT'
  | 'VAULT_SETUP_AUDIT_CONFIG'
  | 'VAULT_SETUP_AUDIT_NOT_WRITING'
  | 'VAULT_SETUP_INCOMPLETE'
  // key rotation
  | 'ROTATION_OPEN'
  | 'ROTATION_NONE'
  | 'ROTATION_BACKUP_MISSING'
  | 'ROTATION_NOT_READY'
  | 'ROTATION_ABORT_REFUSED'
  | 'ROTATION_KEY_IN_USE'
  // rekey of unlocked receivers (protocol §12.12)
  | 'REKEY_KEY_IN_USE'
  // audit log
  | 'AUDIT_WRITE_FAILED'
  | 'AUDIT_BUSY'
  | 'AUDIT_KEY_CORRUPT'
  | 'AUDIT_VERIFY_FAILED'
  | 'AUDIT_ENTRY_NOT_FOUND';

/** Process exit status per code, documented in `custodian --help`. */
export const EXIT_STATUS = {
  ok: 0,
  failure: 1,
  usage: 2,
  keychain: 3,
  notFound: 4,
  crypto: 5,
  vault: 6,
  server: 7,
  data: 8,
  timeout: 9,
} as const;

const exitByCode: Record<ErrorCode, number> = {
  USAGE: EXIT_STATUS.usage,
  INVALID_INPUT: EXIT_STATUS.usage,
  CONFIRMATION_REQUIRED: EXIT_STATUS.usage,
  KEYCHAIN_UNAVAILABLE: EXIT_STATUS.keychain,
  KEYCHAIN_LOCKED: EXIT_STATUS.keychain,
  KEY_NOT_FOUND: EXIT_STATUS.notFound,
  KEY_MISSING_FROM_KEYCHAIN: EXIT_STATUS.keychain,
  KEY_AMBIGUOUS: EXIT_STATUS.usage,
  KEY_EXISTS: EXIT_STATUS.usage,
  INVALID_KEY: EXIT_STATUS.crypto,
  METADATA_CORRUPT: EXIT_STATUS.data,
  STORAGE_FAILED: EXIT_STATUS.data,
  INVALID_TOKEN: EXIT_STATUS.crypto,
  TOKEN_EXPIRED: EXIT_STATUS.crypto,
  VAULT_UNREACHABLE: EXIT_STATUS.vault,
  VAULT_TLS: EXIT_STATUS.vault,
  VAULT_REQUEST_FAILED: EXIT_STATUS.vault,
  VAULT_NOT_INITIALIZED: EXIT_STATUS.vault,
  VAULT_ALREADY_INITIALIZED: EXIT_STATUS.vault,
  VAULT_SEALED: EXIT_STATUS.vault,
  SHARE_INVALID: EXIT_STATUS.vault,
  SHARE_REPEATED: EXIT_STATUS.vault,
  SHARE_REJECTED: EXIT_STATUS.vault,
  CEREMONY_CHANGED: EXIT_STATUS.vault,
  CEREMONY_NOT_STARTED: EXIT_STATUS.vault,
  PGP_INVALID: EXIT_STATUS.crypto,
  PROFILE_NOT_FOUND: EXIT_STATUS.notFound,
  SERVER_NOT_FOUND: EXIT_STATUS.notFound,
  SERVER_EXISTS: EXIT_STATUS.usage,
  SERVER_UNREACHABLE: EXIT_STATUS.server,
  IDENTITY_MISMATCH: EXIT_STATUS.server,
  IDENTITY_UNCONFIRMED: EXIT_STATUS.server,
  IDENTITY_CORRUPT: EXIT_STATUS.keychain,
  PUSH_REFUSED: EXIT_STATUS.server,
  PROTOCOL_ERROR: EXIT_STATUS.server,
  STALE_STATUS: EXIT_STATUS.server,
  MNEMONIC_INVALID: EXIT_STATUS.crypto,
  MNEMONIC_SET_MISMATCH: EXIT_STATUS.crypto,
  MNEMONIC_DUPLICATE: EXIT_STATUS.crypto,
  MNEMONIC_INSUFFICIENT: EXIT_STATUS.crypto,
  RESTORE_MISMATCH: EXIT_STATUS.crypto,
  BACKUP_CORRUPT: EXIT_STATUS.crypto,
  BACKUP_DECRYPT_FAILED: EXIT_STATUS.crypto,
  OUTPUT_UNWRITABLE: EXIT_STATUS.data,
  HANDOUT_OPEN: EXIT_STATUS.usage,
  PRESENCE_REQUIRED: EXIT_STATUS.usage,
  FORBIDDEN_SENDER: EXIT_STATUS.usage,
  INTERNAL: EXIT_STATUS.failure,
  WATCH_TIMEOUT: EXIT_STATUS.timeout,
  VAULT_KV_NOT_FOUND: EXIT_STATUS.notFound,
  VAULT_KV_CONFLICT: EXIT_STATUS.vault,
  VAULT_LOGIN_NOT_DELIVERED: EXIT_STATUS.vault,
  VAULT_SETUP_PLAN_INVALID: EXIT_STATUS.usage,
  VAULT_SETUP_FORBIDDEN: EXIT_STATUS.vault,
  VAULT_SETUP_CONFLICT: EXIT_STATUS.vault,
  VAULT_SETUP_AUDIT_CONFIG: EXIT_STATUS.vault,
  VAULT_SETUP_AUDIT_NOT_WRITING: EXIT_STATUS.vault,
  VAULT_SETUP_INCOMPLETE: EXIT_STATUS.vault,
  ROTATION_OPEN: EXIT_STATUS.usage,
  ROTATION_NONE: EXIT_STATUS.notFound,
  ROTATION_BACKUP_MISSING: EXIT_STATUS.failure,
  ROTATION_NOT_READY: EXIT_STATUS.server,
  ROTATION_ABORT_REFUSED: EXIT_STATUS.server,
  ROTATION_KEY_IN_USE: EXIT_STATUS.usage,
  REKEY_KEY_IN_USE: EXIT_STATUS.server,
  AUDIT_WRITE_FAILED: EXIT_STATUS.data,
  AUDIT_BUSY: EXIT_STATUS.timeout,
  AUDIT_KEY_CORRUPT: EXIT_STATUS.keychain,
  AUDIT_VERIFY_FAILED: EXIT_STATUS.data,
  AUDIT_ENTRY_NOT_FOUND: EXIT_STATUS.notFound,
};

export class CustodianError extends Error {
  override readonly name = 'CustodianError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** Non-secret structured detail (for example per-node progress), safe to print and to put in --json. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {}) {
    // The cause is kept for debugging but never printed by the CLI: it may quote input.
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get exitStatus(): number {
    return exitByCode[this.code];
  }
}

export function isCustodianError(value: unknown): value is CustodianError {
  return value instanceof CustodianError;
}

/** Exit status for an error code, for documentation and the CLI. */
export function exitStatusOf(code: ErrorCode): number {
  return exitByCode[code];
}

/** Every code, for documentation checks (docs/errors.md lists each one). */
export const ERROR_CODES = Object.keys(exitByCode) as ErrorCode[];
