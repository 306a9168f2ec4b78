/**
 * The Vault screen's profile actions through the same validation layer as the window (invokeAction): saved
 * with TLS paths, refused with one sentence per bad field and nothing written; and the Settings form's
 * sentences (no raw schema text).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { invokeAction, type HandlerTable } from '../../../src-main/app/dispatch.js';
import { vaultAdminHandlers } from '../../../src-main/app/handlers/vault-admin.js';
import type { AuditEvent, AuditLog } from '../../../src-main/core/audit.js';
import type { ActionName, Result } from '../../../src-shared/contract.js';

async function withHome(use: (call: (action: ActionName, payload: unknown) => Promise<Result<unknown>>, home: string, events: AuditEvent[]) => Promise<void>): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'custodian-vault-admin-'));
  const events: AuditEvent[] = [];
  const audit: AuditLog = { record: async (event) => { events.push(event); } } as AuditLog;
  const table = vaultAdminHandlers({ env: { CUSTODIAN_HOME: home }, home, audit }) as unknown as HandlerTable;
  try {
    await use((action, payload) => invokeAction(table, action, payload), home, events);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

const ADDRS = ['https://127.0.0.1:8200', 'https://127.0.0.1:8202'];

test('a profile is saved with its TLS paths and server name, listed, and deleted', async () => {
  await withHome(async (call, home, events) => {
    const ca = join(home, 'ca.pem');
    await writeFile(ca, '-----BEGIN CERTIFICATE-----\n');
    const saved = await call('vaultProfileSave', { name: 'prod', addresses: ADDRS, caCert: ca, clientCert: ca, clientKey: ca, tlsServerName: 'vault.example.com' });
    assert.deepEqual(saved, { ok: true, value: [{ name: 'prod', addresses: ADDRS, caCert: ca, clientCert: ca, clientKey: ca, tlsServerName: 'vault.example.com' }] });
    const file = JSON.parse(await readFile(join(home, 'vault-profiles.json'), 'utf8')) as { profiles: Record<string, unknown> };
    assert.deepEqual(Object.keys(file.profiles), ['prod']);
    assert.deepEqual(await call('vaultProfileDelete', { name: 'prod' }), { ok: true, value: [] });
    assert.deepEqual(events.map((e) => e.action), ['vault.profile.save', 'vault.profile.delete']);
  });
});

test('bad profile input is refused with a sentence per field and writes nothing', async () => {
  await withHome(async (call, home) => {
    const cases: Array<{ payload: Record<string, unknown>; path?: string; message: RegExp }> = [
      { payload: { name: 'prod', addresses: ADDRS, clientCert: '/etc/hosts' }, path: 'clientKey', message: /^Give both the client certificate and its key, or neither\.$/ },
      { payload: { name: '-bad', addresses: ADDRS }, path: 'name', message: /^A profile name is 1-64/ },
      { payload: { name: 'prod', addresses: ['vault:8200'] }, path: 'addresses.0', message: /http\(s\) URL/ },
      { payload: { name: 'prod', addresses: ADDRS, tlsServerName: 'a b' }, path: 'tlsServerName', message: /host name/ },
      { payload: { name: 'prod', addresses: ADDRS, caCert: 'relative/ca.pem' }, message: /full path of the CA certificate file/ },
      { payload: { name: 'prod', addresses: ADDRS, caCert: join(home, 'missing.pem') }, message: /CA certificate file .* cannot be read/ },
    ];
    for (const { payload, path, message } of cases) {
      const result = await call('vaultProfileSave', payload);
      assert.equal(result.ok, false, JSON.stringify(payload));
      if (result.ok) continue;
      assert.equal(result.error.code, 'INVALID_INPUT');
      assert.match(result.error.message, message);
      if (path) {
        const issues = result.error.details?.['issues'] as Array<{ path: string; message: string }>;
        assert.equal(issues[0]?.path, path);
      }
    }
    assert.equal(existsSync(join(home, 'vault-profiles.json')), false, 'nothing was written');
    const missing = await call('vaultProfileDelete', { name: 'nope' });
    assert.equal(!missing.ok && missing.error.code, 'PROFILE_NOT_FOUND');
  });
});

test('seal and step-down need a token; an empty one is refused before any request', async () => {
  await withHome(async (call) => {
    for (const action of ['vaultSeal', 'vaultStepDown'] as const) {
      const result = await call(action, { addrs: ADDRS, token: '  ' });
      assert.equal(!result.ok && result.error.message, 'Type a Vault token.');
    }
  });
});

test('Settings: each out-of-range field gets its own sentence, never the schema\'s raw text', async () => {
  const table = { saveSettings: async (s: unknown) => s } as unknown as HandlerTable;
  const result = await invokeAction(table, 'saveSettings', { idleLockMinutes: 0, clipboardClearSeconds: 2.5, watchIntervalSeconds: Number.NaN });
  assert.equal(result.ok, false);
  if (result.ok) return;
  const issues = result.error.details?.['issues'] as Array<{ path: string; message: string }>;
  assert.deepEqual(issues, [
    { path: 'idleLockMinutes', message: 'Lock after idle: give a whole number of minutes from 1 to 240.' },
    { path: 'clipboardClearSeconds', message: 'Clear clipboard after: give a whole number of seconds from 5 to 600.' },
    { path: 'watchIntervalSeconds', message: 'Refresh status every: give a whole number of seconds from 2 to 3600.' },
  ]);
});
