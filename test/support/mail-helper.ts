/**
 * The Python mail-helper example app (receivers/python/examples/mail_helper, ENCRYPTION_KEY_SOURCE=custodian) as a
 * rotation target: rows seeded under a key, the app started as a receiver with given key checks, its own
 * re-encryption job (`python -m mail_helper rotate`), and a check of which rows open with a key alone (Python's
 * cryptography, outside the app). Shared by the rotation tests (integration: the CLI; e2e: the desktop app); needs
 * CUSTODIAN_TEST_PYTHON.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './protocol-vectors.js';
import { startReceiver, type ReceiverProcess } from './receivers.js';

const EXAMPLE_DIR = join(repoRoot(), 'receivers', 'python', 'examples', 'mail_helper');
/** The receiver package of this tree (rekey, tokens_under_previous), ahead of any installed copy in the venv. */
export const MAIL_HELPER_PYTHONPATH = [EXAMPLE_DIR, join(repoRoot(), 'receivers', 'python', 'src')].join(':');

export function testPython(): string {
  const python = process.env['CUSTODIAN_TEST_PYTHON'] ?? '';
  assert.ok(python, 'CUSTODIAN_TEST_PYTHON must name the venv python');
  return python;
}

const pyEnv = (): NodeJS.ProcessEnv => ({ ...process.env, PYTHONPATH: MAIL_HELPER_PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1' });

/** `count` rows under `keyText` in dir/mail.db (the key on stdin, as a data job would take it). */
export function seedRows(dir: string, keyText: string, count: number): void {
  for (let i = 0; i < count; i++) {
    const run = spawnSync(testPython(), ['-m', 'mail_helper.seed', '--sender', `user${i}@example.org`, '--database-url', `sqlite:///${join(dir, 'mail.db')}`], {
      input: `${keyText}\nmessage ${i} of ${dir}`, env: pyEnv(), encoding: 'utf8', timeout: 30_000,
    });
    assert.equal(run.status, 0, run.stderr);
  }
}

/** The app on dir's database, as a receiver (same dir and port: same identity and URL across restarts). */
export function startMailHelper(name: string, dir: string, authorizedCustodians: string, keyChecks: readonly string[], port?: number): Promise<ReceiverProcess> {
  return startReceiver({
    command: [testPython(), '-m', 'mail_helper'], dir, serverId: name, authorizedCustodians, keyChecks, ...(port ? { port } : {}),
    env: { PYTHONPATH: MAIL_HELPER_PYTHONPATH, PYTHONDONTWRITEBYTECODE: '1', ENCRYPTION_KEY_SOURCE: 'custodian', DATABASE_URL: `sqlite:///${join(dir, 'mail.db')}` },
  });
}

export function appUrl(receiver: ReceiverProcess): string {
  return receiver.url.replace(/\/custodian$/, '');
}

/** The app's own re-encryption job, run against its URL, in batches. */
export function reencrypt(receiver: ReceiverProcess): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(testPython(), ['-m', 'mail_helper', 'rotate', '--app-url', appUrl(receiver), '--batch-size', '10'], { env: pyEnv(), encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** How many stored rows decrypt with `keyText` alone. */
export function rowsOpeningWith(dir: string, keyText: string): { opened: number; total: number } {
  const script = [
    'import sqlite3, sys', 'from cryptography.fernet import Fernet, InvalidToken',
    'f = Fernet(sys.stdin.readline().strip().encode())', 'rows = sqlite3.connect(sys.argv[1]).execute("select body_encrypted from messages").fetchall()',
    'opened = 0', 'for (token,) in rows:', '    try:', '        f.decrypt(token if isinstance(token, bytes) else token.encode()); opened += 1', '    except InvalidToken:', '        pass',
    'print(opened, len(rows))',
  ].join('\n');
  const run = spawnSync(testPython(), ['-c', script, join(dir, 'mail.db')], { input: `${keyText}\n`, encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  const [opened, total] = run.stdout.trim().split(' ').map(Number);
  return { opened: opened!, total: total! };
}
