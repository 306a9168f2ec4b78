/** Default number of receivers contacted at once (§12.9): enough for a fleet, few enough for one laptop's sockets. */
export const DEFAULT_CONCURRENCY = 32;

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
