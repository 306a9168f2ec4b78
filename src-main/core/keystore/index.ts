import { FileAuditLog } from '../audit.js';
import { custodianHome, keychainService } from '../paths.js';
import { KeyStore } from './key-store.js';
import { OsKeychain, keychainTimeoutMs } from './os-keychain.js';

export { KeyStore, resolveIn, type KeyStoreOptions } from './key-store.js';
export { METADATA_FILE, type BackupKind, type KeyOrigin, type KeyRecord } from './metadata.js';
export { MAX_NAME_LENGTH, checkKeyName } from './names.js';
export { DEFAULT_KEYCHAIN_TIMEOUT_MS, OsKeychain, keychainError, keychainTimeoutMs } from './os-keychain.js';
export { MemorySecretStore, type SecretStore } from './secret-store.js';

/**
 * The real thing: keys in the OS keychain, metadata and audit log in the custodian home.
 * `onKeychainTimeout`: see OsKeychain.
 */
export function openKeyStore(env: NodeJS.ProcessEnv = process.env, options: { onKeychainTimeout?: () => void } = {}): KeyStore {
  const home = custodianHome(env);
  const secrets = new OsKeychain(keychainService(env), {
    timeoutMs: keychainTimeoutMs(env),
    ...(options.onKeychainTimeout ? { onTimeout: options.onKeychainTimeout } : {}),
  });
  return new KeyStore({ secrets, home, audit: new FileAuditLog(home, { secrets }) });
}
