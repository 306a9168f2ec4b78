import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The per-user cache directory for Key Custodian: only things that can be thrown away (Node's compile cache of
 * the CLI). Never the config directory (core/paths.ts custodianHome), never anything secret.
 */
export function custodianCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = env['HOME'] || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'key-custodian');
  if (platform === 'win32') return join(env['LOCALAPPDATA'] || join(home, 'AppData', 'Local'), 'key-custodian', 'Cache');
  return join(env['XDG_CACHE_HOME'] || join(home, '.cache'), 'key-custodian');
}
