export { addDays, daysBetween, parseDays, MAX_DAYS } from './days.js';
export { checkDeletable, checkNotInstalled, keyAges, type KeyAge } from './key-ages.js';
export { tokensUnderPrevious, viewServer, type RotationServerView } from './server-view.js';
export {
  DEFAULT_GRACE_DAYS, DEFAULT_INTERVAL_DAYS, ROTATION_FILE, emptyRotationState, rotationFile,
  type KeyRotationState, type OpenRotation, type RotationRecord, type RotationState, type VaultKvLink,
} from './state.js';
export { parseKvTarget, readEntrySummary, type EntrySummary } from './vault-entry.js';
export {
  RotationWorkflow, type BeginOptions, type BeginResult, type FinishResult, type RekeyOutcome, type RekeyServers,
  type RotationDeps, type RotationOverview, type WithVault,
} from './workflow.js';
