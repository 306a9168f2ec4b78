import type { Command } from 'commander';
import { Option } from 'commander';
import { exportKeyBackup, importKeyBackup, MAX_KEY_BACKUP_BYTES } from '../../core/backup/age-backup.js';
import { exportState, MAX_STATE_BACKUP_BYTES, restoreState } from '../../core/backup/state-backup.js';
import { FileAuditLog } from '../../core/audit.js';
import { custodianHome } from '../../core/paths.js';
import { commandHelp as help } from '../io.js';
import type { CommandContext } from '../main.js';
import { cliSecrets, disposeTarget, readBackupFile, readKey, readTarget, type KeyOptions, type TargetOptions } from './backup-age-input.js';
import { openCliKeyStore } from './key.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Said in --help where recipients or identities are taken; the same words as the INVALID_INPUT refusal. */
const NO_SSH_HELP = 'age\'s SSH recipient types (ssh-ed25519, ssh-rsa) are not supported: the age library used here (typage,\n'
  + 'npm age-encryption) does not implement them. Use an X25519 recipient instead (`age-keygen`, or the other\n'
  + 'custodian\'s `custodian identity show --age`), or convert an ed25519 SSH key with `ssh-to-age`.';

/** The options that say who can open a new backup (export and state). */
function targetOptions(command: Command): Command {
  return command
    .option('--recipient <recipient>', 'an age X25519 recipient (age1...); repeat for several (ssh-ed25519/ssh-rsa keys are refused, see below)', collect)
    .option('--recipients-file <file>', 'a file of recipients, one per line (as `age -R` reads it)')
    .option('--passphrase', 'protect the file with a passphrase instead (asked twice, hidden, on a terminal)')
    .option('--passphrase-file <file>', 'read the passphrase from the first line of this file (implies --passphrase)')
    .requiredOption('--out <file>', 'the age file to write (mode 0600)')
    .option('--force', 'replace --out if it exists');
}

/** The options that say how to open a backup (import and restore-state). */
function keyOptions(command: Command): Command {
  return command
    .option('--identity <file>', 'an age identity file (AGE-SECRET-KEY-1...; SSH private keys are refused); default: this custodian\'s own age identity')
    .option('--passphrase', 'the backup is passphrase-protected: ask for it (hidden)')
    .option('--passphrase-file <file>', 'read the passphrase from the first line of this file (implies --passphrase)');
}

/** `backup export|import|state|restore-state`: age-encrypted files. */
export function registerAgeCommands(backup: Command, context: CommandContext): void {
  targetOptions(backup
    .command('export')
    .description('encrypt a key to age recipients or a passphrase and write an age file (plaintext: the key text and a newline)')
    .argument('<key>', 'key id, unique id prefix, or unique name'))
    .addHelpText('after', help([
      'custodian backup export orders-db --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p --out orders-db.age',
      'custodian backup export orders-db --recipient "$(ssh-to-age < ~/.ssh/id_ed25519.pub)" --out orders-db.age',
      'custodian backup export orders-db --passphrase --out orders-db.age      # asks twice, hidden',
      'age -d -i identity.txt orders-db.age                                    # any age tool restores the key',
    ], 'To move a key to a second custodian without plaintext: they run `custodian identity show --age` and send\nyou the age1... line; you export to it; they run `custodian backup import FILE --name NAME`.\n\n' + NO_SSH_HELP))
    .action(async (ref: string, options: TargetOptions & { out: string; force?: boolean }) => {
      const output = context.output();
      const home = custodianHome(context.io.env);
      const keys = openCliKeyStore(context);
      const record = await keys.resolve(ref); // a mistyped key fails before anyone types a passphrase twice
      const target = await readTarget(context.io, options);
      try {
        const result = await exportKeyBackup(keys, new FileAuditLog(home), record.id, target, options.out, { force: Boolean(options.force) });
        output.result({ id: result.record.id, name: result.record.name, out: options.out, recipients: result.recipients, format: 'age' });
        output.line(`Wrote ${options.out}: key "${result.record.name}" (${result.record.id}), encrypted to ${target.kind === 'passphrase' ? 'a passphrase' : `${result.recipients.length} recipient(s)`}.`);
        output.line('Keep it apart from the recipients\' identities; try a restore drill with `custodian backup import` on the receiving side.');
      } finally {
        disposeTarget(target);
      }
    });

  keyOptions(backup
    .command('import')
    .description('decrypt an age key backup and store the key in the OS keychain (origin "restored")')
    .argument('<file>', 'the age file (binary or armored)')
    .requiredOption('--name <name>', 'a label for the restored key'))
    .addHelpText('after', help([
      'custodian backup import orders-db.age --name orders-db                      # with this custodian\'s own age identity',
      'custodian backup import orders-db.age --name orders-db --identity key.txt',
      'custodian backup import orders-db.age --name orders-db --passphrase',
    ], NO_SSH_HELP))
    .action(async (path: string, options: KeyOptions & { name: string }) => {
      const output = context.output();
      const file = await readBackupFile(path, MAX_KEY_BACKUP_BYTES);
      const key = await readKey(context, options);
      try {
        const record = await importKeyBackup(openCliKeyStore(context), new FileAuditLog(custodianHome(context.io.env)), options.name, file, key);
        output.result({ ...record });
        output.line(`Imported key "${record.name}" (${record.id}), origin restored.`);
      } finally {
        disposeTarget(key);
      }
    });

  targetOptions(backup
    .command('state')
    .description('back up this custodian\'s own state (identities, pinned servers, Vault profiles, receipts, settings, audit log; keys with --with-keys) into one age file')
    .option('--with-keys', 'include every key from the keychain too'))
    .addHelpText('after', help([
      'custodian backup state --recipient age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p --out custodian-state.age',
      'custodian backup state --passphrase --with-keys --out custodian-state.age',
      'custodian backup restore-state custodian-state.age --passphrase             # on the replacement laptop',
    ], 'Encrypt it to an identity that does not live in this keychain (an offline age-keygen identity or a passphrase):\nthe point is to restore it on another machine.\n\n' + NO_SSH_HELP))
    .action(async (options: TargetOptions & { out: string; force?: boolean; withKeys?: boolean }) => {
      const output = context.output();
      const target = await readTarget(context.io, options);
      try {
        const result = await exportState({ home: custodianHome(context.io.env), secrets: cliSecrets(context) }, target, options.out, { withKeys: Boolean(options.withKeys), force: Boolean(options.force) });
        output.result({ out: options.out, ...result });
        output.line(`Wrote ${options.out}: ${result.files.length} file(s), ${result.signingIdentity ? 'signing identity' : 'no signing identity'}, ${result.ageIdentity ? 'age identity' : 'no age identity'}, ${result.keys.length} key(s).`);
        if (result.missingKeys.length > 0) output.note(`warning: ${result.missingKeys.length} listed key(s) are missing from the keychain and are not in the backup: ${result.missingKeys.join(', ')}`);
        if (!options.withKeys) output.note('note: no keys are in this backup (add --with-keys, or back keys up with `backup export` / `backup split`).');
      } finally {
        disposeTarget(target);
      }
    });

  keyOptions(backup
    .command('restore-state')
    .description('restore a state backup on this machine (refuses to replace an existing state without --replace)')
    .argument('<file>', 'the age file made by `custodian backup state`')
    .addOption(new Option('--replace', 'replace the state this machine already has (the old custodian home is moved aside and kept)')))
    .addHelpText('after', help([
      'custodian backup restore-state custodian-state.age --identity offline-identity.txt',
      'custodian backup restore-state custodian-state.age --passphrase --replace',
    ], NO_SSH_HELP))
    .action(async (path: string, options: KeyOptions & { replace?: boolean }) => {
      const output = context.output();
      const file = await readBackupFile(path, MAX_STATE_BACKUP_BYTES);
      const key = await readKey(context, options);
      try {
        const result = await restoreState({ home: custodianHome(context.io.env), secrets: cliSecrets(context) }, file, key, { replace: Boolean(options.replace) });
        output.result({ ...result });
        output.line(`Restored the custodian state of ${result.created}: ${result.files.length} file(s), ${result.keys.length} key(s).`);
        if (result.signingIdentity) output.line(`signing identity: ${result.signingIdentity}`);
        if (result.ageRecipient) output.line(`age recipient:    ${result.ageRecipient}`);
        if (result.previousHome) output.note(`The replaced custodian home was moved to ${result.previousHome}; delete it when you no longer need it.`);
        if (result.keysNotInKeychain.length > 0) output.note(`warning: ${result.keysNotInKeychain.length} listed key(s) are not in this keychain; restore them with \`custodian backup import\` or \`custodian backup restore\`: ${result.keysNotInKeychain.join(', ')}`);
      } finally {
        disposeTarget(key);
      }
    });
}
