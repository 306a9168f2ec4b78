import { Command, CommanderError } from 'commander';
import { CustodianError } from '../core/errors.js';
import { EXIT_HELP, Output, reportError, type CliIO } from './io.js';
import { registerKeyCommands } from './commands/key.js';
import { registerFernetCommands } from './commands/fernet.js';
import { registerVaultCommands } from './commands/vault.js';
import { registerIdentityCommands } from './commands/identity.js';
import { registerServerCommands } from './commands/server.js';
import { registerPushCommands } from './commands/push.js';
import { registerBackupCommands } from './commands/backup.js';
import { registerRotateCommands } from './commands/rotate.js';
import { registerSettingsCommands } from './commands/settings.js';
import { registerAuditCommands } from './commands/audit.js';

export interface CommandContext {
  io: CliIO;
  /** Output bound to the --json flag of the command being run. */
  output(): Output;
}

/** Each command group registers itself on the program; see commands/*.ts. */
type Register = (program: Command, context: CommandContext) => void;

const groups: Register[] = [
  registerKeyCommands,
  registerFernetCommands,
  registerVaultCommands,
  registerIdentityCommands,
  registerServerCommands,
  registerPushCommands,
  registerBackupCommands,
  registerRotateCommands,
  registerSettingsCommands,
  registerAuditCommands,
];

export function buildProgram(io: CliIO): Command {
  const program = new Command('custodian');
  const context: CommandContext = {
    io,
    output: () => new Output(io, Boolean(program.opts()['json'])),
  };
  program
    .description('Key Custodian: hold data-encryption keys in the OS keychain, run Vault/OpenBao ceremonies, unlock servers after deploy.')
    .option('--json', 'print exactly one JSON object on stdout')
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Usage errors are reported by runCli in the CLI's own format; commander's text could quote what was typed.
      outputError: () => undefined,
    })
    .exitOverride()
    .addHelpText('after', EXIT_HELP);
  for (const register of groups) register(program, context);
  return program;
}

/** Runs the CLI and returns the exit status; never throws, never prints secrets. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const program = buildProgram(io);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return 0;
      return reportError(io, usageError(error), json);
    }
    return reportError(io, error, json);
  }
}

/** Commander errors whose text names only the command's own definitions, never what the user typed. */
const SAFE_COMMANDER_ERRORS = new Set([
  'commander.missingArgument', 'commander.optionMissingArgument', 'commander.missingMandatoryOptionValue',
  'commander.excessArguments', 'commander.conflictingOption',
]);

/**
 * A usage error in the CLI's format. Anything commander would say about an unknown command, option or value is
 * replaced by a generic sentence: a share or key pasted in the wrong place must not reach stderr or CI logs.
 */
function usageError(error: CommanderError): CustodianError {
  const hint = 'Run the command with --help to see its arguments, options and an example.';
  if (SAFE_COMMANDER_ERRORS.has(error.code)) return new CustodianError('USAGE', `${error.message.replace(/^error: /, '')}.`.replace(/\.\.$/, '.'), { hint });
  if (error.code === 'commander.unknownCommand') return new CustodianError('USAGE', 'Unknown command.', { hint: 'Run `custodian --help` to see the commands.' });
  if (error.code === 'commander.unknownOption') return new CustodianError('USAGE', 'Unknown option.', { hint });
  return new CustodianError('USAGE', 'Invalid arguments.', { hint });
}
