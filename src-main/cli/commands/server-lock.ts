import type { Command } from 'commander';
import { CustodianError, type ErrorCode } from '../../core/errors.js';
import { lockServers, type LockResult } from '../../core/push/index.js';
import type { CommandContext } from '../main.js';
import { commandHelp as help } from '../io.js';
import { CONCURRENCY_FLAG, TIMEOUT_FLAG, audit, contactOptions, custodianIdentity, prepareServers, receipts, servers, type ContactFlags } from './push-context.js';

/** `custodian server lock`: the incident lever (docs/protocol.md §12.4): receivers wipe their keys and relock. */
export function registerServerLockCommands(server: Command, context: CommandContext): void {
  server
    .command('lock')
    .description('lock servers now: each wipes its keys and starts a new locked boot (signed, bound to its current boot); until the next push the app answers 503 "locked"')
    .argument('[names...]', 'server names')
    .option('--all', 'every pinned server')
    .option(...TIMEOUT_FLAG)
    .option(...CONCURRENCY_FLAG)
    .addHelpText('after', help([
      'custodian server lock app-1 app-2',
      'custodian server lock --all                 # suspected key compromise: lock everything, then rotate and push',
      'custodian --json server lock --all          # {"ok": true, "results": [{"server": "app-1", "outcome": "locked", ...}]}',
    ], 'Each lock receipt (signed by the server) is kept in receipts.jsonl and audited (`server.lock`) as soon as that server answered.'))
    .action(async (names: string[], options: { all?: boolean } & ContactFlags) => {
      const output = context.output();
      if (Boolean(options.all) === (names.length > 0)) {
        throw new CustodianError('USAGE', 'Choose the servers: NAME... or --all (not both).', { hint: 'See `custodian server list`.' });
      }
      const contact = contactOptions(options);
      const chosen = await servers(context).select(names, Boolean(options.all));
      const signer = await custodianIdentity(context);
      const results = await lockServers({
        servers: chosen, signer, receipts: receipts(context), audit: audit(context), ...contact,
        prepare: prepareServers(context, signer, contact),
        onResult: (result) => output.line(lockLine(result)),
      });
      const ok = results.every((r) => r.ok);
      output.result({ ok, results });
      if (!ok) {
        const failed = results.filter((r) => !r.ok);
        const codes = new Set(failed.map((r) => r.error!.code));
        const code: ErrorCode = codes.size === 1 ? [...codes][0]! : 'PUSH_REFUSED';
        throw new CustodianError(code, `${failed.length} of ${results.length} server(s) were not locked: ${failed.map((r) => r.server).join(', ')}.`, {
          hint: 'See the line of each server above. A server you cannot reach may still hold the key: stop it or cut it off another way.',
        });
      }
    });
}

function lockLine(result: LockResult): string {
  if (result.ok) return `${result.server}  locked  (was ${result.wasState}, boot ${result.bootId} ended)`;
  return `${result.server}  ${result.outcome}  [${result.error?.code}] ${result.error?.message}${result.error?.hint ? `\n  hint: ${result.error.hint}` : ''}`;
}
