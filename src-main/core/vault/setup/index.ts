// `custodian vault setup`: declarative, idempotent day-one hardening of a cluster for one application.
export { parsePlan, defaultPlan, planAsFile, checkAppName, formatDuration, DEFAULT_AUDIT_FILE, LIMITS, APP_NAME } from './plan.js';
export type { SetupPlan, PlanFile } from './plan.js';
export { renderPolicy, parsePolicy, comparePolicy } from './policy.js';
export { compareRole, roleBody } from './inspect.js';
export { diffSetup, dryRunSetup, applySetup } from './setup.js';
export type { SetupDiff, SetupReport, SetupOptions } from './setup.js';
export { STEP_IDS } from './steps.js';
export type { StepId, StepState, PlannedStep, StepOutcome, StepResult, MissingCapability } from './steps.js';
