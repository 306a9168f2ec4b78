import { CustodianError } from '../errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Longest accepted duration: a week (a watch is meant to be bounded; longer is surely a typo). */
export const MAX_DURATION_MS = 7 * 24 * 3_600_000;

/**
 * Parses a duration as written on a command line: `90s`, `5m`, `1.5h`, `500ms`, or a bare number of seconds.
 * Anything else is a usage error naming the flag (never quoting the value, as for every CLI error).
 */
export function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] ?? 's']! : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_DURATION_MS) {
    throw new CustodianError('USAGE', `${flag} takes a duration such as 90s, 5m or 1h (at most a week).`, {
      hint: `Write a number followed by ms, s, m or h, e.g. ${flag} 2m.`,
    });
  }
  return Math.round(ms);
}
