/** The cryptographic core: Fernet keys and tokens, MultiFernet rotation and public key ids. */
export { FERNET_KEY_LENGTH, generateFernetKey, encodeFernetKey, decodeFernetKey } from './fernet-key.js';
export { Fernet, withFernets, type FernetOptions, type EncryptOptions, type DecryptOptions } from './fernet.js';
export { MultiFernet } from './multi-fernet.js';
export { keyId, isKeyId } from './key-id.js';
