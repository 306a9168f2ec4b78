import type { Command } from 'commander';
import { authorizedCustodiansEntry } from '../../core/push/index.js';
import type { CommandContext } from '../main.js';
import { commandHelp as help } from '../io.js';
import { custodianIdentity } from './push-context.js';

/** `custodian identity show`: the custodian's signing identity, as the line receivers authorize. */
export function registerIdentityCommands(program: Command, context: CommandContext): void {
  const identity = program
    .command('identity')
    .description('the custodian identity that signs pushes (an Ed25519 key kept in the OS keychain)')
    .addHelpText('after', help(['custodian identity show >> /etc/app/authorized-custodians']));

  identity
    .command('show')
    .description('print exactly one line: the entry for a receiver\'s authorized-custodians file (creates the identity on first use)')
    .addHelpText('after', help(['custodian identity show', 'custodian identity show >> authorized-custodians', 'custodian --json identity show   # {"fingerprint": "ed25519:...", "entry": "..."}']))
    .action(async () => {
      const output = context.output();
      const { fingerprint } = await custodianIdentity(context);
      const entry = authorizedCustodiansEntry(fingerprint);
      output.result({ fingerprint, entry });
      output.line(entry);
    });
}
