/**
 * The preload: exposes `window.custodian` with one named function per contract action, and nothing else.
 * Never ipcRenderer itself, never a generic "invoke(channel)". Bundled to one CommonJS file (sandboxed
 * preloads cannot load other files), with the action list from src-shared.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { ACTIONS, channelOf } from '../../src-shared/actions.js';

const api: Record<string, (request: unknown) => Promise<unknown>> = {};
for (const action of ACTIONS) {
  const channel = channelOf(action);
  api[action] = (request: unknown) => ipcRenderer.invoke(channel, request);
}

contextBridge.exposeInMainWorld('custodian', Object.freeze(api));
