/**
 * When a watched thing "turns": the one rule shared by the desktop watcher (src-main/app/watchers.ts) and
 * `custodian server watch`. Only answers that carry a state are fed in (an unreachable server is skipped, so a
 * server that goes unlocked -> unreachable (restarting) -> locked still turns locked). The first state seen is
 * remembered but is not a turn: a server first seen locked may never have been unlocked by this officer.
 */
export class StateTurns<S extends string> {
  private readonly seen = new Map<string, S>();

  /** Records `state` for `subject`; returns it when it differs from the state seen before, else undefined. */
  see(subject: string, state: S): S | undefined {
    const before = this.seen.get(subject);
    this.seen.set(subject, state);
    return before === undefined || before === state ? undefined : state;
  }

  /** The last state seen, if any. */
  last(subject: string): S | undefined {
    return this.seen.get(subject);
  }

  /** Forgets subjects that are no longer watched (a removed server that comes back starts fresh). */
  retain(subjects: Iterable<string>): void {
    const keep = new Set(subjects);
    for (const subject of [...this.seen.keys()]) if (!keep.has(subject)) this.seen.delete(subject);
  }
}
