import { CustodianError } from '../errors.js';

/** Longest accepted period: ten years (a rotation interval or grace period longer than that is surely a typo). */
export const MAX_DAYS = 3650;
const DAY_MS = 86_400_000;

/**
 * Parses a period in whole days as written on a command line: `30d`, `12w`, `90` (days). Anything else is a usage
 * error naming the flag or setting (the value is not quoted back, as for every CLI error).
 */
export function parseDays(text: string, what: string): number {
  const match = /^(\d{1,5})([dw])?$/.exec(text.trim());
  const days = match ? Number(match[1]) * (match[2] === 'w' ? 7 : 1) : Number.NaN;
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new CustodianError('USAGE', `${what} takes a number of days such as 30d, 12w or 90 (1 day to 10 years).`, {
      hint: `Write a whole number followed by d (days) or w (weeks), e.g. ${what} 30d.`,
    });
  }
  return days;
}

export function addDays(start: Date, days: number): Date {
  return new Date(start.getTime() + days * DAY_MS);
}

/** Whole days from `from` to `to`, rounded down; negative when `to` is earlier. */
export function daysBetween(from: Date, to: Date): number {
  return Math.floor((to.getTime() - from.getTime()) / DAY_MS);
}
