import type { Command } from 'commander';
import { acceptReceiverIdentity } from '../../core/push/index.js';
import type { CommandContext } from '../main.js';
import { commandHelp as help } from '../io.js';
import { TIMEOUT_FLAG, audit, contactOptions, servers, type ContactFlags } from './push-context.js';

/** `custodian server accept-identity`: re-pin a receiver that rotated its identity key, only with its proof. */
export function registerServerIdentityCommands(server: Command, context: CommandContext): void {
  server
    .command('accept-identity')
    .description('re-pin a server that replaced its identity key: only if its hand-over chain, signed link by link, leads from the pinned identity to the one it presents now')
    .argument('<name>', 'the server name')
    .option(...TIMEOUT_FLAG)
    .addHelpText('after', help([
      'custodian server accept-identity app-1',
      'custodian --json server accept-identity app-1   # {"server": "app-1", "oldIdentity": "ed25519:...", "newIdentity": "ed25519:...", "links": 1, "changed": true}',
    ], 'On the server: `custodian-receiver rotate-identity --identity-key OLD --new-identity-key NEW --server-id ID >> handovers`,\n'
      + 'then restart it with --identity-key NEW --identity-handovers handovers. Without that proof the answer stays IDENTITY_MISMATCH.'))
    .action(async (name: string, options: ContactFlags) => {
      const output = context.output();
      const registry = servers(context);
      const pinned = await registry.get(name);
      const accepted = await acceptReceiverIdentity({ server: pinned, registry, audit: audit(context), ...contactOptions(options) });
      output.result({ ...accepted });
      output.line(accepted.changed
        ? `Re-pinned ${name}: ${accepted.oldIdentity} -> ${accepted.newIdentity} (${accepted.links} hand-over link${accepted.links === 1 ? '' : 's'} verified).`
        : `${name} still presents its pinned identity ${accepted.oldIdentity}; nothing changed.`);
    });
}
