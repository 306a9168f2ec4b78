import type { Command } from 'commander';
import { CustodianError } from '../../core/errors.js';
import { pushKeys, statusOf } from '../../core/push/index.js';
import { custodianHome } from '../../core/paths.js';
import {
  parseDays, rotationFile, RotationWorkflow, type RekeyServers, type RotationOverview, type RotationServerView, type WithVault,
} from '../../core/rotation/index.js';
import { commandHelp as help, type Output } from '../io.js';
import type { CommandContext } from '../main.js';
import { openCliKeyStore } from './key.js';
import { CONCURRENCY_FLAG, TIMEOUT_FLAG, audit, contactOptions, custodianIdentity, prepareServers, receipts, servers, type ContactFlags } from './push-context.js';
import { withCluster, withConnection, type ConnectionFlags } from './vault.js';
import { isInteractive, readHiddenLine, readSecretSource } from './vault-input.js';
import { rekeyServers } from './rotate-rekey.js';

type Flags = ConnectionFlags & ContactFlags;

/** `custodian rotate ...`: the guided key rotation of docs/rotation.md. */
export function registerRotateCommands(program: Command, context: CommandContext): void {
  const rotate = program.command('rotate')
    .description('rotate a data key end to end: begin, push both keys, re-encrypt on the servers, finish (or abort); keeps a Vault KV entry in step')
    .addHelpText('after', help([
      'custodian rotate begin --key mail-data --vault-kv secret/mail-helper/encryption --profile prod',
      'custodian rotate push            # both keys to every server of the rotation (again after a restart)',
      'custodian rotate status',
      'custodian rotate finish',
    ], 'See docs/rotation.md for the runbook.'));

  const command = (name: string): Command => withConnection(rotate.command(name), true)
    .option(...TIMEOUT_FLAG).option(...CONCURRENCY_FLAG);

  command('begin')
    .description('start a rotation: generate the new key (or take --new), refuse without a backup of it, record the rotation, write the Vault KV entry; prints the id each server must accept')
    .requiredOption('--key <key>', 'the key in use now (id, unique id prefix or name)')
    .option('--new <key>', 'rotate to this existing key instead of generating one')
    .option('--name <name>', 'name of the generated key (default: the old name and today\'s date)')
    .option('--grace <days>', 'grace period for re-encryption, e.g. 30d or 4w (default 30d)')
    .option('--server <name...>', 'the pinned servers this rotation covers (default: all)')
    .option('--vault-kv <mount/path>', 'keep this KV v2 entry in step, e.g. secret/mail-helper/encryption')
    .option('--no-backup-check', 'start even though the new key has no backup (warns)')
    .addHelpText('after', help([
      'custodian rotate begin --key mail-data --no-backup-check           # generates mail-data-YYYY-MM-DD',
      'custodian rotate begin --key mail-data --new mail-data-2027 --grace 4w --vault-kv secret/mail-helper/encryption --profile prod',
    ], 'A generated key has no backup yet: begin stops after generating it (ROTATION_BACKUP_MISSING) and says how to\nback it up and go on with --new. The Vault token comes from VAULT_TOKEN, --token-file or a hidden prompt.'))
    .action(async (flags: Flags & { key: string; new?: string; name?: string; grace?: string; server?: string[]; vaultKv?: string; backupCheck?: boolean }) => {
      const output = context.output();
      const graceDays = flags.grace === undefined ? undefined : parseDays(flags.grace, '--grace');
      if (flags.new && flags.name) throw new CustodianError('USAGE', '--new takes an existing key; --name names a generated one: give one of them.');
      await withWorkflow(context, flags, output, Boolean(flags.vaultKv), async (workflow) => {
        const result = await workflow.begin({
          key: flags.key, ...(flags.new ? { newKey: flags.new } : {}), ...(flags.name ? { name: flags.name } : {}),
          ...(graceDays ? { graceDays } : {}), ...(flags.vaultKv ? { vaultKv: flags.vaultKv } : {}), ...(flags.profile ? { profile: flags.profile } : {}),
          ...(flags.server?.length ? { servers: flags.server } : {}), noBackupCheck: flags.backupCheck === false,
        });
        for (const warning of result.warnings) output.note(`warning: ${warning}`);
        output.result({ ...overviewJson(result), generated: result.generated, oldKey: result.oldKey, newKey: result.newKey, warnings: result.warnings });
        output.line(`Rotation started: ${result.oldKey.id} ("${result.oldKey.name}") -> ${result.newKey.id} ("${result.newKey.name}")${result.generated ? ' (generated)' : ''}.`);
        output.line(`Every server must accept ${result.newKey.id}: deploy it as the first --key-check, before ${result.oldKey.id}.`);
        printOverview(output, result);
        output.line('Next: `custodian rotate push` (both keys), re-encrypt on each server, `custodian rotate status`, `custodian rotate finish`.');
      });
    });

  command('status')
    .description('the open rotation: per server installed keys, accepts the new key, tokens under the previous key, grace days left; what the Vault KV entry holds (ids and date, never key text)')
    .option('--no-vault', 'do not read the Vault KV entry')
    .addHelpText('after', help(['custodian rotate status', 'custodian --json rotate status --profile prod']))
    .action(async (flags: Flags & { vault?: boolean }) => {
      const output = context.output();
      await withWorkflow(context, flags, output, false, async (workflow) => {
        const overview = await workflow.status({ vault: flags.vault !== false });
        output.result(overviewJson(overview));
        if (!overview.open) {
          output.line(`No rotation open. Rotation interval: ${overview.intervalDays} days.`);
          if (overview.last) output.line(`Last: ${overview.last.oldKeyId} -> ${overview.last.newKeyId}, ${overview.last.outcome} ${overview.last.ended}${overview.last.forced ? ' (forced)' : ''}.`);
          return;
        }
        output.line(`Rotation ${overview.open.oldKeyId} -> ${overview.open.newKeyId}, started ${overview.open.started}; grace ends ${overview.open.graceEnd} (${overview.graceDaysLeft} day(s) left).`);
        printOverview(output, overview);
        output.line(overview.ready ? 'Ready to finish: `custodian rotate finish`.' : 'Not ready to finish yet (see the hints above).');
      });
    });

  command('push')
    .description('push both keys (new, then old) to the servers of the open rotation; again after a server restarted mid-rotation')
    .option('--server <name...>', 'only these servers of the rotation')
    .addHelpText('after', help(['custodian rotate push', 'custodian rotate push --server app-2   # restarted: it boots locked']))
    .action(async (flags: Flags & { server?: string[] }) => {
      const output = context.output();
      await withWorkflow(context, flags, output, false, async (workflow) => {
        const results = await workflow.push(flags.server ?? []);
        const ok = results.every((r) => r.ok);
        output.result({ ok, results });
        for (const r of results) output.line(r.ok ? `${r.server}  ${r.outcome}  ${r.keyIds.join(',')}` : `${r.server}  ${r.outcome}  [${r.error?.code}] ${r.error?.message}${r.error?.hint ? `\n  hint: ${r.error.hint}` : ''}`);
        if (!ok) {
          const failed = results.filter((r) => !r.ok);
          throw new CustodianError('PUSH_REFUSED', `${failed.length} of ${results.length} server(s) did not take both keys: ${failed.map((r) => r.server).join(', ')}.`, { hint: 'See each server\'s line; `custodian rotate status` explains what each one needs.' });
        }
      });
    });

  command('finish')
    .description('switch every server to the new key alone (rekey, old key retired explicitly), write the Vault entry with an empty previous_key, mark the old key retired')
    .option('--force', 'finish although servers are not ready (they keep what they have); loud warning')
    .option('--kv-cas <version>', 'the Vault entry was changed by someone else: write over version N after checking it', parseVersion)
    .addHelpText('after', help(['custodian rotate finish', 'custodian rotate finish --force   # after checking each server yourself']))
    .action(async (flags: Flags & { force?: boolean; kvCas?: number }) => {
      const output = context.output();
      await withWorkflow(context, flags, output, false, async (workflow) => {
        if (flags.force) output.note('WARNING: --force finishes the rotation even where a server is not ready: data still under the old key there becomes unreadable once the old key is gone.');
        const result = await workflow.finish({ force: Boolean(flags.force), ...(flags.kvCas !== undefined ? { kvCas: flags.kvCas } : {}) });
        for (const warning of result.warnings) output.note(`warning: ${warning}`);
        output.result({ ...result });
        for (const r of result.rekeyed) output.line(`${r.server}  now ${r.installedKeyIds?.join(',') ?? result.newKeyId}`);
        for (const name of result.skipped) output.line(`${name}  SKIPPED (--force): not switched to the new key alone`);
        if (result.vaultVersion !== null) output.line(`Vault entry written: version ${result.vaultVersion} (previous_key empty).`);
        output.line(`Rotation finished: ${result.newKeyId} is current, ${result.oldKeyId} is retired (still in the keychain until \`custodian key delete\`).`);
      });
    });

  command('abort')
    .description('go back to the old key while no server holds the new one; the new key stays in the keychain')
    .option('--force', 'abort although a server holds the new key or did not answer')
    .option('--kv-cas <version>', 'the Vault entry was changed by someone else: write over version N after checking it', parseVersion)
    .addHelpText('after', help(['custodian rotate abort']))
    .action(async (flags: Flags & { force?: boolean; kvCas?: number }) => {
      const output = context.output();
      await withWorkflow(context, flags, output, false, async (workflow) => {
        const result = await workflow.abort({ force: Boolean(flags.force), ...(flags.kvCas !== undefined ? { kvCas: flags.kvCas } : {}) });
        for (const warning of result.warnings) output.note(`warning: ${warning}`);
        output.result({ ...result });
        output.line(`Rotation aborted: ${result.oldKeyId} is current again; ${result.newKeyId} stays in the keychain.`);
        if (result.vaultVersion !== null) output.line(`Vault entry written back: version ${result.vaultVersion}.`);
      });
    });
}

/**
 * The workflow over the CLI's stores. The Vault token is read once (VAULT_TOKEN, --token-file, or a hidden
 * prompt when Vault is needed and none is set) and wiped when the command ends.
 */
async function withWorkflow(context: CommandContext, flags: Flags, output: Output, needsVault: boolean, use: (workflow: RotationWorkflow) => Promise<void>): Promise<void> {
  const home = custodianHome(context.io.env);
  const contact = contactOptions(flags);
  const state = rotationFile(home);
  const open = (await state.read()).open;
  const vaultWanted = needsVault || Boolean(open?.vaultKv);
  let token: Buffer | undefined;
  const { tokenFile, ...connection } = flags;
  try {
    if (vaultWanted) {
      if (tokenFile) token = trim(await readSecretSource(context.io, tokenFile, 'token'));
      else if (!context.io.env['VAULT_TOKEN'] && isInteractive(context.io)) token = (await readHiddenLine(context.io, 'Vault token (hidden): ')) ?? undefined;
    }
    const withVault: WithVault = (profile, run) => withCluster(context, { ...connection, ...(connection.profile || connection.addr?.length ? {} : profile ? { profile } : {}) }, output, run, token);
    const signerFor = async () => custodianIdentity(context);
    const rekey: RekeyServers = async (chosen, keys, retire) => rekeyServers(context, await signerFor(), chosen, keys, retire, contact);
    const workflow = new RotationWorkflow({
      keys: openCliKeyStore(context), state, servers: servers(context), audit: audit(context),
      status: (chosen) => statusOf(chosen, undefined, contact),
      push: async (chosen, keys) => {
        const signer = await signerFor();
        return pushKeys({ servers: chosen, keys, signer, receipts: receipts(context), audit: audit(context), ...contact, prepare: prepareServers(context, signer, contact) });
      },
      rekey,
      ...(vaultWanted ? { withVault } : {}),
    });
    await use(workflow);
  } finally {
    token?.fill(0);
  }
}

function trim(raw: Buffer): Buffer {
  let start = 0;
  let end = raw.length;
  while (start < end && raw[start]! <= 0x20) start++;
  while (end > start && raw[end - 1]! <= 0x20) end--;
  const out = Buffer.from(raw.subarray(start, end));
  raw.fill(0);
  return out;
}

function parseVersion(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new CustodianError('USAGE', '--kv-cas takes a version number.');
  return Number(value);
}

function overviewJson(overview: RotationOverview): Record<string, unknown> {
  return {
    open: overview.open, intervalDays: overview.intervalDays, graceDaysLeft: overview.graceDaysLeft, ready: overview.ready,
    servers: overview.servers, notAccepting: overview.notAccepting, vault: overview.vault, vaultError: overview.vaultError, last: overview.last,
  };
}

function printOverview(output: Output, overview: RotationOverview): void {
  for (const view of overview.servers) output.line(serverLine(view));
  if (overview.notAccepting.length > 0) output.line(`Not accepting the new key yet: ${overview.notAccepting.join(', ')}.`);
  if (overview.vault) {
    const v = overview.vault;
    output.line(`Vault ${v.mount}/${v.path}: version ${v.version}, current_key_id ${v.currentKeyId ?? '-'}${v.currentKeyMatches ? '' : ' (DOES NOT MATCH current_key)'}, previous_key_id ${v.previousKeyId ?? '-'}${v.previousKeyEmpty ? ' (previous_key empty)' : ''}, rotation_date ${v.rotationDate ?? '-'}`);
  } else if (overview.open?.vaultKv) {
    output.line(`Vault ${overview.open.vaultKv.mount}/${overview.open.vaultKv.path}: written at version ${overview.open.vaultKv.version}${overview.vaultError ? ` (not read: [${overview.vaultError.code}] ${overview.vaultError.message})` : ''}`);
  }
}

function serverLine(view: RotationServerView): string {
  const keys = view.installedKeyIds.length ? view.installedKeyIds.join(',') : 'none';
  const data = view.tokensUnderPrevious === null ? 'not reported' : String(view.tokensUnderPrevious);
  const head = view.reachable
    ? `${view.server}  ${view.state}  installed ${keys}  accepts-new ${view.acceptsNew ? 'yes' : 'NO'}  under-previous ${data}${view.done ? '  DONE' : ''}`
    : `${view.server}  unreachable [${view.error?.code}]`;
  return view.blocker ? `${head}\n  ${view.blocker.message}${view.blocker.hint ? `\n  hint: ${view.blocker.hint}` : ''}` : head;
}
