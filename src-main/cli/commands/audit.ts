import type { Command } from 'commander';
import { exportAudit, parseEntries, proveConsistency, proveEntry, readSnapshot, signedCheckpoint, verifySnapshot, type VerifyReport } from '../../core/audit/index.js';
import { CustodianError } from '../../core/errors.js';
import { custodianHome } from '../../core/paths.js';
import type { CommandContext } from '../main.js';
import { commandHelp as help } from '../io.js';

/** `custodian audit …`: read, verify and export the signed audit log (docs/audit.md). Reading records nothing. */
export function registerAuditCommands(program: Command, context: CommandContext): void {
  // cliSecrets lives beside the age input code: imported when a command runs, so `--help` loads no age library.
  const snapshot = async () => readSnapshot(custodianHome(context.io.env), (await import('./backup-age-input.js')).cliSecrets(context));
  const audit = program
    .command('audit')
    .description('the tamper-evident audit log: every action as an entry of a Merkle tree, each append signed as a checkpoint (key in the OS keychain)')
    .addHelpText('after', help(['custodian audit log --since 2026-12-01 --action vault', 'custodian audit verify', 'custodian audit export --out ./audit-2026-12']));

  audit
    .command('log')
    .description('print the entries (oldest first): time, action, outcome, who; with --json all fields')
    .option('--since <time>', 'only entries at or after this time (ISO 8601, e.g. 2026-12-01 or 2026-12-01T08:00Z)')
    .option('--action <action>', 'only this action or its sub-actions (e.g. "vault" matches vault.unseal, vault.init, ...)')
    .addHelpText('after', help(['custodian audit log', 'custodian audit log --action push --since 2026-12-01', 'custodian --json audit log   # {"entries": [{"seq": 0, "time": "...", "action": "...", ...}]}']))
    .action(async (options: { since?: string; action?: string }) => {
      const output = context.output();
      const since = options.since === undefined ? undefined : parseTime(options.since);
      const entries = parseEntries((await snapshot()).lines, { ...(since ? { since } : {}), ...(options.action ? { action: options.action } : {}) });
      output.result({ entries });
      for (const entry of entries) {
        const { seq, time, action, outcome, by, prev: _prev, ...rest } = entry as Record<string, unknown>;
        const who = by as { user?: string; host?: string; source?: string } | undefined;
        const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
        output.line(`${String(seq).padStart(5)} ${String(time)} ${String(action)} ${String(outcome)} ${who ? `${who.user}@${who.host} (${who.source})` : ''} ${fields}`.trimEnd());
      }
    });

  audit
    .command('verify')
    .description('recompute the tree, check the checkpoint signatures and the OS keychain\'s checkpoint; exit 8 naming the first failing entry and why')
    .addHelpText('after', help(['custodian audit verify', 'custodian --json audit verify   # {"ok": true, "entries": 42, "checkpointSize": 42, "keychainSize": 42, "warnings": []}'],
      'Reasons: edited, missing, reordered, truncated, rolled-back, torn, foreign-key, no-checkpoint. Warnings (a torn tail\n'
      + 'from a crash, a lagging keychain checkpoint, a restarted log) do not fail verification.'))
    .action(async () => {
      const output = context.output();
      const report = verifySnapshot(await snapshot());
      if (!report.ok) throw verifyFailed(report);
      output.result({ ...report });
      output.line(`OK: ${report.entries} entries; checkpoint ${report.checkpointSize ?? 0}, keychain checkpoint ${report.keychainSize ?? 0}; root ${report.root ?? '-'}`);
      for (const warning of report.warnings) output.note(`warning: ${warning}`);
    });

  audit
    .command('checkpoint')
    .description('print the latest signed checkpoint (C2SP tlog-checkpoint as a signed note)')
    .addHelpText('after', help(['custodian audit checkpoint > checkpoint.txt']))
    .action(async () => {
      const output = context.output();
      const checkpoint = signedCheckpoint(await snapshot());
      output.result({ origin: checkpoint.origin, size: checkpoint.size, root: checkpoint.root.toString('base64'), note: checkpoint.note });
      if (!output.json) context.io.stdout.write(checkpoint.note);
    });

  audit
    .command('verifier-key')
    .description('print the note verifier key (<name>+<hex key hash>+<base64 key>, as Go\'s golang.org/x/mod/sumdb/note reads it)')
    .addHelpText('after', help(['custodian audit verifier-key > verifier-key.txt']))
    .action(async () => {
      const output = context.output();
      const { signer } = await snapshot();
      if (!signer) throw new CustodianError('AUDIT_VERIFY_FAILED', 'This keychain holds no audit key yet: nothing has been recorded.', { hint: 'The key is created with the first recorded action.' });
      output.result({ name: signer.name, verifierKey: signer.verifierKey });
      output.line(signer.verifierKey);
    });

  audit
    .command('prove')
    .description('RFC 9162 inclusion proof of one entry in the signed tree, as JSON')
    .argument('<entry>', 'the entry\'s number (its "seq")')
    .option('--size <n>', 'prove against the tree of this size (default: the latest checkpoint\'s)')
    .addHelpText('after', help(['custodian audit prove 17', 'custodian audit prove 17 --size 20']))
    .action(async (entry: string, options: { size?: string }) => {
      const proof = proveEntry(await snapshot(), parseCount(entry, 'entry'), options.size === undefined ? undefined : parseCount(options.size, '--size'));
      context.io.stdout.write(`${JSON.stringify(proof)}\n`);
    });

  audit
    .command('consistency')
    .description('RFC 9162 consistency proof from the tree of OLD_SIZE to the latest checkpoint\'s tree, as JSON')
    .argument('<old_size>', 'the size of an earlier checkpoint you hold')
    .addHelpText('after', help(['custodian audit consistency 10']))
    .action(async (oldSize: string) => {
      context.io.stdout.write(`${JSON.stringify(proveConsistency(await snapshot(), parseCount(oldSize, 'OLD_SIZE')))}\n`);
    });

  audit
    .command('export')
    .description('write what an auditor needs into a new directory: log.jsonl, checkpoint.txt, verifier-key.txt, inclusion.json, consistency.json, verify.json')
    .requiredOption('--out <dir>', 'a new (or empty) directory; nothing is overwritten')
    .option('--entry <n>', 'export one entry (e.g. a ceremony transcript) with its inclusion proof instead of the whole log')
    .option('--consistency-from <size>', 'old tree size for consistency.json (default: half the log)')
    .addHelpText('after', help(['custodian audit export --out ./audit-2026-12', 'custodian audit export --out ./unseal-transcript --entry 41'],
      'Check an export with the Go program in test/interop/audit-go (docs/audit.md).'))
    .action(async (options: { out: string; entry?: string; consistencyFrom?: string }) => {
      const output = context.output();
      const result = await exportAudit(await snapshot(), options.out, {
        ...(options.entry === undefined ? {} : { entry: parseCount(options.entry, '--entry') }),
        ...(options.consistencyFrom === undefined ? {} : { oldSize: parseCount(options.consistencyFrom, '--consistency-from') }),
      });
      output.result({ ...result });
      output.line(`Exported ${options.entry === undefined ? `${result.size} entries` : `entry ${result.entry}`} to ${result.dir}: ${result.files.join(', ')}`);
    });
}

function verifyFailed(report: VerifyReport): CustodianError {
  const failure = report.failure!;
  const where = failure.entry === null ? '' : ` at entry ${failure.entry}`;
  return new CustodianError('AUDIT_VERIFY_FAILED', `The audit log failed verification${where}: ${failure.reason} (${failure.detail}).`, {
    hint: 'Keep a copy of the custodian home as it is now, compare with an earlier `custodian audit export`, and find out who had access (docs/audit.md).',
    details: { ...report },
  });
}

function parseCount(text: string, what: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new CustodianError('USAGE', `${what} must be a whole number.`, { hint: 'Entries are numbered from 0 (see `custodian audit log`).' });
  return Number(text);
}

function parseTime(text: string): Date {
  const time = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(time)) throw new CustodianError('USAGE', '--since must be an ISO 8601 date or time.', { hint: 'For example 2026-12-01 or 2026-12-01T08:00:00Z.' });
  return new Date(time);
}
