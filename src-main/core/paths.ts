import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where Key Custodian keeps its non-secret state (key metadata, Vault profiles, pinned servers, receipts,
 * the audit log). Never a key: keys live in the OS keychain.
 *
 * CUSTODIAN_HOME overrides; otherwise the platform's usual per-user config directory.
 */
export function custodianHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const override = env['CUSTODIAN_HOME'];
  if (override) return override;
  const home = env['HOME'] || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Key Custodian');
  if (platform === 'win32') return join(env['APPDATA'] || join(home, 'AppData', 'Roaming'), 'Key Custodian');
  return join(env['XDG_CONFIG_HOME'] || join(home, '.config'), 'key-custodian');
}

/** Keychain service name under which every secret is stored. Tests set their own. */
export function keychainService(env: NodeJS.ProcessEnv = process.env): string {
  return env['CUSTODIAN_KEYCHAIN_SERVICE'] || 'key-custodian';
}
