import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CustodianError } from '../../core/errors.js';
import { applySetup, defaultPlan, dryRunSetup, parsePlan, type PlannedStep, type SetupPlan, type StepResult } from '../../core/vault/setup/index.js';
import { commandHelp as help, type Output } from '../io.js';
import type { CommandContext } from '../main.js';
import { withConnection, type ConnectionFlags } from './vault.js';
import { withPromptedToken } from './vault-kv.js';

interface SetupFlags extends ConnectionFlags {
  app: string;
  plan?: string;
  dryRun?: boolean;
  keepToken?: boolean;
}

/** `custodian vault setup`: day-one hardening of a cluster for one application (docs/vault-setup.md). */
export function registerVaultSetupCommand(vault: Command, context: CommandContext): void {
  withConnection(vault.command('setup'), true)
    .description('bring a cluster to the day-one plan for an app: audit device, KV v2, read-only policy, AppRole role; revoke the token used')
    .requiredOption('--app <name>', 'the application (names the policy and the AppRole role), e.g. mail-helper')
    .option('--plan <file>', 'a JSON plan file (fields in docs/vault-setup.md; unknown fields are refused)')
    .option('--dry-run', 'show the difference between the plan and the cluster; change nothing')
    .option('--keep-token', 'do not revoke the token used at the end')
    .addHelpText('after', help([
      'VAULT_TOKEN=… custodian vault setup --profile prod --app mail-helper --dry-run',
      'custodian vault setup --profile prod --app mail-helper --token-file - < root-token',
      'custodian --json vault setup --profile prod --app mail-helper --plan plan.json --keep-token',
    ], `Steps, in order: a file audit device (checked to be writing), KV v2 at secret/, AppRole auth, the policy NAME
(read-only on secret/data/NAME/* and secret/metadata/NAME/*), the AppRole role NAME (single-use SecretIDs,
short TTLs), and last the revocation of the token used (unless --keep-token). Each step is first shown as
present, missing, different or conflict; only the difference is applied, so a second run changes nothing.
The token comes from VAULT_TOKEN, --token-file FILE (- for stdin) or a hidden prompt on a terminal.
OpenBao 2.4 refuses to enable audit devices through the API: setup then stops before any change and prints
the configuration stanza to add. After the root token is revoked, make a new one with \`vault generate-root\`.`))
    .action(async (flags: SetupFlags) => {
      const output = context.output();
      // The plan is read and checked before anything is contacted (or a token asked for).
      const plan = flags.plan ? parsePlan(await readPlan(flags.plan), flags.app) : defaultPlan(flags.app);
      await withPromptedToken(context, flags, output, async (cluster) => {
        const audit = cluster.audit;
        if (flags.dryRun) {
          const diff = await dryRunSetup(cluster, plan, { keepToken: Boolean(flags.keepToken), ...(audit ? { audit } : {}) });
          output.result({ dry_run: true, ...diff });
          printDiff(output, plan, diff.steps);
          if (diff.missingCapabilities.length > 0) {
            output.line(`The token would lack: ${diff.missingCapabilities.map((m) => `${m.capability} on ${m.path}`).join('; ')}.`);
          }
          output.line(diff.changes === 0 ? 'Dry run: nothing to change.' : `Dry run: ${diff.changes} step${diff.changes === 1 ? '' : 's'} would change the cluster; nothing was changed.`);
          if (diff.conflicts > 0) {
            throw new CustodianError('VAULT_SETUP_CONFLICT', `${diff.conflicts} step${diff.conflicts === 1 ? '' : 's'} conflict with the cluster (see above); setup would change nothing.`, {
              hint: 'Choose another mount or audit path in the plan, or fix the cluster by hand.', details: { steps: diff.steps },
            });
          }
          return;
        }
        let shown = false;
        const report = await applySetup(cluster, plan, {
          keepToken: Boolean(flags.keepToken),
          ...(audit ? { audit } : {}),
          onStep: (result) => {
            if (output.json) return;
            if (!shown) {
              output.note('Applying:');
              shown = true;
            }
            output.note(`  ${formatResult(result)}`);
          },
        });
        output.result({ dry_run: false, ...report });
        printDiff(output, plan, report.steps);
        output.line('Result per step:');
        for (const result of report.results) output.line(`  ${formatResult(result)}`);
        output.line(report.changed ? `Setup for ${plan.app} applied.` : `Setup for ${plan.app}: the cluster already matched the plan; nothing changed.`);
        output.line(report.tokenRevoked
          ? 'The token used is revoked. For later work make a new one with `custodian vault generate-root` and revoke it when done.'
          : 'The token used was kept (--keep-token): revoke it when done.');
      });
    });
}

function printDiff(output: Output, plan: SetupPlan, steps: PlannedStep[]): void {
  output.line(`Plan for ${plan.app}:`);
  for (const step of steps) {
    output.line(`  ${step.id.padEnd(13)} ${step.state.toUpperCase().padEnd(9)} ${step.summary}`);
    for (const difference of step.differences) output.line(`      - ${difference}`);
  }
}

function formatResult(result: StepResult): string {
  const text = `${result.id.padEnd(13)} ${result.outcome}`;
  if (result.error) return `${text}: ${result.error.code} ${result.error.message}`;
  return result.detail ? `${text}: ${result.detail}` : text;
}

async function readPlan(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new CustodianError('VAULT_SETUP_PLAN_INVALID', `Cannot read the plan file ${file}.`, { hint: 'Check the path and its permissions.' });
  }
}
