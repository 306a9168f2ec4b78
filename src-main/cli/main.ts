import { Command, CommanderError } from 'commander';
import { CustodianError } from '../core/errors.js';
import { EXIT_HELP, Output, reportError, type CliIO } from './io.js';
import { registerKeyCommands } from './commands/key.js';
import { registerFernetCommands } from './commands/fernet.js';
import { registerVaultCommands } from './commands/vault.js';
import { registerIdentityCommands } from './commands/identity.js';
import { registerServerCommands } from './commands/server.js';
import { registerPushCommands } from './commands/push.js';

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
      // commander already printed its message on stderr
      return new CustodianError('USAGE', error.message).exitStatus;
    }
    return reportError(io, error, json);
  }
}
