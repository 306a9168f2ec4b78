/**
 * Touch ID through Electron's systemPreferences (macOS only). Windows Hello has no Electron API, and Linux has
 * no OS password prompt Electron can show: there the app uses its local unlock passphrase (app/presence).
 */
import { systemPreferences } from 'electron';
import type { TouchIdPort } from '../app/presence/presence.js';

export function touchIdPort(platform: NodeJS.Platform = process.platform): TouchIdPort | undefined {
  if (platform !== 'darwin') return undefined;
  return {
    canPrompt: () => systemPreferences.canPromptTouchID(),
    prompt: (reason) => systemPreferences.promptTouchID(reason),
  };
}
