/** The app's settings file (`settings.json` in the custodian home): idle lock, clipboard clear, watch interval. */
import { join } from 'node:path';
import { requests, DEFAULT_SETTINGS, type Settings } from '../../src-shared/contract.js';
import { JsonFile } from '../core/storage/json-file.js';

export function settingsFile(home: string): JsonFile<Settings> {
  return new JsonFile<Settings>(join(home, 'settings.json'), () => ({ ...DEFAULT_SETTINGS }), (value) => {
    // Missing fields (an older file) take the defaults; wrong ones make the file corrupt, never silently reset.
    return requests.saveSettings.parse({ ...DEFAULT_SETTINGS, ...(value as object) });
  });
}
