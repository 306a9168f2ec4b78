/**
 * How many receivers are contacted at once (§12.9), and why (docs/benchmarks.md, fleet).
 *
 * Two bounds, because a server in a push either works or waits. All the custodian's CPU work for a server
 * (verify status, HPKE seal, sign, verify receipt) runs on the one JS thread, one server after the other; a
 * server answering in milliseconds needs its slot only briefly. A slow or dead server holds a socket for up to
 * the request deadline (10 s) twice (status, unlock). With one bound of 32 for both, 50 slow servers held every
 * slot and delayed 900 healthy ones by ~9 s; with everything in flight at once, nothing is recorded until the
 * very end of a big push (every status is fetched first) and the queue in front of the JS thread grows with
 * the fleet.
 *
 * So by default DEFAULT_CONCURRENCY servers run at once; a server still running after SLOW_AFTER_MS gives its
 * slot to the next one and keeps waiting outside that limit. Only the file descriptors
 * bound those (MAX_IN_FLIGHT_DEFAULT: a quarter of the open-files limit, at most MAX_CONCURRENCY), so slow and
 * dead servers cannot starve the healthy ones, and a healthy server's result is recorded soon after it answered.
 * An explicit --concurrency stays a hard bound on connections (mapServers).
 */
import { readFileSync } from 'node:fs';

/** Servers working at once by default (the --concurrency default). */
export const DEFAULT_CONCURRENCY = 128;
/** Upper limit of servers in flight (--concurrency and the descriptor bound). */
export const MAX_CONCURRENCY = 1024;
/** A server still running after this long stops holding one of the `limit` slots. */
export const SLOW_AFTER_MS = 1000;

/** Servers in flight (working or waiting) at most: a quarter of the open-files limit, 32 to MAX_CONCURRENCY. */
export const MAX_IN_FLIGHT_DEFAULT = inFlightFor(openFilesLimit());

/** The in-flight bound for an open-files (soft) limit: the rest is for files, the keychain, the app. */
export function inFlightFor(openFiles: number): number {
  return Math.max(32, Math.min(MAX_CONCURRENCY, Math.floor(openFiles / 4)));
}

/**
 * The soft open-files limit. Node raises it to the hard limit at start-up on POSIX; Linux shows it in
 * /proc/self/limits. Elsewhere (macOS, Windows) 1,024 is assumed, i.e. 256 in flight.
 */
function openFilesLimit(): number {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (match) return match[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(match[1]);
  } catch {
    // not Linux
  }
  return 1024;
}

/**
 * The policy above for contacting servers: with `concurrency` unset, DEFAULT_CONCURRENCY working and slow ones
 * making room (up to the descriptor bound); an explicit `concurrency` (--concurrency) is a hard bound on
 * connections, as the officer asked (e.g. for a firewall's connection limit).
 */
export function mapServers<T, R>(items: readonly T[], concurrency: number | undefined, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  return concurrency === undefined
    ? mapBounded(items, DEFAULT_CONCURRENCY, work)
    : mapBounded(items, concurrency, work, { maxInFlight: concurrency });
}

export interface BoundOptions {
  /** Servers in flight at most, slow ones included (default MAX_IN_FLIGHT_DEFAULT, never below `limit`). */
  maxInFlight?: number;
  /** After this long a running item gives its slot to the next (default SLOW_AFTER_MS). */
  slowAfterMs?: number;
}

/**
 * Maps `items` through `work`, starting an item whenever fewer than `limit` run that have run for less than
 * `slowAfterMs`, and fewer than `maxInFlight` run in all; results keep the input order. `work` must not throw
 * (each server's failure is a result, not an exception), so one item never stops the others.
 */
export function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>, options: BoundOptions = {}): Promise<R[]> {
  const slots = Math.max(1, limit);
  const maxInFlight = Math.max(slots, options.maxInFlight ?? MAX_IN_FLIGHT_DEFAULT);
  const slowAfterMs = options.slowAfterMs ?? SLOW_AFTER_MS;
  const results = new Array<R>(items.length);
  return new Promise<R[]>((resolve, reject) => {
    let next = 0;
    let working = 0;
    let inFlight = 0;
    let done = 0;
    let failed = false;
    const pump = () => {
      while (!failed && next < items.length && working < slots && inFlight < maxInFlight) start(next++);
      if (done === items.length) resolve(results);
    };
    const start = (index: number) => {
      working += 1;
      inFlight += 1;
      let holdsSlot = true;
      const slow = setTimeout(() => {
        holdsSlot = false;
        working -= 1;
        pump();
      }, slowAfterMs);
      work(items[index]!, index).then((result) => {
        results[index] = result;
        clearTimeout(slow);
        if (holdsSlot) working -= 1;
        inFlight -= 1;
        done += 1;
        pump();
      }, (error: unknown) => {
        clearTimeout(slow);
        failed = true;
        reject(error);
      });
    };
    pump();
  });
}
