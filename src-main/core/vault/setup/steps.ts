/** The steps of `vault setup`, in the order they are applied (audit first, so that the rest is in Vault's log). */
export const STEP_IDS = ['audit', 'kv', 'approle-auth', 'policy', 'role', 'revoke-token'] as const;
export type StepId = typeof STEP_IDS[number];

/**
 * What the cluster has against the plan: present (nothing to do), missing (will be created), different (will be
 * brought to the plan), conflict (exists but cannot be changed in place: setup refuses before changing anything),
 * skipped (--keep-token).
 */
export type StepState = 'present' | 'missing' | 'different' | 'conflict' | 'skipped';

export interface PlannedStep {
  id: StepId;
  /** The Vault path the step is about, e.g. "sys/policies/acl/mail-helper". */
  target: string;
  state: StepState;
  /** One line saying what the plan wants. */
  summary: string;
  /** For different/conflict: each difference, worded for the officer (e.g. "grants more than the plan: update on …"). */
  differences: string[];
}

export type StepOutcome = 'unchanged' | 'applied' | 'failed' | 'not-run' | 'skipped';

export interface StepResult {
  id: StepId;
  target: string;
  outcome: StepOutcome;
  /** What was done or checked (e.g. how the audit device was seen writing). */
  detail?: string;
  error?: { code: string; message: string };
}

/** A capability the token lacks on a path (from sys/capabilities-self). "create|update" means either will do. */
export interface MissingCapability {
  path: string;
  capability: string;
  step: StepId | 'inspect';
}
