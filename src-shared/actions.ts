/**
 * The names of every action the renderer may ask the main process for, and the IPC channel each one uses.
 * Kept free of imports so the sandboxed preload can bundle it without pulling in zod: the preload exposes
 * exactly these names and nothing else (test/security/electron-preload.test.ts checks it).
 */
export const ACTIONS = [
  'appInfo',
  'getSettings',
  'saveSettings',
  'listKeys',
  'generateKey',
  'importKey',
  'deleteKey',
  'revealKey',
  'copyKey',
  'copyText',
  'vaultProfiles',
  'vaultStatus',
  'unsealBegin',
  'unsealSubmit',
  'unsealView',
  'unsealReset',
  'unsealEnd',
  'vaultInit',
  'rekeyBegin',
  'rekeySubmit',
  'rekeyCancel',
  'generateRootBegin',
  'generateRootSubmit',
  'generateRootCancel',
  'vaultCeremonies',
  'handoutReveal',
  'handoutConfirm',
  'handoutAbandon',
  'listServers',
  'probeServer',
  'addServer',
  'removeServer',
  'serverStatus',
  'pushKey',
  'sessionState',
  'lock',
  'unlock',
  'confirmPresence',
  'setUnlockPassphrase',
  'watchState',
  // ---- backup (issue 8 section 6): SLIP-39 hand-out, restore wizard and drills, age files, state backup ----
  'backupWords',
  'backupHandouts',
  'backupSplitBegin',
  'backupHandoutView',
  'backupHandoutWords',
  'backupHandoutConfirm',
  'backupHandoutSaveSheets',
  'backupHandoutEnd',
  'restoreBegin',
  'restoreView',
  'restoreAddShare',
  'restoreFinish',
  'restoreCancel',
  'ageRecipient',
  'ageExport',
  'ageImport',
  'stateBackup',
  'stateRestore',
  // ---- end backup ----
  // Vault parity with the CLI (issue 9 §3): profiles, seal, step-down.
  'vaultProfileSave',
  'vaultProfileDelete',
  'vaultSeal',
  'vaultStepDown',
  // Fernet on files, as `custodian fernet encrypt|decrypt|rotate` (issue 9 §3).
  'fernetEncrypt',
  'fernetDecrypt',
  'fernetRotate',
  // Incident response and the custodian life cycle, as `custodian server lock|accept-identity` and
  // `custodian identity show|rotate|revoke` (issue 10 §2).
  'lockServers',
  'acceptServerIdentity',
  'identityStatus',
  'rotateIdentity',
  'revokeCustodian',
  'resendStatements',
  // Vault KV v2 application secrets, as `custodian vault kv` (issue 11 §5).
  'vaultKvList',
  'vaultKvGet',
  'vaultKvReveal',
  'vaultKvPut',
  'vaultKvDelete',
  // Day-one Vault setup for an application, as `custodian vault setup` (issue 12 §1).
  'vaultSetupPlan',
  'vaultSetupApply',
  // Key rotation with the servers and Vault KV in step, as `custodian rotate begin|status|push|finish|abort`
  // (issue 11 §5); rotationKeys is the key list's and Dashboard's read of rotation.json (no server contacted).
  'rotationKeys',
  'rotationStatus',
  'rotationBegin',
  'rotationPush',
  'rotationFinish',
  'rotationAbort',
  // The signed audit log (issue 13 §3), as `custodian audit log|verify|export`.
  'auditLog',
  'auditVerify',
  'auditExport',
] as const;

export type ActionName = (typeof ACTIONS)[number];

const CHANNEL_PREFIX = 'custodian:';

export function channelOf(action: ActionName): string {
  return `${CHANNEL_PREFIX}${action}`;
}

/** The action for a channel name, or undefined when the channel is not part of the contract. */
export function actionOfChannel(channel: unknown): ActionName | undefined {
  if (typeof channel !== 'string' || !channel.startsWith(CHANNEL_PREFIX)) return undefined;
  const name = channel.slice(CHANNEL_PREFIX.length);
  return (ACTIONS as readonly string[]).includes(name) ? (name as ActionName) : undefined;
}
