/**
 * The preload's exposed surface is exactly the contract: `window.custodian` with one function per action,
 * each invoking only its own channel, and nothing else (no ipcRenderer, no generic invoke/send/on).
 * Runs the real bundled preload (dist/src-main/electron/preload.cjs) in a VM with a recording `electron`.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createContext, runInContext } from 'node:vm';
import { ACTIONS, channelOf } from '../../src-shared/actions.js';
import { requests } from '../../src-shared/contract.js';

const preloadPath = new URL('../../src-main/electron/preload.cjs', import.meta.url);

interface Loaded {
  exposed: Map<string, unknown>;
  invocations: Array<{ channel: string; args: unknown[] }>;
  required: string[];
}

function loadPreload(): Loaded {
  assert.ok(existsSync(preloadPath), `${preloadPath.pathname} is missing: run \`npm run build\` (it bundles the preload)`);
  const exposed = new Map<string, unknown>();
  const invocations: Array<{ channel: string; args: unknown[] }> = [];
  const required: string[] = [];
  const ipcRenderer = new Proxy({}, {
    get(_target, property) {
      if (property === 'invoke') return (channel: string, ...args: unknown[]) => { invocations.push({ channel, args }); return Promise.resolve({ ok: true, value: null }); };
      throw new Error(`the preload used ipcRenderer.${String(property)}`);
    },
  });
  const electron = { contextBridge: { exposeInMainWorld: (name: string, api: unknown) => exposed.set(name, api) }, ipcRenderer };
  const sandbox = {
    require: (name: string) => { required.push(name); if (name === 'electron') return electron; throw new Error(`sandboxed preloads cannot require ${name}`); },
    module: { exports: {} },
    exports: {},
  };
  runInContext(readFileSync(preloadPath, 'utf8'), createContext(sandbox), { filename: 'preload.cjs' });
  return { exposed, invocations, required };
}

test('the contract has a schema for every action and no other', () => {
  assert.deepEqual(Object.keys(requests).sort(), [...ACTIONS].sort());
});

test('the preload exposes exactly window.custodian with one function per contract action', () => {
  const { exposed, required } = loadPreload();
  assert.deepEqual([...exposed.keys()], ['custodian']);
  assert.deepEqual([...new Set(required)], ['electron'], 'a sandboxed preload may require only electron');
  const api = exposed.get('custodian') as Record<string, unknown>;
  assert.deepEqual(Object.keys(api).sort(), [...ACTIONS].sort());
  for (const action of ACTIONS) assert.equal(typeof api[action], 'function', action);
  assert.ok(Object.isFrozen(api), 'the exposed object is frozen');
  for (const forbidden of ['ipcRenderer', 'invoke', 'send', 'on', 'sendSync', 'require', 'process']) {
    assert.equal(forbidden in api, false, `${forbidden} must not be exposed`);
  }
});

test('each exposed function invokes its own channel with the payload and nothing more', async () => {
  const { exposed, invocations } = loadPreload();
  const api = exposed.get('custodian') as Record<string, (request: unknown) => Promise<unknown>>;
  for (const action of ACTIONS) {
    const payload = { probe: action };
    await api[action]!(payload);
    const last = invocations.at(-1);
    assert.deepEqual(last, { channel: channelOf(action), args: [payload] });
  }
  assert.equal(invocations.length, ACTIONS.length);
});
