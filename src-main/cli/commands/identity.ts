import type { Command } from 'commander';
import { authorizedCustodiansEntry } from '../../core/push/index.js';
import type { CommandContext } from '../main.js';
import { commandHelp as help } from '../io.js';
import { ageRecipient } from '../../core/backup/age-identity.js';
import { cliSecrets } from './backup-age-input.js';
import { audit, custodianIdentity } from './push-context.js';

/** `custodian identity show`: the custodian's signing identity, as the line receivers authorize. */
export function registerIdentityCommands(program: Command, context: CommandContext): void {
  const identity = program
    .command('identity')
    .description('the custodian identities: an Ed25519 key that signs pushes, an age key that receives key backups (both kept in the OS keychain)')
    .addHelpText('after', help(['custodian identity show >> /etc/app/authorized-custodians', 'custodian identity show --age']));

  identity
    .command('show')
    .description('print exactly one line: the entry for a receiver\'s authorized-custodians file (creates the identity on first use); with --age, this custodian\'s age recipient')
    .option('--age', 'print the age recipient (age1...) that other custodians export keys to; its private half stays in this keychain')
    .addHelpText('after', help([
      'custodian identity show',
      'custodian identity show >> authorized-custodians',
      'custodian --json identity show   # {"fingerprint": "ed25519:...", "entry": "..."}',
      'custodian identity show --age    # age1...: send it to the custodian who exports a key to you (custodian backup export KEY --recipient age1...)',
    ]))
    .action(async (options: { age?: boolean }) => {
      const output = context.output();
      if (options.age) {
        const { recipient, created } = await ageRecipient(cliSecrets(context));
        if (created) {
          output.note('Created a new age identity in the OS keychain; its private half never leaves it (back it up with `custodian backup state`).');
          await audit(context).record({ action: 'identity.age.create', outcome: 'ok', recipient });
        }
        output.result({ recipient });
        output.line(recipient);
        return;
      }
      const { fingerprint } = await custodianIdentity(context);
      const entry = authorizedCustodiansEntry(fingerprint);
      output.result({ fingerprint, entry });
      output.line(entry);
    });
}
