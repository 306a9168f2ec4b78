/** The receiver's error codes (docs/protocol.md §7 and §12.10): stable code, HTTP status, a fixed message that quotes nothing. */
export const RECEIVER_ERRORS = {
  BAD_REQUEST: [400, 'malformed request'],
  UNSUPPORTED_PROTOCOL: [400, 'unsupported protocol version or algorithm'],
  WRONG_MESSAGE_TYPE: [400, 'not an unlock request'],
  DECRYPT_FAILED: [400, 'invalid token'],
  BAD_PAYLOAD: [400, 'invalid key payload'],
  BAD_SIGNATURE: [401, 'invalid signature'],
  UNKNOWN_CUSTODIAN: [403, 'custodian not authorized'],
  WRONG_SERVER: [403, 'request was made for another server'],
  NOT_FOUND: [404, 'not found'],
  METHOD_NOT_ALLOWED: [405, 'method not allowed'],
  WRONG_BOOT: [409, 'request was made for another boot'],
  ALREADY_UNLOCKED: [409, 'already unlocked'],
  UNKNOWN_CHALLENGE: [409, 'unknown or used challenge'],
  CHALLENGE_EXPIRED: [409, 'challenge expired'],
  BODY_TOO_LARGE: [413, 'request too large'],
  UNSUPPORTED_MEDIA_TYPE: [415, 'content type must be application/json'],
  KEY_CHECK_FAILED: [422, 'key check failed'],
  KEY_ORDER_REFUSED: [422, 'the current key must be the newest configured key'],
  CUSTODIAN_REVOKED: [409, 'custodian revoked'],
  LAST_CUSTODIAN: [409, 'would leave no authorized custodian'],
  STATEMENTS_DISABLED: [409, 'statements are not enabled on this receiver'],
  REQUEST_TIMEOUT: [408, 'request not received in time'],
  NOT_UNLOCKED: [409, 'not unlocked'],
  RETIRE_MISMATCH: [409, 'retire must name exactly the installed keys the new set leaves out'],
  INTERNAL: [500, 'internal error'],
} as const satisfies Record<string, readonly [number, string]>;

export type ReceiverErrorCode = keyof typeof RECEIVER_ERRORS;

/** A refused request. Carries only the code: the message is the fixed one above. */
export class ReceiverError extends Error {
  override readonly name = 'ReceiverError';
  constructor(readonly code: ReceiverErrorCode) {
    super(RECEIVER_ERRORS[code][1]);
  }
  get httpStatus(): number {
    return RECEIVER_ERRORS[this.code][0];
  }
}

/** Configuration problems at start (bad file, bad flag): the demo server prints them and exits 2. */
export class ReceiverConfigError extends Error {
  override readonly name = 'ReceiverConfigError';
  constructor(readonly code: 'INVALID_CONFIG' | 'INSECURE_FILE', message: string) {
    super(message);
  }
}
