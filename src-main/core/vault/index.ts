// The Vault/OpenBao part of the core: connection settings, cluster status, and the key ceremonies.
export { resolveConnection, parseVaultBool, normaliseAddress, DEFAULT_VAULT_ADDR, SKIP_VERIFY_WARNING } from './settings.js';
export type { ConnectionOptions, ConnectionSettings } from './settings.js';
export { VaultCluster, nodeStatus } from './cluster.js';
export type { NodeStatus } from './cluster.js';
export { VaultNode, VaultResponseError } from './node.js';
export { decodeShare, shareX, ShareLedger, splitShareLines, wipeAll, PLAUSIBLE_SHARE_LENGTHS } from './shares.js';
export { readRecipient, decryptShare, looksPgpEncrypted } from './pgp.js';
export type { PgpRecipient, PgpPrivateKeySource } from './pgp.js';
export { initialize, checkShareParameters } from './init.js';
export type { InitOptions, InitResult } from './init.js';
export { UnsealCeremony } from './unseal.js';
export type { NodeUnsealState, ShareResult, NodeOutcome, UnsealOptions } from './unseal.js';
export { RekeyCeremony, RekeyVerification } from './rekey.js';
export type { RekeyOptions, RekeyProgress } from './rekey.js';
export { GenerateRootCeremony, generateOtp, decodeRootToken } from './generate-root.js';
export type { GenerateRootProgress } from './generate-root.js';
export { ceremonyFingerprint, assertSameCeremony } from './fingerprint.js';
export type { CeremonyParameters } from './fingerprint.js';
export { sealNodes, stepDown } from './operations.js';
export type { NodeOperationResult } from './operations.js';
export { kvRead, kvWrite } from './kv.js';
export type { KvSecret } from './kv.js';
export {
  kvList, kvMetadata, kvGet, kvPut, kvDelete, generatePassword, valueFingerprint, summarise as summariseKvSecret, checkFieldName,
  PASSWORD_ALPHABET, DEFAULT_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH,
} from './kv-secrets.js';
export type { KvMetadata, KvVersionInfo, KvFieldSummary, KvPutOptions } from './kv-secrets.js';
export { VaultProfiles, profileOptions } from './profiles.js';
export type { VaultProfile } from './profiles.js';
export { WrappedSecretIdMinter, PUSH_WRAP_TTL } from './wrapped-secret-id.js';
export { auditDevices } from './audit-devices.js';
export type { AuditDevice } from './audit-devices.js';
export { CeremonyTranscript, holderName } from './transcript.js';
export type { CeremonyKind, TranscriptHolder, TranscriptNode } from './transcript.js';
