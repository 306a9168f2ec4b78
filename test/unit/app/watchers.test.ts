/**
 * The watchers in main, with a fake clock and scripted probes: a server that turns locked (also through an
 * unreachable restart) notifies once; a server first seen locked does not; a node that turns sealed notifies;
 * the badge follows what needs the officer; the interval is re-read from the settings; history is capped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServerStatusView, VaultNodeView } from '../../../src-shared/contract.js';
import { HISTORY_LIMIT, Watchers, type WatchClock } from '../../../src-main/app/watchers.js';

class FakeClock implements WatchClock {
  time = Date.parse('2026-12-01T00:00:00Z');
  timers: Array<{ at: number; callback: () => void; id: number }> = [];
  private next = 1;
  now(): number { return this.time; }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.push({ at: this.time + ms, callback, id });
    return id;
  }
  clearTimeout(handle: unknown): void { this.timers = this.timers.filter((t) => t.id !== handle); }
  /** Moves time on and fires what is due, letting each check finish. */
  async advance(ms: number): Promise<void> {
    this.time += ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= this.time);
      if (due.length === 0) break;
      this.timers = this.timers.filter((t) => t.at > this.time);
      for (const timer of due) timer.callback();
      await settle();
    }
  }
}
const settle = async (): Promise<void> => { for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve)); };

const server = (name: string, state: 'locked' | 'unlocked' | undefined): ServerStatusView => (
  state ? { name, url: `http://127.0.0.1/${name}`, reachable: true, state } : { name, url: `http://127.0.0.1/${name}`, reachable: false }
);
const node = (addr: string, sealed: boolean | undefined): VaultNodeView => (
  sealed === undefined ? { addr, reachable: false } : { addr, reachable: true, initialized: true, sealed }
);

function setup() {
  const clock = new FakeClock();
  let servers: ServerStatusView[] = [];
  let nodes: VaultNodeView[] = [];
  let interval = 10;
  const notes: Array<{ title: string; body: string }> = [];
  const badges: number[] = [];
  const watchers = new Watchers({
    servers: async () => servers,
    profiles: async () => ['prod'],
    vaultStatus: async () => nodes,
    intervalSeconds: async () => interval,
    notify: (title, body) => notes.push({ title, body }),
    badge: (count) => badges.push(count),
    clock,
  });
  return {
    clock, watchers, notes, badges,
    set: (next: { servers?: ServerStatusView[]; nodes?: VaultNodeView[]; interval?: number }) => {
      if (next.servers) servers = next.servers;
      if (next.nodes) nodes = next.nodes;
      if (next.interval) interval = next.interval;
    },
  };
}

test('a server that turns locked notifies once, even when it was unreachable while restarting', async () => {
  const { clock, watchers, notes, set } = setup();
  set({ servers: [server('app-1', 'unlocked'), server('app-2', 'locked')] });
  watchers.start();
  await settle();
  assert.equal(watchers.state().revision, 1);
  assert.deepEqual(notes, [], 'app-2 was first seen locked: no alert (it may never have been unlocked)');
  set({ servers: [server('app-1', undefined), server('app-2', 'locked')] });
  await clock.advance(10_000);
  assert.deepEqual(notes, []);
  set({ servers: [server('app-1', 'locked'), server('app-2', 'locked')] });
  await clock.advance(10_000);
  assert.deepEqual(notes, [{ title: 'Server locked', body: 'app-1 is locked: it restarted and waits for its data key.' }]);
  await clock.advance(10_000);
  assert.equal(notes.length, 1, 'still locked: no second alert');
  set({ servers: [server('app-1', 'unlocked'), server('app-2', 'locked')] });
  await clock.advance(10_000);
  const kinds = watchers.state().history.map((e) => `${e.kind} ${e.subject}`);
  assert.deepEqual(kinds, ['server-unlocked app-1', 'server-locked app-1'], 'newest first');
  assert.equal(watchers.state().revision, 5);
  watchers.stop();
  await clock.advance(60_000);
  assert.equal(watchers.state().revision, 5, 'stopped: no more checks');
});

test('a Vault node that turns sealed notifies; the badge counts locked servers and sealed nodes', async () => {
  const { clock, watchers, notes, badges, set } = setup();
  set({ servers: [server('app-1', 'unlocked')], nodes: [node('https://v1:8200', false), node('https://v2:8200', false)] });
  watchers.start();
  await settle();
  assert.deepEqual(badges, [0]);
  set({ nodes: [node('https://v1:8200', true), node('https://v2:8200', false)] });
  await clock.advance(10_000);
  assert.deepEqual(notes, [{ title: 'Vault node sealed', body: 'https://v1:8200 (prod) is sealed: it needs its unseal shares.' }]);
  assert.deepEqual(badges, [0, 1]);
  set({ servers: [server('app-1', 'locked')] });
  await clock.advance(10_000);
  assert.deepEqual(badges, [0, 1, 2], 'the badge is only set when the count changes');
  const state = watchers.state();
  assert.equal(state.attention, 2);
  assert.deepEqual(state.vault[0]?.nodes?.map((n) => n.sealed), [true, false]);
  assert.equal(state.checkedAt, new Date(clock.time).toISOString());
  watchers.stop();
});

test('the interval is re-read before each wait; refresh checks at once; a failing probe is reported, not fatal', async () => {
  const { clock, watchers, set } = setup();
  set({ interval: 30 });
  watchers.start();
  await settle();
  await clock.advance(29_000);
  assert.equal(watchers.state().revision, 1);
  await clock.advance(1_000);
  assert.equal(watchers.state().revision, 2);
  assert.equal(watchers.state().intervalSeconds, 30);
  set({ interval: 2 });
  watchers.refresh();
  await settle();
  assert.equal(watchers.state().revision, 3);
  await clock.advance(2_000);
  assert.equal(watchers.state().revision, 4);
  assert.equal(clock.timers.length, 1, 'one pending wait, never a pile of them');
  watchers.stop();

  const failing = new Watchers({
    servers: async () => { throw new Error('boom'); },
    profiles: async () => ['prod'],
    vaultStatus: async () => { throw new Error('tls'); },
    intervalSeconds: async () => 10,
    notify: () => {},
    badge: () => {},
    clock: new FakeClock(),
  });
  await failing.checkNow();
  const state = failing.state();
  assert.equal(state.serversError?.code, 'INTERNAL');
  assert.doesNotMatch(JSON.stringify(state), /boom|tls/, 'unexpected errors are not echoed');
  assert.equal(state.vault[0]?.error?.code, 'INTERNAL');
});

test('history is capped', async () => {
  const { watchers, set } = setup();
  for (let i = 0; i < HISTORY_LIMIT + 20; i++) {
    set({ servers: [server('app-1', i % 2 === 0 ? 'unlocked' : 'locked')] });
    await watchers.checkNow();
  }
  assert.equal(watchers.state().history.length, HISTORY_LIMIT);
});
