// mapBounded (src-main/core/push/bounded.ts): at most `limit` items work at once, an item still running after
// slowAfterMs makes room for the next without counting against `limit`, maxInFlight bounds them all, results keep
// the input order, and the defaults follow the open-files limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CONCURRENCY, MAX_CONCURRENCY, MAX_IN_FLIGHT_DEFAULT, inFlightFor, mapBounded, mapServers } from '../../../src-main/core/push/bounded.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('mapBounded', () => {
  it('keeps the input order and never runs more than `limit` fast items at once', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapBounded(Array.from({ length: 40 }, (_, i) => i), 4, async (n) => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(n % 3);
      running -= 1;
      return n * 2;
    }, { slowAfterMs: 5_000 });
    assert.deepEqual(results, Array.from({ length: 40 }, (_, i) => i * 2));
    assert.equal(peak, 4);
    assert.deepEqual(await mapBounded([], 4, async () => 1), []);
  });

  it('slow items make room: 10 slow items and a limit of 4 do not hold up 30 fast ones', async () => {
    const started = Date.now();
    const finished = new Map<number, number>();
    let inFlight = 0;
    let peakInFlight = 0;
    const items = Array.from({ length: 40 }, (_, i) => i);
    // The first 10 are "slow servers" (2 s each); with a plain bound of 4 the fast ones would wait ~5 s for slots.
    await mapBounded(items, 4, async (n) => {
      inFlight += 1;
      peakInFlight = Math.max(peakInFlight, inFlight);
      await sleep(n < 10 ? 2_000 : 5);
      inFlight -= 1;
      finished.set(n, Date.now() - started);
    }, { slowAfterMs: 50, maxInFlight: 100 });
    const lastFast = Math.max(...items.filter((n) => n >= 10).map((n) => finished.get(n)!));
    assert.ok(lastFast < 1_000, `the fast items finished after ${lastFast} ms, before the slow ones (2 s)`);
    assert.ok(peakInFlight >= 10 && peakInFlight <= 14, `in flight at most: ${peakInFlight}`);
  });

  it('maxInFlight bounds slow items too (sockets are file descriptors)', async () => {
    let inFlight = 0;
    let peak = 0;
    await mapBounded(Array.from({ length: 12 }, (_, i) => i), 2, async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await sleep(60);
      inFlight -= 1;
    }, { slowAfterMs: 1, maxInFlight: 5 });
    assert.equal(peak, 5);
  });

  it('mapServers: an explicit concurrency is a hard bound even for slow items; unset, slow items make room', async () => {
    const peakOf = async (concurrency: number | undefined) => {
      let inFlight = 0;
      let peak = 0;
      await mapServers(Array.from({ length: 6 }, (_, i) => i), concurrency, async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await sleep(1_300); // longer than SLOW_AFTER_MS
        inFlight -= 1;
      });
      return peak;
    };
    assert.equal(await peakOf(2), 2);
    assert.equal(await peakOf(undefined), 6);
  });

  it('a throwing item rejects the whole map (work must return failures as results)', async () => {
    await assert.rejects(mapBounded([1, 2, 3], 2, async (n) => { if (n === 2) throw new Error('boom'); return n; }), /boom/);
  });

  it('defaults: 128 working, a quarter of the open-files limit in flight (32 to 1,024)', () => {
    assert.equal(DEFAULT_CONCURRENCY, 128);
    assert.equal(inFlightFor(256), 64);
    assert.equal(inFlightFor(64), 32);
    assert.equal(inFlightFor(1024), 256);
    assert.equal(inFlightFor(1_048_576), MAX_CONCURRENCY);
    assert.ok(MAX_IN_FLIGHT_DEFAULT >= 32 && MAX_IN_FLIGHT_DEFAULT <= MAX_CONCURRENCY);
  });
});
