/**
 * The typed IPC contract between the renderer and the main process: for every action, the zod schema its
 * request must pass (main parses every payload from `unknown` with it) and the type of its response.
 *
 * What crosses this boundary: key ids, names, fingerprints, states and progress. A Fernet key crosses it only
 * in `revealKey`'s answer (the one-time reveal of an export the user confirmed by typing the key's name) and
 * towards main in `importKey`. Shares typed by holders go towards main only. Shares and root tokens made by a
 * ceremony (init, rekey, generate-root) stay in main and cross only in `handoutReveal`'s answer: ONE secret, for
 * the holder whose turn it is. A SLIP-39 share crosses it towards the renderer only in `backupHandoutWords`: the
 * words of the one holder whose turn it is in a backup hand-out held in main.
 *
 * File contents never cross it: the Fernet file actions (fernetEncrypt, fernetDecrypt, fernetRotate) name keys
 * by id; main chooses, reads and writes the files in its own dialogs and answers with a summary (paths, sizes,
 * key ids).
 */
import { z } from 'zod';
import type { ActionName } from './actions.js';

export { ACTIONS, channelOf, actionOfChannel, type ActionName } from './actions.js';

const name = z.string().trim().min(1, 'Give a name.').max(64, 'Use at most 64 characters.')
  .regex(/^[\p{L}\p{N} ._-]+$/u, 'Use letters, digits, spaces, dots, dashes and underscores only.');
const keyRef = z.string().trim().min(1, 'Choose a key.').max(128);
const vaultAddr = z.string().trim().max(2048).refine(isHttpUrl, 'Give each node as an http(s) URL, for example https://10.0.0.5:8200.');
const addrs = z.array(vaultAddr).min(1, 'Give at least one node address.').max(16, 'At most 16 nodes.');
/** A saved cluster profile (core vault/profiles.ts): its addresses and TLS files are used instead of `addrs`. */
const profile = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'Choose a saved profile.').optional();
const ceremonyId = z.string().min(8).max(64).regex(/^[A-Za-z0-9_-]+$/);
/** A share as typed: base64 or hex with optional whitespace, or an ASCII-armoured PGP message. */
const share = z.string().min(1, 'Type the share.').max(20_000, 'That is far longer than any share.');
const armoredKey = z.string().min(1).max(100_000);
const fingerprint = z.string().trim().min(4).max(256);
/** The typed confirmation that names the holders who will not get their secret (see handoutAbandon). */
const abandonConfirmation = z.string().max(4000);
const handoutIndex = z.number().int().min(0).max(255);
/** The core's server name rule (src-main/core/push/servers.ts), checked here so the form says it first. */
/** The local unlock passphrase as typed (turned into a Buffer in main at once, wiped after the scrypt check). */
const unlockPassphrase = z.string().min(1, 'Type the unlock passphrase.').max(1024, 'That is longer than any passphrase.');
/** A number typed in a form: one sentence for every way it can be wrong (empty, not a number, a fraction, out of range). */
function wholeNumber(min: number, max: number, sentence: string): z.ZodNumber {
  return z.number({ error: sentence }).int(sentence).min(min, sentence).max(max, sentence);
}
const profileName = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'A profile name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit.');
/** A TLS file's path on this machine (main checks that it can be read before saving). */
function tlsFile(what: string): z.ZodString {
  return z.string().trim().min(1, `Give the path of the ${what} file.`).max(4096, `The ${what} path is too long.`);
}
/** A Vault token as typed (a Buffer in main at once, wiped after the call). */
const kvMount = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'A KV mount is a name such as secret.');
const kvPathPattern = /^(?!.*(^|\/)\.{1,2}(\/|$))[A-Za-z0-9_.@/-]*$/;
const kvPrefix = z.string().trim().max(512, 'At most 512 characters.').regex(kvPathPattern, 'Use letters, digits, - _ . @ and / only.');
const kvPath = kvPrefix.min(1, 'Give the secret\'s path, e.g. mail-helper/postgresql.');
const kvField = z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'A field name is letters, digits, - _ and . (e.g. password).');
const setupApp = z.string().trim().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'An application name is lowercase letters, digits, - and _ (for example mail-helper).');
const setupAuditFile = z.string().trim().regex(/^\/[^\0\n]{1,4095}$/, 'The audit file is an absolute path on the Vault servers.');
const vaultToken = z.string().trim().min(1, 'Type a Vault token.').max(4096, 'That is longer than any Vault token.');
/** `fernet decrypt --ttl`: the oldest token accepted, in seconds (the CLI's bounds). */
const tokenTtl = wholeNumber(1, 9_999_999_999, 'Maximum token age: give a whole number of seconds greater than 0.');
const serverName = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'A server name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit.');

// ---- backup (issue 8 section 6) ----
/** A holder's name on a hand-out and their sheet; empty means "Holder k". */
const holderName = z.string().trim().max(64, 'Use at most 64 characters.').regex(/^[\p{L}\p{N} .,'_-]*$/u, 'Use letters, digits, spaces and . , \' _ - only.');
const holderIndex = z.number().int().min(1).max(16);
/** One typed SLIP-39 word (or a pasted share). Checked against the word list by the core, which names the position. */
const typedWord = z.string().max(400, 'That is longer than a share.');
const slip39Passphrase = z.string().min(1, 'Type the passphrase, or leave it out.').max(1024);
const agePassphrase = z.string().min(1, 'Type the passphrase.').max(1024);
/** A passphrase for a NEW age file: scrypt slows guessing, it cannot save a short passphrase (the CLI's minimum too). */
const newAgePassphrase = z.string().min(10, 'Use a passphrase of at least 10 characters.').max(1024);
const ageRecipients = z.array(z.string().trim().min(1).max(16_384)).min(1, 'Give at least one recipient.').max(64);
/** Which secret opens an age file: this custodian's keychain identity, an identity file (chosen in a dialog), a passphrase. */
const ageIdentity = z.enum(['keychain', 'file', 'passphrase']);
// ---- end backup ----

export const requests = {
  appInfo: z.strictObject({}),
  getSettings: z.strictObject({}),
  saveSettings: z.strictObject({
    idleLockMinutes: wholeNumber(1, 240, 'Lock after idle: give a whole number of minutes from 1 to 240.'),
    clipboardClearSeconds: wholeNumber(5, 600, 'Clear clipboard after: give a whole number of seconds from 5 to 600.'),
    watchIntervalSeconds: wholeNumber(2, 3600, 'Refresh status every: give a whole number of seconds from 2 to 3600.'),
  }),
  listKeys: z.strictObject({}),
  generateKey: z.strictObject({ name }),
  importKey: z.strictObject({ name, keyText: z.string().min(1, 'Paste the Fernet key.').max(200, 'A Fernet key is 44 characters.') }),
  deleteKey: z.strictObject({ ref: keyRef, confirmName: z.string().max(64) }),
  revealKey: z.strictObject({ ref: keyRef, confirmName: z.string().max(64) }),
  copyKey: z.strictObject({ ref: keyRef, confirmName: z.string().max(64) }),
  copyText: z.strictObject({ text: z.string().min(1).max(512) }),
  vaultProfiles: z.strictObject({}),
  vaultStatus: z.strictObject({ addrs, profile }),
  unsealBegin: z.strictObject({ addrs, profile }),
  unsealSubmit: z.strictObject({
    ceremonyId,
    share,
    pgpPrivateKey: armoredKey.optional(),
    pgpPassphrase: z.string().max(1024).optional(),
    /** The holder's name as typed (optional): recorded with the share's Shamir index in the ceremony transcript. */
    holderName: z.string().max(100).optional(),
  }),
  unsealView: z.strictObject({ ceremonyId }),
  unsealReset: z.strictObject({ ceremonyId }),
  unsealEnd: z.strictObject({ ceremonyId }),
  vaultInit: z.strictObject({
    addrs,
    profile,
    shares: z.number().int().min(1).max(255),
    threshold: z.number().int().min(1).max(255),
    pgpKeys: z.array(armoredKey).max(255).optional(),
    rootTokenPgpKey: armoredKey.optional(),
    /** The holders' names in share order (optional): for the ceremony transcript. */
    holderNames: z.array(z.string().max(100)).max(255).optional(),
  }).refine((r) => r.threshold <= r.shares, { message: 'The threshold cannot exceed the number of shares.', path: ['threshold'] })
    .refine((r) => !r.pgpKeys || r.pgpKeys.length === r.shares, { message: 'Give one PGP key per share, or none.', path: ['pgpKeys'] }),
  rekeyBegin: z.strictObject({
    addrs,
    profile,
    shares: z.number().int().min(1).max(255),
    threshold: z.number().int().min(1).max(255),
    pgpKeys: z.array(armoredKey).max(255).optional(),
  }).refine((r) => r.threshold <= r.shares, { message: 'The threshold cannot exceed the number of shares.', path: ['threshold'] }),
  rekeySubmit: z.strictObject({ ceremonyId, share, confirmedFingerprint: fingerprint, holderName: z.string().max(100).optional() }),
  /** `confirmation` is needed once new shares exist that not every holder has received (else HANDOUT_OPEN). */
  rekeyCancel: z.strictObject({ ceremonyId, confirmation: abandonConfirmation.optional() }),
  generateRootBegin: z.strictObject({ addrs, profile }),
  generateRootSubmit: z.strictObject({ ceremonyId, share, confirmedFingerprint: fingerprint, holderName: z.string().max(100).optional() }),
  generateRootCancel: z.strictObject({ ceremonyId, confirmation: abandonConfirmation.optional() }),
  /** The ceremonies open in main (stage and progress, never a secret): every Vault screen re-attaches on mount. */
  vaultCeremonies: z.strictObject({}),
  /** The secret of hand-out item `index`, which must be the next one not yet handed out. */
  handoutReveal: z.strictObject({ ceremonyId, index: handoutIndex }),
  /** The holder recorded item `index`: main marks it handed out and wipes its copy. */
  handoutConfirm: z.strictObject({ ceremonyId, index: handoutIndex }),
  /** Ends a hand-out before every holder got their secret: `confirmation` must be the phrase naming them. */
  handoutAbandon: z.strictObject({ ceremonyId, confirmation: abandonConfirmation }),
  listServers: z.strictObject({}),
  probeServer: z.strictObject({ url: z.string().trim().max(2048).refine(isHttpUrl, 'Give the receiver URL, for example http://10.0.0.7:8443.') }),
  addServer: z.strictObject({
    name: serverName,
    url: z.string().trim().max(2048).refine(isHttpUrl, 'Give the receiver URL, for example http://10.0.0.7:8443.'),
    identity: fingerprint,
  }),
  removeServer: z.strictObject({ name: serverName }),
  serverStatus: z.strictObject({ names: z.array(serverName).max(1000).optional() }),
  pushKey: z.strictObject({
    key: keyRef,
    previous: z.array(keyRef).max(8).optional(),
    servers: z.array(serverName).min(1, 'Choose at least one server.').max(1000),
    /** `push --allow-older-current-key`: a deliberate roll-back past the key-order check (§12.3); a warning remains. */
    allowOlderCurrentKey: z.boolean().optional(),
    /** `push --vault-role ROLE --profile P`: also deliver a Vault login (protocol §12.13), minted with `token`. */
    vaultLogin: z.strictObject({
      role: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'An AppRole role name is 1-64 letters, digits, ".", "_" or "-".'),
      profile: profileName,
      token: vaultToken,
    }).optional(),
    /** `push --drop-previous`: the officer confirmed that keys left out may be retired (REKEY_KEY_IN_USE otherwise, §12.12). */
    dropPrevious: z.boolean().optional(),
  }),
  sessionState: z.strictObject({}),
  lock: z.strictObject({}),
  unlock: z.strictObject({ passphrase: unlockPassphrase.optional() }),
  confirmPresence: z.strictObject({ passphrase: unlockPassphrase.optional() }),
  setUnlockPassphrase: z.strictObject({
    passphrase: z.string().min(10, 'Use at least 10 characters for the unlock passphrase.').max(1024, 'That is longer than any passphrase.'),
    current: unlockPassphrase.optional(),
  }),
  watchState: z.strictObject({}),
  // ---- backup (issue 8 section 6) ----
  backupWords: z.strictObject({}),
  backupHandouts: z.strictObject({}),
  backupSplitBegin: z.strictObject({
    key: keyRef,
    shares: z.number().int().min(1).max(16, 'SLIP-39 makes at most 16 shares.'),
    threshold: z.number().int().min(1).max(16),
    holders: z.array(holderName).max(16),
    passphrase: slip39Passphrase.optional(),
  }).refine((r) => r.threshold <= r.shares, { message: 'The threshold cannot exceed the number of shares.', path: ['threshold'] })
    .refine((r) => r.holders.length === r.shares, { message: 'Name every holder (one name per share).', path: ['holders'] }),
  backupHandoutView: z.strictObject({ handoutId: ceremonyId }),
  backupHandoutWords: z.strictObject({ handoutId: ceremonyId, index: holderIndex }),
  backupHandoutConfirm: z.strictObject({ handoutId: ceremonyId, index: holderIndex, words: z.array(typedWord).length(2) }),
  backupHandoutSaveSheets: z.strictObject({ handoutId: ceremonyId, index: holderIndex.optional() }),
  backupHandoutEnd: z.strictObject({ handoutId: ceremonyId, confirmation: z.string().max(2048).optional() }),
  restoreBegin: z.discriminatedUnion('mode', [
    z.strictObject({
      mode: z.literal('restore'),
      name,
      /** The key id printed on the sheets: when given, a set that recombines to another key is refused (RESTORE_MISMATCH). */
      expectedId: z.string().trim().toUpperCase().regex(/^K1-[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/, 'Type the key id as printed on the sheet (K1-XXXX-XXXX-XXXX-XXXX).').optional(),
    }),
    z.strictObject({ mode: z.literal('drill'), key: keyRef }),
  ]),
  restoreView: z.strictObject({ restoreId: ceremonyId }),
  /** One share, one entry per word field (a pasted or scanned share may arrive as one entry: main splits it). */
  restoreAddShare: z.strictObject({ restoreId: ceremonyId, words: z.array(typedWord).min(1).max(33) }),
  restoreFinish: z.strictObject({ restoreId: ceremonyId, passphrase: slip39Passphrase.optional() }),
  restoreCancel: z.strictObject({ restoreId: ceremonyId }),
  ageRecipient: z.strictObject({}),
  ageExport: z.strictObject({ key: keyRef, recipients: ageRecipients.optional(), passphrase: newAgePassphrase.optional() })
    .refine((r) => (r.recipients !== undefined) !== (r.passphrase !== undefined), { message: 'Give recipients or a passphrase (one of the two).', path: ['recipients'] }),
  ageImport: z.strictObject({ name, identity: ageIdentity, passphrase: agePassphrase.optional() })
    .refine((r) => (r.identity === 'passphrase') === (r.passphrase !== undefined), { message: 'Type the passphrase the backup was made with.', path: ['passphrase'] }),
  stateBackup: z.strictObject({ recipients: ageRecipients.optional(), passphrase: newAgePassphrase.optional(), withKeys: z.boolean() })
    .refine((r) => (r.recipients !== undefined) !== (r.passphrase !== undefined), { message: 'Give recipients or a passphrase (one of the two).', path: ['recipients'] }),
  /** `replace`: this machine already has custodian state; it is moved aside (not deleted) and replaced. */
  stateRestore: z.strictObject({ identity: ageIdentity, passphrase: agePassphrase.optional(), replace: z.boolean() })
    .refine((r) => (r.identity === 'passphrase') === (r.passphrase !== undefined), { message: 'Type the passphrase the backup was made with.', path: ['passphrase'] }),
  // ---- end backup ----
  // ---- Vault parity with the CLI (issue 9 §3): `vault profile save|delete`, `vault seal`, `vault step-down` ----
  /** Saves (or replaces) a profile, as `custodian vault profile save`: paths of TLS files, never their content. */
  vaultProfileSave: z.strictObject({
    name: profileName,
    addresses: addrs,
    caCert: tlsFile('CA certificate').optional(),
    clientCert: tlsFile('client certificate').optional(),
    clientKey: tlsFile('client key').optional(),
    tlsServerName: z.string().trim().max(253, 'A server name is at most 253 characters.')
      .regex(/^[A-Za-z0-9.*-]+$/, 'TLS server name: give a host name such as vault.example.com.').optional(),
  }).refine((r) => !r.clientCert === !r.clientKey, { message: 'Give both the client certificate and its key, or neither.', path: ['clientKey'] }),
  vaultProfileDelete: z.strictObject({ name: profileName }),
  /** `token`: a Vault token with sudo on sys/seal (or sys/step-down), typed for this call only; main wipes its copy. */
  vaultSeal: z.strictObject({ addrs, profile, token: vaultToken }),
  vaultStepDown: z.strictObject({ addrs, profile, token: vaultToken }),
  // ---- Fernet on files (issue 9 §3): `custodian fernet encrypt|decrypt|rotate`, files chosen in main's dialogs ----
  fernetEncrypt: z.strictObject({ key: keyRef }),
  /** `key` absent: the keys in the keychain are tried one by one, and the answer names the one that opened it. */
  fernetDecrypt: z.strictObject({ key: keyRef.optional(), ttl: tokenTtl.optional() }),
  /** `key` encrypts; `previous` absent: every other key in the keychain may have made the tokens. */
  fernetRotate: z.strictObject({ key: keyRef, previous: z.array(keyRef).min(1, 'Choose a previous key.').max(8, 'At most 8 previous keys.').optional() }),
  // ---- incident response and the custodian life cycle (issue 10 §2, docs/protocol.md §12.4-12.6) ----
  /** `custodian server lock NAME...|--all`: exactly one of the two. */
  lockServers: z.strictObject({ servers: z.array(serverName).min(1, 'Choose at least one server.').max(1000).optional(), all: z.literal(true).optional() })
    .refine((r) => (r.servers !== undefined) !== (r.all !== undefined), { message: 'Choose the servers, or all of them (not both).', path: ['servers'] }),
  acceptServerIdentity: z.strictObject({ name: serverName }),
  identityStatus: z.strictObject({}),
  rotateIdentity: z.strictObject({
    label: z.string().trim().regex(/^[\x20-\x7e]{1,64}$/, 'The label is 1-64 printable ASCII characters, for example "alice (security officer, 2027 laptop)".'),
    forgetOld: z.boolean().optional(),
  }),
  /** `confirmation` must be revocationPhrase(fingerprint). */
  revokeCustodian: z.strictObject({
    fingerprint: z.string().trim().regex(/^ed25519:[A-Za-z0-9_-]{43}$/, 'That is not a custodian fingerprint (ed25519: followed by 43 characters).'),
    confirmation: z.string().max(200),
  }),
  /** Sends every custodian statement some server has not acknowledged yet to that server again. */
  resendStatements: z.strictObject({}),
  // ---- Vault KV v2 application secrets (issue 11 §5), as `custodian vault kv list|get|put|delete` ----
  /** `token`: typed for this call only (as vaultSeal); `mount` a KV v2 mount, `prefix`/`path` inside it. */
  vaultKvList: z.strictObject({ addrs, profile, token: vaultToken, mount: kvMount, prefix: kvPrefix }),
  vaultKvGet: z.strictObject({ addrs, profile, token: vaultToken, mount: kvMount, path: kvPath }),
  /** Needs presence (guard.ts): answers one field's value, which the window clears after `clearsAfterSeconds`. */
  vaultKvReveal: z.strictObject({ addrs, profile, token: vaultToken, mount: kvMount, path: kvPath, field: kvField, version: wholeNumber(1, 1_000_000_000, 'Choose a version.').optional() }),
  /** Generated fields are made in main (node:crypto); typed values come as strings (IPC has no other form). */
  vaultKvPut: z.strictObject({
    addrs, profile, token: vaultToken, mount: kvMount, path: kvPath,
    generate: z.array(z.strictObject({ field: kvField, length: wholeNumber(16, 256, 'A generated password has 16 to 256 characters.') })).max(32),
    values: z.array(z.strictObject({ field: kvField, value: z.string().min(1, 'Type a value.').max(65_536, 'At most 64 KiB per value.') })).max(32),
    cas: wholeNumber(0, 1_000_000_000, 'Check-and-set: give a version number (0 = only if absent).').optional(),
  }).refine((r) => r.generate.length + r.values.length > 0, { message: 'Generate or type at least one field.', path: ['generate'] }),
  vaultKvDelete: z.strictObject({ addrs, profile, token: vaultToken, mount: kvMount, path: kvPath }),
  // ---- Day-one setup (issue 12 §1), as `custodian vault setup --app NAME [--dry-run] [--keep-token]` ----
  /** The default plan for `app` (docs/vault-setup.md), `auditFilePath` overriding its audit file; changes nothing. */
  vaultSetupPlan: z.strictObject({ addrs, profile, token: vaultToken, app: setupApp, auditFilePath: setupAuditFile.optional(), keepToken: z.boolean() }),
  /** Applies the difference; the token is revoked at the end unless keepToken. */
  vaultSetupApply: z.strictObject({ addrs, profile, token: vaultToken, app: setupApp, auditFilePath: setupAuditFile.optional(), keepToken: z.boolean() }),
  // ---- key rotation (issue 11 §5), as `custodian rotate begin|status|push|finish|abort` (docs/rotation.md) ----
  /** rotation.json only: each key's age and state, the interval, the open rotation; no server or Vault contacted. */
  rotationKeys: z.strictObject({}),
  /** `token`: for a rotation that keeps a Vault KV entry in step; absent, the entry is not read. */
  rotationStatus: z.strictObject({ token: vaultToken.optional() }),
  /** `newKey` absent: a key is generated (named `name`, default OLD-NAME-YYYY-MM-DD). `token` needed with `vaultKv`. */
  rotationBegin: z.strictObject({
    key: keyRef,
    newKey: keyRef.optional(),
    name: name.optional(),
    graceDays: wholeNumber(1, 3650, 'Grace period: give a whole number of days from 1 to 3650.').optional(),
    servers: z.array(serverName).min(1, 'Choose at least one server.').max(1000).optional(),
    vaultKv: z.string().trim().regex(/^(?!.*(^|\/)\.{1,2}(\/|$))[A-Za-z0-9_.-]{1,64}(\/[A-Za-z0-9_.@-]+)+$/, 'Give MOUNT/PATH, e.g. secret/mail-helper/encryption.').optional(),
    profile: profileName.optional(),
    token: vaultToken.optional(),
    noBackupCheck: z.boolean(),
  }).refine((r) => !(r.newKey && r.name), { message: 'Name a generated key, or choose an existing one (not both).', path: ['name'] }),
  rotationPush: z.strictObject({ servers: z.array(serverName).max(1000).optional() }),
  /** Needs presence (guard.ts): every server switches to the new key alone. `kvCas`: write over that KV version. */
  rotationFinish: z.strictObject({ force: z.boolean(), token: vaultToken.optional(), kvCas: wholeNumber(0, 1_000_000_000, 'Give a version number.').optional() }),
  /** Needs presence (guard.ts): back to the old key while no server holds the new one (`force`: anyway). */
  rotationAbort: z.strictObject({ force: z.boolean(), token: vaultToken.optional(), kvCas: wholeNumber(0, 1_000_000_000, 'Give a version number.').optional() }),
  // ---- the signed audit log (issue 13 §3), as `custodian audit log|verify|export`; reading records nothing ----
  /** `action`: this action or its sub-actions ("vault" matches vault.unseal); `since`: ISO 8601 date or time. */
  auditLog: z.strictObject({
    action: z.string().trim().regex(/^[a-z0-9.-]{1,64}$/, 'An action is lower-case words joined by dots, e.g. vault.transcript.').optional(),
    since: z.string().trim().max(40).refine((t) => !Number.isNaN(Date.parse(t)), 'Give a date or time such as 2026-12-01 or 2026-12-01T08:00Z.').optional(),
  }),
  auditVerify: z.strictObject({}),
  /** Main asks for the directory (a new sub-directory is made in it); `entry`: one entry (a transcript) with its inclusion proof. */
  auditExport: z.strictObject({ entry: wholeNumber(0, 1_000_000_000, 'Choose an entry number.').optional() }),
} satisfies Record<ActionName, z.ZodType>;

/** The phrase typed to confirm a revocation: names the fingerprint's last 8 characters (checked in main too). */
export function revocationPhrase(fingerprint: string): string {
  return `revoke ${fingerprint.trim().slice(-8)}`;
}

export type RequestOf<A extends ActionName> = z.input<(typeof requests)[A]>;
export type ParsedRequestOf<A extends ActionName> = z.output<(typeof requests)[A]>;

// ---- response types -------------------------------------------------------------------------------------

export interface Feature { available: boolean; reason?: string }
export interface AppInfo {
  version: string;
  /** Which core modules this build has; a screen whose module is missing says so instead of showing data. */
  features: { keys: Feature; vault: Feature; push: Feature };
}
export interface Settings { idleLockMinutes: number; clipboardClearSeconds: number; watchIntervalSeconds: number }
export const DEFAULT_SETTINGS: Settings = { idleLockMinutes: 5, clipboardClearSeconds: 30, watchIntervalSeconds: 10 };

export interface KeyView {
  id: string;
  name: string;
  created: string;
  origin: 'generated' | 'imported' | 'restored';
  /** Last backup (SLIP-39 split, age export, state backup with keys); absent: never backed up. */
  lastBackup?: { at: string; kind: 'slip39' | 'age' | 'state' };
  /** Last restore drill and its outcome; absent: never drilled. */
  lastDrill?: { at: string; outcome: 'match' | 'mismatch' };
}
export interface RevealedKey { key: KeyView; keyText: string }
export interface Copied { clearsAfterSeconds: number }

/** A KV secret as the window may show it without a reveal: names, fingerprints, versions; never values. */
export interface VaultKvSecretView {
  path: string;
  version: number;
  createdTime: string | null;
  fields: Array<{ name: string; fingerprint: string }>;
  versions: Array<{ version: number; createdTime: string | null; deletionTime: string | null; destroyed: boolean }>;
}
/** `vault setup`: one step of the plan against the cluster (paths and settings only; never a token). */
export interface VaultSetupStepView {
  id: 'audit' | 'kv' | 'approle-auth' | 'policy' | 'role' | 'revoke-token';
  target: string;
  state: 'present' | 'missing' | 'different' | 'conflict' | 'skipped';
  summary: string;
  differences: string[];
}
export interface VaultSetupDiffView {
  app: string;
  steps: VaultSetupStepView[];
  changes: number;
  conflicts: number;
  missingCapabilities: Array<{ path: string; capability: string }>;
}
export interface VaultSetupReportView extends VaultSetupDiffView {
  results: Array<{ id: VaultSetupStepView['id']; target: string; outcome: 'unchanged' | 'applied' | 'failed' | 'not-run' | 'skipped'; detail?: string }>;
  changed: boolean;
  tokenRevoked: boolean;
}
export interface VaultProfileView { name: string; addresses: string[]; caCert?: string; caPath?: string; clientCert?: string; clientKey?: string; tlsServerName?: string }
export interface VaultNodeView {
  addr: string;
  reachable: boolean;
  /** What went wrong with this node, in words; `errorHint` says what to do (for TLS: a profile with the CA). */
  error?: string;
  errorCode?: string;
  errorHint?: string;
  initialized?: boolean;
  sealed?: boolean;
  threshold?: number;
  shares?: number;
  progress?: number;
  version?: string;
  clusterName?: string;
  /** 'active' | 'standby' | 'standalone'; absent while the node is sealed (it has no HA role then). */
  haMode?: string;
  isLeader?: boolean;
  storageType?: string;
}
export interface NodeProgress {
  addr: string;
  sealed: boolean | null;
  progress: number;
  threshold: number;
  /** A Raft follower that gets the shares once another node is unsealed (it reports "not initialised" until then). */
  joining?: boolean;
  /** What went wrong with this node, in words (never a raw server message). */
  error?: string;
  errorCode?: string;
}
export interface UnsealView {
  ceremonyId: string;
  /** Shares accepted in this ceremony so far, and how many are needed. */
  submitted: number;
  threshold: number;
  nodes: NodeProgress[];
  done: boolean;
}
/** One secret of a hand-out as the holders see it, without the secret. */
export interface HandoutItemView {
  label: string;
  kind: 'share' | 'root-token';
  /** 1-based number among the shares (the root token is not counted as a share). */
  shareNumber?: number;
  handedOut: boolean;
}
export interface HandoutView {
  items: HandoutItemView[];
  /** Index of the item whose holder is next, or -1 once every item is handed out. */
  next: number;
  shareCount: number;
  /** Shares (and token) are PGP messages, base64. */
  encrypted: boolean;
  /** The exact phrase that abandons the hand-out: it names the holders who have not received their secret. */
  abandonPhrase: string;
}
/** The answer to handoutReveal: the one secret for the holder in front of the screen. */
export interface HandoutSecret { index: number; label: string; kind: 'share' | 'root-token'; secret: string; encrypted: boolean }
export type CeremonyKind = 'init' | 'unseal' | 'rekey' | 'generate-root';
/**
 * A ceremony open in main. collect: holders give shares; handout: new secrets go out one holder at a time;
 * verify (rekey): holders of the new shares prove them.
 */
export interface CeremonySummary {
  ceremonyId: string;
  kind: CeremonyKind;
  stage: 'collect' | 'handout' | 'verify';
  target: { addrs: string[]; profile?: string };
  startedAt: string;
  progress: number;
  required: number;
  fingerprint?: string;
  nonce?: string;
  handout?: HandoutView;
  /** unseal only: where every node stands. */
  unseal?: UnsealView;
}
export interface HandoutProgress {
  /** The ceremony, still open (a rekey moves on to verification); absent once it ended. */
  ceremony?: CeremonySummary;
  finished: boolean;
}
export interface NonceCeremonyView {
  ceremonyId: string;
  operation: 'rekey' | 'generate-root';
  /** handout: the new shares (rekey) or token (generate-root) go out one holder at a time (handoutReveal). */
  stage: 'collect' | 'handout' | 'verify';
  nonce: string;
  /** Short fingerprint of (operation, nonce, parameters) every holder confirms before typing a share. */
  fingerprint: string;
  progress: number;
  required: number;
  complete: boolean;
  handout?: HandoutView;
}
export interface ServerView { name: string; url: string; identity: string; serverId: string; added: string }
export interface ProbeView { url: string; identity: string; serverId: string; state: 'locked' | 'unlocked' }
export interface ServerStatusView {
  name: string;
  url: string;
  reachable: boolean;
  state?: 'locked' | 'unlocked';
  serverId?: string;
  bootId?: string;
  expectedKeyIds?: string[];
  /** Unlocked: the installed key ids, current first. */
  installedKeyIds?: string[];
  /** The application's count of tokens under non-current keys (protocol §12.12); null: not reported. */
  tokensUnderPrevious?: number | null;
  error?: ErrorView;
}
export interface PushResultView {
  server: string;
  ok: boolean;
  /** rekeyed: the server was unlocked with another key set, which the push replaced in place (protocol §12.12). */
  outcome: 'unlocked' | 'rekeyed' | 'already-unlocked' | 'refused' | 'failed';
  keyIds: string[];
  /** rekeyed: installed keys the push retired. */
  retired?: string[];
  /** The receiver's signed receipt, verified against its pinned identity and kept in the receipt log. */
  receipt?: { serverId: string; bootId: string; keyIds: string[]; time: string };
  /** Pushed anyway, but worth the officer's attention (an older key made the current key on purpose). */
  warnings?: string[];
  /** A key-order refusal has `details.newest_key`: the screen then offers the documented override. */
  error?: ErrorView;
  /** With a Vault login (§12.13): delivered, or why not (VAULT_SEALED, VAULT_WRAP_USED, …) and what to do. */
  vaultLogin?: { role: string; delivered: boolean; state: string; hint?: string };
}
/** One server's lock: `locked` (it was `wasState` before; its boot `bootId` ended), or why not. */
export interface LockResultView {
  server: string;
  ok: boolean;
  outcome: 'locked' | 'refused' | 'failed';
  wasState?: 'locked' | 'unlocked';
  bootId?: string;
  /** When the receiver's signed lock receipt says it locked (verified, kept in the receipt log). */
  lockedAt?: string;
  error?: ErrorView;
}
/** `server accept-identity`: the pin moved along `links` verified hand-overs (changed), or nothing changed. */
export interface AcceptedIdentityView { server: string; oldIdentity: string; newIdentity: string; links: number; changed: boolean }
/** A hand-over or revocation, with where each pinned server stands (refused: final, with the receiver's code). */
export interface StatementView {
  id: string;
  type: 'handover' | 'revocation';
  signer: string;
  /** handover: the new identity; revocation: the revoked one. */
  subject: string;
  label?: string;
  created: string;
  servers: Array<{ server: string; state: 'pending' | 'acknowledged' | 'refused'; code?: string; at?: string }>;
}
/** One statement sent to one server now: applied (or already applied), or why not. */
export interface DeliveryView { server: string; statement: string; type: 'handover' | 'revocation'; ok: boolean; applied?: boolean; error?: ErrorView }
export interface IdentityStatusView {
  fingerprint: string;
  /** The line for a receiver's authorized-custodians file. */
  line: string;
  /** The previous identity, kept in the keychain while some server has not acknowledged the hand-over. */
  retired?: string;
  /** Statements some pinned server has not acknowledged yet, oldest first. */
  pending: StatementView[];
}
export interface RotationView {
  oldIdentity: string;
  newIdentity: string;
  /** The new identity's authorized-custodians line, with the label. */
  line: string;
  statement: StatementView;
  deliveries: DeliveryView[];
  oldForgotten: boolean;
}
export interface RevocationView { revoked: string; revokesSelf: boolean; statement: StatementView; deliveries: DeliveryView[] }

/** How this machine confirms the OS user's presence: Touch ID (macOS), else the local unlock passphrase. */
export interface PresenceView {
  method: 'touch-id' | 'passphrase';
  /** Whether an unlock passphrase has been chosen (needed wherever the method is 'passphrase'). */
  passphraseSet: boolean;
  /** Wait before the next passphrase attempt after too many wrong ones (0: none). */
  retryAfterSeconds: number;
}
/** The lock, kept in main: a reloaded window asks for it and shows the lock screen if locked. */
export interface SessionState {
  locked: boolean;
  presence: PresenceView;
  /** Ceremonies and hand-outs open in main (closing the window asks first while this is above 0). */
  openCeremonies: number;
}
export interface PresenceConfirmed { validForSeconds: number }

/** One change the watchers in main saw. */
export interface WatchEvent {
  at: string;
  kind: 'server-locked' | 'server-unlocked' | 'node-sealed' | 'node-unsealed';
  /** Server name, or node address. */
  subject: string;
  /** The saved Vault profile the node belongs to. */
  profile?: string;
  message: string;
}
/** What main's watchers last saw (servers, nodes of every saved Vault profile) and what changed. */
export interface WatchState {
  /** Goes up with every completed check. */
  revision: number;
  checkedAt?: string;
  intervalSeconds: number;
  /** Absent until the first check completes. */
  servers?: ServerStatusView[];
  serversError?: ErrorView;
  vault: Array<{ profile: string; nodes?: VaultNodeView[]; error?: ErrorView }>;
  /** Newest first. */
  history: WatchEvent[];
  /** Locked servers plus sealed nodes right now (the badge count). */
  attention: number;
}
// ---- backup (issue 8 section 6) ----
/**
 * A SLIP-39 hand-out held in main: the shares stay there, and the renderer fetches one holder's words at a time.
 * A holder is 'waiting' until their words were shown, 'shown' until they typed back the two words main picked,
 * then 'confirmed'. `current` is the holder whose turn it is (absent once every holder confirmed).
 */
export interface BackupHandoutView {
  handoutId: string;
  keyId: string;
  keyName: string;
  threshold: number;
  total: number;
  passphraseProtected: boolean;
  /** `sheet`: the holder's sheet was saved as a PDF (counts as handed out on paper). */
  holders: Array<{ index: number; name: string; state: 'waiting' | 'shown' | 'confirmed'; sheet: boolean }>;
  current?: number;
  /** Once the current holder's words were shown: the two 1-based word positions they must type back. */
  check?: { index: number; positions: number[] };
  /** Where sheets were saved so far (directory and file names), if any. */
  sheets: string[];
  started: string;
}
/** One holder's share, fetched for the holder in front of the screen. SECRET: drop it from the window at once. */
export interface HolderWords { index: number; name: string; words: string[] }
export type SavedSheets = { saved: false } | { saved: true; directory: string; files: string[] };
export interface HandoutEnded { confirmed: number; missing: string[]; backedUp: boolean }
/** A restore or drill held in main: shares are checked as they arrive; the renderer sees only counts. */
export interface RestoreView {
  restoreId: string;
  mode: 'restore' | 'drill';
  /** restore: the name the key will get. */
  name?: string;
  /** drill: the key the shares must recombine to. */
  key?: { id: string; name: string };
  accepted: number;
  /** Known once the first share arrived (its header says T). */
  threshold?: number;
  missing?: number;
  complete: boolean;
  /** Share numbers (k of n) accepted so far: public, printed on each sheet. */
  shareNumbers: number[];
}
export interface RestoreOutcome { mode: 'restore' | 'drill'; outcome: 'restored' | 'match'; key: KeyView }
export interface AgeRecipientView { recipient: string }
export type SavedFile = { saved: false } | { saved: true; path: string; recipients: string[]; keys?: string[] };
export type AgeImported = { imported: false } | { imported: true; key: KeyView };
export type StateRestored = { restored: false } | {
  restored: true;
  files: string[];
  signingIdentity: string | null;
  ageRecipient: string | null;
  keys: string[];
  keysNotInKeychain: string[];
  previousHome: string | null;
};
// ---- end backup ----

/** One audit entry as stored (docs/audit.md): seq, time, by, action, outcome, and the action's own fields. */
export interface AuditEntryView {
  seq: number;
  time: string;
  action: string;
  outcome: 'ok' | 'error';
  by?: { user?: string; host?: string; custodian?: string; source?: string };
  [field: string]: unknown;
}
export interface AuditLogView { entries: AuditEntryView[] }
/** `custodian audit verify --json`: `failure` names the first entry that fails and why. */
export interface AuditVerifyView {
  ok: boolean;
  entries: number;
  checkpointSize: number | null;
  keychainSize: number | null;
  root: string | null;
  failure: { entry: number | null; reason: string; detail: string } | null;
  warnings: string[];
}
export type AuditExported = { saved: false } | { saved: true; directory: string; files: string[]; size: number; entry: number };

export interface Responses {
  appInfo: AppInfo;
  getSettings: Settings;
  saveSettings: Settings;
  listKeys: KeyView[];
  generateKey: KeyView;
  importKey: KeyView;
  deleteKey: KeyView;
  revealKey: RevealedKey;
  copyKey: Copied;
  copyText: Copied;
  vaultProfiles: VaultProfileView[];
  vaultStatus: VaultNodeView[];
  unsealBegin: UnsealView;
  unsealSubmit: UnsealView;
  unsealView: UnsealView;
  unsealReset: UnsealView;
  unsealEnd: Record<string, never>;
  vaultInit: CeremonySummary;
  rekeyBegin: NonceCeremonyView;
  rekeySubmit: NonceCeremonyView;
  rekeyCancel: Record<string, never>;
  generateRootBegin: NonceCeremonyView;
  generateRootSubmit: NonceCeremonyView;
  generateRootCancel: Record<string, never>;
  vaultCeremonies: CeremonySummary[];
  handoutReveal: HandoutSecret;
  handoutConfirm: HandoutProgress;
  handoutAbandon: Record<string, never>;
  listServers: ServerView[];
  probeServer: ProbeView;
  addServer: ServerView;
  removeServer: ServerView;
  serverStatus: ServerStatusView[];
  pushKey: PushResultView[];
  sessionState: SessionState;
  lock: SessionState;
  unlock: SessionState;
  confirmPresence: PresenceConfirmed;
  setUnlockPassphrase: SessionState;
  watchState: WatchState;
  // ---- backup (issue 8 section 6) ----
  backupWords: string[];
  backupHandouts: BackupHandoutView[];
  backupSplitBegin: BackupHandoutView;
  backupHandoutView: BackupHandoutView;
  backupHandoutWords: HolderWords;
  backupHandoutConfirm: BackupHandoutView;
  backupHandoutSaveSheets: SavedSheets;
  backupHandoutEnd: HandoutEnded;
  restoreBegin: RestoreView;
  restoreView: RestoreView;
  restoreAddShare: RestoreView;
  restoreFinish: RestoreOutcome;
  restoreCancel: Record<string, never>;
  ageRecipient: AgeRecipientView;
  ageExport: SavedFile;
  ageImport: AgeImported;
  stateBackup: SavedFile;
  stateRestore: StateRestored;
  // ---- end backup ----
  vaultProfileSave: VaultProfileView[];
  vaultProfileDelete: VaultProfileView[];
  vaultSeal: VaultNodeOperationView[];
  vaultStepDown: { address: string };
  fernetEncrypt: FernetEncrypted;
  fernetDecrypt: FernetDecrypted;
  fernetRotate: FernetRotated;
  lockServers: LockResultView[];
  acceptServerIdentity: AcceptedIdentityView;
  identityStatus: IdentityStatusView;
  rotateIdentity: RotationView;
  revokeCustodian: RevocationView;
  resendStatements: { deliveries: DeliveryView[]; status: IdentityStatusView };
  vaultKvList: { keys: string[] };
  vaultKvGet: VaultKvSecretView;
  vaultKvReveal: { field: string; version: number; value: string; clearsAfterSeconds: number };
  vaultKvPut: { version: number; fields: string[]; kept: string[]; generated: string[] };
  vaultKvDelete: { versions: number[] };
  vaultSetupPlan: VaultSetupDiffView;
  vaultSetupApply: VaultSetupReportView;
  rotationKeys: RotationKeysView;
  rotationStatus: RotationStatusView;
  rotationBegin: RotationBegun;
  rotationPush: PushResultView[];
  rotationFinish: RotationFinished;
  rotationAbort: RotationAborted;
  auditLog: AuditLogView;
  auditVerify: AuditVerifyView;
  auditExport: AuditExported;
}

// ---- key rotation (docs/rotation.md): key ids, server names, counts and dates; never key material ----
export interface OpenRotationView {
  oldKeyId: string;
  newKeyId: string;
  started: string;
  /** When the grace period for re-encryption ends. */
  graceEnd: string;
  servers: string[];
  vaultKv?: { mount: string; path: string; profile?: string; version: number };
}
export interface RotationRecordView { oldKeyId: string; newKeyId: string; started: string; ended: string; outcome: 'finished' | 'aborted'; forced?: boolean }
/** One key's age in days and rotation state; `overdue`: older than the interval and not retired. */
export interface KeyAgeView { id: string; ageDays: number; state: 'current' | 'previous' | 'retired' | null; overdue: boolean }
export interface RotationKeysView { intervalDays: number; open: OpenRotationView | null; keys: KeyAgeView[] }
/** One covered server as its signed status shows it for the open rotation; `blocker`: why finish cannot take it yet. */
export interface RotationServerRowView {
  server: string;
  reachable: boolean;
  state: 'locked' | 'unlocked' | null;
  keyChecks: string[];
  installedKeyIds: string[];
  acceptsNew: boolean;
  newIsCurrent: boolean;
  /** Tokens the application still holds under the previous key; null: not reported. */
  tokensUnderPrevious: number | null;
  done: boolean;
  blocker?: ErrorView;
  error?: ErrorView;
}
export interface RotationVaultView {
  mount: string;
  path: string;
  version: number;
  currentKeyId: string | null;
  previousKeyId: string | null;
  currentKeyMatches: boolean;
  previousKeyEmpty: boolean;
  rotationDate: string | null;
}
export interface RotationStatusView {
  open: OpenRotationView | null;
  intervalDays: number;
  graceDaysLeft: number | null;
  servers: RotationServerRowView[];
  notAccepting: string[];
  ready: boolean;
  vault: RotationVaultView | null;
  vaultError: ErrorView | null;
  last: RotationRecordView | null;
}
export interface RotationBegun extends RotationStatusView {
  generated: boolean;
  oldKey: { id: string; name: string };
  newKey: { id: string; name: string };
  warnings: string[];
}
export interface RotationFinished {
  oldKeyId: string;
  newKeyId: string;
  rekeyed: Array<{ server: string; ok: boolean; installedKeyIds?: string[]; error?: ErrorView }>;
  skipped: string[];
  vaultVersion: number | null;
  forced: boolean;
  warnings: string[];
}
export interface RotationAborted { oldKeyId: string; newKeyId: string; vaultVersion: number | null; warnings: string[] }

// ---- Fernet on files ----
/** A key named in a Fernet file summary: its id and name, never its bytes. */
export interface FernetKeyUsed { id: string; name: string }
/** What main read and wrote: the paths chosen in its dialogs and the sizes in bytes (never the contents). */
export interface FernetFileWritten { input: string; output: string; inputBytes: number; outputBytes: number }
/** `saved: false`: a dialog was cancelled and nothing was written. */
export type FernetEncrypted = { saved: false } | (FernetFileWritten & { saved: true; key: FernetKeyUsed });
/** `decryptedBy`: the key that opened the token; `created`: the time written in the token. */
export type FernetDecrypted = { saved: false } | (FernetFileWritten & { saved: true; decryptedBy: FernetKeyUsed; created: string });
/** `key`: the key the tokens are now under; `decryptedBy`: which key opened how many of them. */
export type FernetRotated = { saved: false } | (FernetFileWritten & {
  saved: true;
  key: FernetKeyUsed;
  tokens: number;
  decryptedBy: Array<FernetKeyUsed & { tokens: number }>;
});

/** One node's outcome of a seal: sealed (or already was), or why not (a standby cannot be sealed through the API). */
export interface VaultNodeOperationView { address: string; ok: boolean; error?: { code: string; message: string } }

/** What the renderer sees of a failure: a stable code, a sentence, what to do next. Never a secret. */
export interface ErrorView { code: string; message: string; hint?: string; details?: Record<string, unknown> }
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorView };

/** The shape of `window.custodian`: one named function per action, nothing else. */
export type CustodianApi = { [A in ActionName]: (request: RequestOf<A>) => Promise<Result<Responses[A]>> };

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}
