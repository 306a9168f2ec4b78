export { PROTOCOL, fingerprintOf, isFingerprint, presentedIdentity, protocolError, type ProtocolCode } from './wire.js';
export { buildUnlockRequest, verifyReceipt, verifyStatus, type CustodianSigner, type Receipt, type ReceiverStatus, type UnlockRequest } from './messages.js';
export { IDENTITY_ACCOUNT, authorizedCustodiansEntry, loadOrCreateIdentity } from './identity.js';
export { SERVER_NAME_PATTERN, ServerRegistry, type PinnedServer } from './servers.js';
export { ReceiptLog, type StoredReceipt } from './receipts.js';
export { callReceiver, normalizeReceiverUrl, type Endpoint, type HttpAnswer } from './transport.js';
export { fetchStatus, pushKeys, statusOf, type CallReceiver, type PushOptions, type PushResult, type StatusResult } from './push.js';
