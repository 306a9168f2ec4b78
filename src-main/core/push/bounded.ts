/**
 * How many receivers are contacted at once (§12.9), and why (docs/benchmarks.md, fleet).
 *
 * The bound is on servers IN FLIGHT (each holds one socket, so one file descriptor, while it waits for a
 * receiver), not on CPU work: all the custodian's CPU work (verify status, HPKE seal, sign, verify receipt) runs
 * on the one JS thread anyway, one server after the other, so a bound cannot make it faster, only make servers
 * queue behind each other's network waits. A slow or dead server holds its slot for up to the request deadline
 * (10 s) twice (status, unlock); with a bound of 32, 50 such servers held every slot and delayed 900 healthy ones
 * by ~9 s. With the bound far above the number of slow servers, the healthy ones never wait for a slot.
 *
 * So the default is as high as descriptors allow: a quarter of the process's open-files limit (the rest is for
 * files, the keychain, the app), at least 32, and at most MAX_CONCURRENCY. The upper cap keeps the deadline
 * honest: every request's deadline runs while it waits for the JS thread, and 1,024 servers x ~3 ms of CPU each
 * is ~3 s of queueing, well inside the 10 s deadline (a much larger bound would let a request time out while its
 * answer already sat in a socket).
 */
import { readFileSync } from 'node:fs';

/** Upper limit of servers in flight (default and --concurrency). */
export const MAX_CONCURRENCY = 1024;
const MIN_DEFAULT = 32;

/** Servers in flight by default: a quarter of the open-files limit, between 32 and MAX_CONCURRENCY. */
export const DEFAULT_CONCURRENCY = concurrencyFor(openFilesLimit());

/** The in-flight bound for an open-files (soft) limit. */
export function concurrencyFor(openFiles: number): number {
  return Math.max(MIN_DEFAULT, Math.min(MAX_CONCURRENCY, Math.floor(openFiles / 4)));
}

/**
 * The soft open-files limit. Node raises it to the hard limit at start-up on POSIX; Linux shows it in
 * /proc/self/limits. Elsewhere (macOS, Windows) the common default of 256 x 4 is assumed, i.e. a bound of 256.
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
 * Maps `items` through `work` with at most `limit` calls running at once; results keep the input order. `work`
 * must not throw (each server's failure is a result, not an exception), so one item never stops the others.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
