// The OS keychain as the CLI opens it: in its own small module so commands that only need the keychain (audit,
// identity) do not load the age backup code at start-up (test/unit/cli-startup.test.ts).
import { keychainTimeoutMs, OsKeychain, type SecretStore } from '../../core/keystore/index.js';
import { keychainService } from '../../core/paths.js';
import type { CommandContext } from '../main.js';

/** The OS keychain for this CLI process (a stuck keychain call ends the process after the error is printed). */
export function cliSecrets(context: CommandContext): SecretStore {
  const env = context.io.env;
  return new OsKeychain(keychainService(env), {
    timeoutMs: keychainTimeoutMs(env),
    onTimeout: () => { setTimeout(() => process.exit(), 1000).unref(); },
  });
}
