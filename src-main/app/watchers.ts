/**
 * Watchers in main: server status (the core push module) and Vault seal status (every saved Vault profile),
 * polled at the Settings interval whatever screen is open and while the app is locked. A server that turns
 * locked (it restarted, after a deploy) or a Vault node that turns sealed raises a desktop notification and
 * the badge; every change goes into a short history the renderer reads with `watchState`, so the Dashboard shows
 * the last known state at once.
 *
 * "Turns": the last state the watcher *saw* (reachable answers only). A server that goes unlocked ->
 * unreachable (restarting) -> locked still alerts; a server first seen locked does not (it may never have been
 * unlocked by this officer).
 *
 * Everything it touches is injected (probes, notify, badge, clock), so unit tests drive it with a fake clock.
 */
import type { ErrorView, ServerStatusView, VaultNodeView, WatchEvent, WatchState } from '../../src-shared/contract.js';
import { StateTurns } from '../core/monitor/turns.js';
import { toErrorView } from './dispatch.js';

export interface WatchClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: WatchClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    timer.unref?.();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface WatcherDeps {
  servers(): Promise<ServerStatusView[]>;
  /** Names of the saved Vault profiles to watch. */
  profiles(): Promise<string[]>;
  vaultStatus(profile: string): Promise<VaultNodeView[]>;
  intervalSeconds(): Promise<number>;
  notify(title: string, body: string): void;
  /** Number of things that need the officer now (locked servers, sealed nodes); 0 clears the badge. */
  badge(count: number): void;
  clock?: WatchClock;
}

export const HISTORY_LIMIT = 200;

export class Watchers {
  private readonly clock: WatchClock;
  private timer: unknown;
  private running = false;
  private checking: Promise<void> | undefined;
  private revision = 0;
  private checkedAt: string | undefined;
  private intervalSeconds = 10;
  private servers: ServerStatusView[] | undefined;
  private serversError: ErrorView | undefined;
  private vault: WatchState['vault'] = [];
  private history: WatchEvent[] = [];
  /** Last state seen per server name / per "profile addr" node: the "turns" rule of the core (also `custodian server watch`). */
  private readonly seenServers = new StateTurns<'locked' | 'unlocked'>();
  private readonly seenNodes = new StateTurns<'sealed' | 'unsealed'>();
  private lastBadge: number | undefined;

  constructor(private readonly deps: WatcherDeps) {
    this.clock = deps.clock ?? systemClock;
  }

  /** Checks now, then every interval (re-read from the settings before each wait). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.cycle();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One check (shared if one is already under way). */
  checkNow(): Promise<void> {
    this.checking ??= this.check().finally(() => { this.checking = undefined; });
    return this.checking;
  }

  /** Checks now and restarts the wait (settings changed, a server was added). */
  refresh(): void {
    if (!this.running) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    void this.cycle();
  }

  state(): WatchState {
    return {
      revision: this.revision,
      ...(this.checkedAt ? { checkedAt: this.checkedAt } : {}),
      intervalSeconds: this.intervalSeconds,
      ...(this.servers ? { servers: this.servers } : {}),
      ...(this.serversError ? { serversError: this.serversError } : {}),
      vault: this.vault,
      history: this.history,
      attention: this.attention(),
    };
  }

  private async cycle(): Promise<void> {
    await this.checkNow();
    if (!this.running || this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.cycle();
    }, this.intervalSeconds * 1000);
  }

  private async check(): Promise<void> {
    try {
      this.intervalSeconds = await this.deps.intervalSeconds();
    } catch {
      // keep the last interval: an unreadable settings file must not stop the watch
    }
    const [servers, vault] = await Promise.all([this.checkServers(), this.checkVault()]);
    this.servers = servers.statuses;
    this.serversError = servers.error;
    this.vault = vault;
    this.checkedAt = new Date(this.clock.now()).toISOString();
    this.revision += 1;
    const count = this.attention();
    if (count !== this.lastBadge) {
      this.lastBadge = count;
      this.deps.badge(count);
    }
  }

  private async checkServers(): Promise<{ statuses?: ServerStatusView[]; error?: ErrorView }> {
    let statuses: ServerStatusView[];
    try {
      statuses = await this.deps.servers();
    } catch (error) {
      return { error: toErrorView(error) };
    }
    for (const status of statuses) {
      if (!status.reachable || !status.state) continue;
      const turned = this.seenServers.see(status.name, status.state);
      if (turned === undefined) continue;
      if (turned === 'locked') {
        const message = `${status.name} is locked: it restarted and waits for its data key.`;
        this.record({ kind: 'server-locked', subject: status.name, message });
        this.deps.notify('Server locked', message);
      } else {
        this.record({ kind: 'server-unlocked', subject: status.name, message: `${status.name} is unlocked.` });
      }
    }
    this.seenServers.retain(statuses.map((s) => s.name));
    return { statuses };
  }

  private async checkVault(): Promise<WatchState['vault']> {
    let profiles: string[];
    try {
      profiles = await this.deps.profiles();
    } catch (error) {
      return [{ profile: '', error: toErrorView(error) }];
    }
    return Promise.all(profiles.map(async (profile) => {
      try {
        const nodes = await this.deps.vaultStatus(profile);
        for (const node of nodes) this.sawNode(profile, node);
        return { profile, nodes };
      } catch (error) {
        return { profile, error: toErrorView(error) };
      }
    }));
  }

  private sawNode(profile: string, node: VaultNodeView): void {
    if (!node.reachable || node.sealed === undefined || node.initialized === false) return;
    const key = `${profile} ${node.addr}`;
    const now = node.sealed ? 'sealed' : 'unsealed';
    if (this.seenNodes.see(key, now) === undefined) return;
    if (now === 'sealed') {
      const message = `${node.addr} (${profile}) is sealed: it needs its unseal shares.`;
      this.record({ kind: 'node-sealed', subject: node.addr, profile, message });
      this.deps.notify('Vault node sealed', message);
    } else {
      this.record({ kind: 'node-unsealed', subject: node.addr, profile, message: `${node.addr} (${profile}) is unsealed.` });
    }
  }

  private record(event: Omit<WatchEvent, 'at'>): void {
    this.history = [{ at: new Date(this.clock.now()).toISOString(), ...event }, ...this.history].slice(0, HISTORY_LIMIT);
  }

  private attention(): number {
    const servers = (this.servers ?? []).filter((s) => s.reachable && s.state === 'locked').length;
    const nodes = this.vault.reduce((sum, entry) => sum + (entry.nodes ?? []).filter((n) => n.reachable && n.initialized !== false && n.sealed === true).length, 0);
    return servers + nodes;
  }
}
