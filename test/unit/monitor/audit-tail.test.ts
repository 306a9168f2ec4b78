/** AuditTail: what `server watch` reads of the audit log, in a temp custodian home with the real FileAuditLog. */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileAuditLog } from '../../../src-main/core/audit.js';
import { AuditTail } from '../../../src-main/core/monitor/index.js';
import { MemorySecretStore } from '../../../src-main/core/keystore/index.js';

test('only entries appended after the start, complete lines only, a damaged line skipped, a replaced log read again', async () => {
  const home = mkdtempSync(join(tmpdir(), 'custodian-tail-'));
  try {
    const log = new FileAuditLog(home, { secrets: new MemorySecretStore() });
    const missing = await AuditTail.atEnd(log.path);
    assert.deepEqual(await missing.next(), [], 'no log yet');
    await log.record({ action: 'push', outcome: 'error', server: 'before' });
    const tail = await AuditTail.atEnd(log.path);
    assert.deepEqual(await tail.next(), []);
    await log.record({ action: 'push', outcome: 'error', server: 'one' });
    appendFileSync(log.path, 'not json\n{"action":"push","outcome":"error","server":"two"');
    assert.deepEqual((await tail.next()).map((e) => e['server']), ['one'], 'the half-written line waits');
    appendFileSync(log.path, '}\n');
    assert.deepEqual((await tail.next()).map((e) => e['server']), ['two']);
    assert.deepEqual(await tail.next(), []);
    writeFileSync(log.path, '{"action":"push","outcome":"error","server":"restored"}\n');
    assert.deepEqual((await tail.next()).map((e) => e['server']), ['restored']);
    assert.deepEqual((await missing.next()).map((e) => e['server']), ['restored'], 'a log created after the start is read from its start');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
