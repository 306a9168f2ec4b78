import type { Command } from 'commander';
import { encodeFernetKey } from '../../core/crypto/index.js';
import { CustodianError } from '../../core/errors.js';
import { openKeyStore, type KeyRecord, type KeyStore } from '../../core/keystore/index.js';
import { custodianHome } from '../../core/paths.js';
import { statusOf } from '../../core/push/index.js';
import { checkDeletable, checkNotInstalled, keyAges, rotationFile } from '../../core/rotation/index.js';
import { servers } from './push-context.js';
import { commandHelp as help } from '../io.js';
import type { CommandContext } from '../main.js';
import { cancelled, confirm, readKeyText } from './key-input.js';

/** `custodian key ...`: the keys in the OS keychain. */
export function registerKeyCommands(program: Command, context: CommandContext): void {
  const key = program
    .command('key')
    .description('manage Fernet keys held in the OS keychain')
    .addHelpText('after', help(['custodian key generate --name orders-db', 'custodian key list']));
  const store = (): KeyStore => openCliKeyStore(context);

  key
    .command('generate')
    .description('create a new Fernet key from the system CSPRNG, straight into the OS keychain; prints its id')
    .requiredOption('--name <name>', 'a label for people; names may repeat, ids never do')
    .addHelpText('after', help(['custodian key generate --name orders-db', 'custodian --json key generate --name orders-db   # {"id": "K1-...", ...}']))
    .action(async (options: { name: string }) => {
      const keys = store();
      const record = await keys.generate(options.name);
      await reportStored(context, keys, record, 'Generated');
    });

  key
    .command('import')
    .description('store an existing Fernet key (44 characters of URL-safe base64) read from stdin; hidden prompt on a terminal')
    .requiredOption('--name <name>', 'a label for people')
    .addHelpText('after', help(['custodian key import --name legacy-db < key.txt', 'custodian key import --name legacy-db   # prompts, input hidden']))
    .action(async (options: { name: string }) => {
      const keys = store();
      const text = await readKeyText(context.io);
      let record: KeyRecord;
      try {
        record = await keys.import(options.name, text);
      } finally {
        text.fill(0);
      }
      await reportStored(context, keys, record, 'Imported');
    });

  key
    .command('list')
    .description('list the keys (id, name, created, age, rotation state, origin, last backup and drill); flags keys older than the rotation interval and keys with no backup; never shows key material')
    .addHelpText('after', help(['custodian key list', 'custodian --json key list   # {"keys": [{"id": ..., "ageDays": 12, "state": "current", "overdue": false, ...}], "withoutBackup": [...], "overdue": [...]}']))
    .action(async () => {
      const output = context.output();
      const records = await store().list();
      const rotation = await rotationFile(custodianHome(context.io.env)).read();
      const ages = keyAges(records, rotation, new Date());
      const withoutBackup = records.filter((record) => !record.lastBackup);
      const overdue = ages.filter((age) => age.overdue).map((age) => age.id);
      output.result({ keys: records.map((record, i) => ({ ...record, ageDays: ages[i]!.ageDays, state: ages[i]!.state, overdue: ages[i]!.overdue })), withoutBackup: withoutBackup.map((record) => record.id), overdue, rotationIntervalDays: rotation.intervalDays });
      if (records.length === 0) output.line('No keys yet. Create one with `custodian key generate --name NAME`.');
      records.forEach((record, i) => {
        const age = ages[i]!;
        output.line(`${record.id}  ${record.created}  ${`${age.ageDays}d${age.overdue ? ' OLD' : ''}`.padEnd(9)}  ${(age.state ?? '-').padEnd(8)}  ${record.origin.padEnd(9)}  backup: ${backupText(record).padEnd(18)}  drill: ${drillText(record).padEnd(19)}  ${record.name}`);
      });
      if (overdue.length > 0 && !output.json) {
        output.note(`warning: ${overdue.length} key(s) are older than the rotation interval (${rotation.intervalDays} days): ${overdue.join(', ')}. Rotate with \`custodian rotate begin --key KEY\`.`);
      }
      if (withoutBackup.length > 0 && !output.json) {
        output.note(`warning: ${withoutBackup.length} key(s) have no backup: ${withoutBackup.map((record) => `"${record.name}" (${record.id})`).join(', ')}. `
          + 'The keychain holds the only copy; make one with `custodian backup split KEY --shares N --threshold T`.');
      }
    });

  key
    .command('show')
    .description('show a key\'s metadata and id, after checking that the OS keychain still holds it')
    .argument('<key>', 'key id, unique id prefix, or unique name')
    .addHelpText('after', help(['custodian key show K1-7Q2M-0X4A-9R1D-BB3T', 'custodian key show orders-db']))
    .action(async (ref: string) => {
      const output = context.output();
      const record = await store().verify(ref);
      output.result({ ...record, inKeychain: true, backedUp: Boolean(record.lastBackup) });
      printRecord(output.line.bind(output), record);
      output.line('keychain:  present');
      output.line(`backup:    ${record.lastBackup ? `${record.lastBackup.at} (${record.lastBackup.kind})` : 'none'}`);
      output.line(`drill:     ${record.lastDrill ? `${record.lastDrill.at} (${record.lastDrill.outcome})` : 'never'}`);
      if (!record.lastBackup && !output.json) {
        output.note('warning: this key has no backup; the keychain holds the only copy. Make one with `custodian backup split`.');
      }
    });

  key
    .command('export')
    .description('print the Fernet key text on stdout (requires --reveal)')
    .argument('<key>', 'key id, unique id prefix, or unique name')
    .option('--reveal', 'confirm that the key may be printed')
    .addHelpText('after', help([
      'custodian key export K1-7Q2M-0X4A-9R1D-BB3T --reveal            # on screen, once; clear the scrollback afterwards',
      'custodian --json key export orders-db --reveal',
      'custodian backup export orders-db --recipient age1... --out orders-db.age   # a backup or a move: encrypted, never a plaintext file',
    ], 'Never redirect the key into a file: for a backup or to move a key to another custodian use `custodian backup export`\n(age-encrypted; the other custodian\'s recipient comes from `custodian identity show --age`).'))
    .action(async (ref: string, options: { reveal?: boolean }) => {
      const output = context.output();
      if (!options.reveal) {
        throw new CustodianError('CONFIRMATION_REQUIRED', 'Exporting prints the secret key; nothing was printed.', {
          hint: 'Add --reveal to print it, and keep the output out of shell history, logs and chat.',
        });
      }
      await store().withKey(ref, async (raw, record) => {
        const text = encodeFernetKey(raw);
        // Assembled as bytes, so the key never becomes a JavaScript string (not even inside JSON.stringify).
        const line = output.json
          ? Buffer.concat([Buffer.from(`{"id":${JSON.stringify(record.id)},"name":${JSON.stringify(record.name)},"key":"`), text, Buffer.from('"}\n')])
          : Buffer.concat([text, Buffer.from('\n')]);
        try {
          await output.bytes(line);
        } finally {
          text.fill(0);
          line.fill(0);
        }
      }, { purpose: 'export' });
      if (context.io.stdout.isTTY) output.note('The key is on your screen: clear the terminal scrollback when done.');
    });

  key
    .command('delete')
    .description('delete a key from the OS keychain and the list; refuses a current or previous key or one a pinned server still uses; asks on a terminal, else needs --yes')
    .argument('<key>', 'key id, unique id prefix, or unique name')
    .option('--yes', 'delete without asking')
    .addHelpText('after', help(['custodian key delete K1-7Q2M-0X4A-9R1D-BB3T', 'custodian key delete K1-7Q2M --yes']))
    .action(async (ref: string, options: { yes?: boolean }) => {
      const output = context.output();
      const keys = store();
      const record = await keys.resolve(ref);
      const keyState = checkDeletable(await rotationFile(custodianHome(context.io.env)).read(), record.id);
      await checkNoServerUses(context, record.id);
      if (!options.yes) {
        if (!context.io.stdin.isTTY) {
          throw new CustodianError('CONFIRMATION_REQUIRED', 'Deleting a key needs confirmation; nothing was deleted.', {
            hint: 'Run it on a terminal to be asked, or add --yes. Data encrypted with this key cannot be decrypted without it.',
          });
        }
        const sure = await confirm(context.io, `Delete ${keyState === 'retired' ? 'the retired ' : ''}key "${record.name}" (${record.id})? Data encrypted with it cannot be decrypted afterwards.`);
        if (!sure) throw cancelled();
      }
      const deleted = await keys.delete(record.id);
      output.result({ deleted: deleted.id, name: deleted.name });
      output.line(`Deleted key "${deleted.name}" (${deleted.id}).`);
    });
}

/**
 * The key store for a CLI process. A keychain call that timed out cannot be cancelled and would keep the process
 * alive after the error is printed, so the process exits shortly after reporting it (the timer does not itself
 * keep the process alive, so it only fires when something is stuck).
 */
export function openCliKeyStore(context: CommandContext): KeyStore {
  return openKeyStore(context.io.env, {
    onKeychainTimeout: () => { setTimeout(() => process.exit(), 1000).unref(); },
  });
}

/** Asks every pinned server (5 s each) which keys it runs; one that still runs the key stops the delete. */
async function checkNoServerUses(context: CommandContext, id: string): Promise<void> {
  const pinned = await servers(context).list();
  if (pinned.length === 0) return;
  const results = await statusOf(pinned, undefined, { timeoutMs: 5000 });
  checkNotInstalled(id, results);
  const silent = results.filter((r) => !r.ok).map((r) => r.server);
  if (silent.length > 0) context.output().note(`note: ${silent.join(', ')} did not answer; make sure ${silent.length === 1 ? 'it does' : 'they do'} not use ${id}.`);
}

async function reportStored(context: CommandContext, keys: KeyStore, record: KeyRecord, verb: string): Promise<void> {
  const output = context.output();
  const sameName = (await keys.list()).filter((other) => other.name === record.name && other.id !== record.id);
  if (sameName.length > 0) {
    output.note(`note: ${sameName.length} other key(s) are also named "${record.name}"; refer to this one by its id.`);
  }
  output.result({ ...record });
  output.line(`${verb} key "${record.name}".`);
  printRecord(output.line.bind(output), record);
}

function printRecord(line: (text: string) => void, record: KeyRecord): void {
  line(`id:        ${record.id}`);
  line(`name:      ${record.name}`);
  line(`created:   ${record.created}`);
  line(`origin:    ${record.origin}`);
}

/** "2026-12-01 (slip39)" or "NONE": the date of the last backup, for the list. */
function backupText(record: KeyRecord): string {
  return record.lastBackup ? `${record.lastBackup.at.slice(0, 10)} (${record.lastBackup.kind})` : 'NONE';
}

function drillText(record: KeyRecord): string {
  return record.lastDrill ? `${record.lastDrill.at.slice(0, 10)} (${record.lastDrill.outcome})` : 'never';
}

/** The text after a command's options: its examples, then the exit statuses. */