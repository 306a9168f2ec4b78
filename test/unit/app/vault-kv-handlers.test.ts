/**
 * The Vault KV view's actions through the window's validation layer (invokeAction): bad paths, mounts, fields
 * and lengths are refused with a sentence before anything is contacted; a reveal needs presence (guard.ts).
 * The handlers against a real OpenBao are in test/integration/vault-kv-cli.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { invokeAction, type HandlerTable } from '../../../src-main/app/dispatch.js';
import { NEEDS_PRESENCE } from '../../../src-main/app/guard.js';
import { vaultKvHandlers } from '../../../src-main/app/handlers/vault-kv.js';
import type { AuditEvent, AuditLog } from '../../../src-main/core/audit.js';

const events: AuditEvent[] = [];
const audit: AuditLog = { record: async (event) => { events.push(event); } };
// Port 9 (discard) on loopback: a request that got past validation fails with a VAULT_* code, not INVALID_INPUT.
const table = vaultKvHandlers({ env: {}, home: '/nonexistent-custodian-home', audit, revealClearSeconds: async () => 30 }) as unknown as HandlerTable;
const base = { addrs: ['https://127.0.0.1:9'], token: 'hvs.not-a-real-token', mount: 'secret' };

test('revealing a KV value needs presence; listing and reading names do not', () => {
  assert.ok(NEEDS_PRESENCE.has('vaultKvReveal'));
  for (const action of ['vaultKvList', 'vaultKvGet', 'vaultKvPut', 'vaultKvDelete'] as const) assert.ok(!NEEDS_PRESENCE.has(action), action);
});

test('bad KV requests are refused with a sentence and contact nothing', async () => {
  const cases: Array<[Parameters<typeof invokeAction>[1], Record<string, unknown>, RegExp]> = [
    ['vaultKvGet', { ...base, path: '../sys/seal' }, /letters, digits/],
    ['vaultKvGet', { ...base, path: 'a/./b' }, /letters, digits/],
    ['vaultKvGet', { ...base, path: '' }, /path/],
    ['vaultKvList', { ...base, mount: 'se/cret', prefix: '' }, /KV mount/],
    ['vaultKvReveal', { ...base, path: 'app/db', field: 'pass word' }, /field name/],
    ['vaultKvPut', { ...base, path: 'app/db', generate: [], values: [] }, /at least one field/],
    ['vaultKvPut', { ...base, path: 'app/db', generate: [{ field: 'password', length: 8 }], values: [] }, /16 to 256/],
    ['vaultKvPut', { ...base, path: 'app/db', generate: [], values: [{ field: 'password', value: '' }] }, /Type a value/],
    ['vaultKvDelete', { ...base, path: 'app/db', token: '' }, /Vault token/],
  ];
  for (const [action, payload, message] of cases) {
    const result = await invokeAction(table, action, payload);
    assert.equal(result.ok, false, JSON.stringify(payload));
    if (result.ok) continue;
    assert.equal(result.error.code, 'INVALID_INPUT', `${action} ${JSON.stringify(payload)}: ${result.error.message}`);
    assert.match(result.error.message, message);
    assert.ok(!result.error.message.includes('not-a-real-token'), 'the token is never echoed');
  }
  assert.equal(events.length, 0, 'nothing was attempted');
});

test('a field both generated and typed is refused before the server is asked', async () => {
  const result = await invokeAction(table, 'vaultKvPut', { ...base, path: 'app/db', generate: [{ field: 'password', length: 32 }], values: [{ field: 'password', value: 'typed-value-123' }] });
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.equal(result.error.code, 'INVALID_INPUT');
    assert.ok(!result.error.message.includes('typed-value-123'));
  }
});

test('a valid request gets past validation (and then finds no server on port 9)', async () => {
  const result = await invokeAction(table, 'vaultKvList', { ...base, prefix: 'mail-helper/' });
  assert.equal(result.ok, false);
  // activeNode() finds no node answering: reported as "no active node" (VAULT_SEALED), never as bad input.
  if (!result.ok) assert.match(result.error.code, /^VAULT_(UNREACHABLE|SEALED)$/);
});
