/**
 * Counters for `GET {base}/metrics` (docs/protocol.md §12.7), in the Prometheus text format 0.0.4. Nothing in
 * them is secret: the server id, the receiver's public fingerprint, the state, the boot time and counts by
 * error code, so an alert can fire when unlocks start failing.
 */
import type { ReceiverErrorCode } from './errors.js';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export class ReceiverMetrics {
  unlocks = 0;
  locks = 0;
  statements = 0;
  rekeys = 0;
  readonly refused = new Map<ReceiverErrorCode, number>();

  refuse(code: ReceiverErrorCode): void {
    this.refused.set(code, (this.refused.get(code) ?? 0) + 1);
  }

  render(info: { serverId: string; identity: string; protocol: string; unlocked: boolean; bootTime: number }): string {
    // Label values are a server id (A-Za-z0-9._-), a fingerprint (b64u) and a fixed string: nothing to escape.
    const lines = [
      '# HELP custodian_receiver_info The receiver\'s server id, identity fingerprint and protocol.',
      '# TYPE custodian_receiver_info gauge',
      `custodian_receiver_info{server_id="${info.serverId}",identity="${info.identity}",protocol="${info.protocol}"} 1`,
      '# HELP custodian_receiver_unlocked 1 while the data key is installed, 0 while locked.',
      '# TYPE custodian_receiver_unlocked gauge',
      `custodian_receiver_unlocked ${info.unlocked ? 1 : 0}`,
      '# HELP custodian_receiver_boot_time_seconds When the current boot (lock state) began, Unix seconds.',
      '# TYPE custodian_receiver_boot_time_seconds gauge',
      `custodian_receiver_boot_time_seconds ${info.bootTime}`,
      '# HELP custodian_receiver_unlocks_total Accepted unlock requests.',
      '# TYPE custodian_receiver_unlocks_total counter',
      `custodian_receiver_unlocks_total ${this.unlocks}`,
      '# HELP custodian_receiver_locks_total Locks (remote lock requests and local lock() calls).',
      '# TYPE custodian_receiver_locks_total counter',
      `custodian_receiver_locks_total ${this.locks}`,
      '# HELP custodian_receiver_statements_total Custodian statements applied.',
      '# TYPE custodian_receiver_statements_total counter',
      `custodian_receiver_statements_total ${this.statements}`,
      '# HELP custodian_receiver_rekeys_total Accepted rekey requests (key set replaced while unlocked).',
      '# TYPE custodian_receiver_rekeys_total counter',
      `custodian_receiver_rekeys_total ${this.rekeys}`,
      '# HELP custodian_receiver_refused_total Refused unlock, lock and statement requests by error code.',
      '# TYPE custodian_receiver_refused_total counter',
      ...[...this.refused.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([code, n]) => `custodian_receiver_refused_total{code="${code}"} ${n}`),
    ];
    return `${lines.join('\n')}\n`;
  }
}
