/**
 * Serializes appends to one audit log across processes (the CLI and the app may run at once) and within one
 * process. Across processes: a lock file created with O_EXCL holding "<pid> <host> <ms>". A lock whose process is
 * gone (same host, no such pid: a kill -9) or that is older than STALE_MS is taken over: it is renamed away
 * first (atomic, so two waiters cannot both take it over) and then removed.
 */
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { CustodianError } from '../errors.js';

const STALE_MS = 60_000;
const DEFAULT_WAIT_MS = 15_000;
const inProcess = new Map<string, Promise<unknown>>();

export async function withFileLock<T>(path: string, work: () => Promise<T>, waitMs = DEFAULT_WAIT_MS): Promise<T> {
  const previous = inProcess.get(path) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(async () => {
    await acquire(path, waitMs);
    try {
      return await work();
    } finally {
      await unlink(path).catch(() => undefined);
    }
  });
  inProcess.set(path, run);
  try {
    return await run;
  } finally {
    if (inProcess.get(path) === run) inProcess.delete(path);
  }
}

async function acquire(path: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid} ${hostname()} ${Date.now()}\n`);
      } finally {
        await handle.close();
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw lockError(error);
    }
    if (await isStale(path)) {
      const aside = `${path}.stale-${process.pid}-${attempt}`;
      if (await rename(path, aside).then(() => true, () => false)) await unlink(aside).catch(() => undefined);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new CustodianError('AUDIT_BUSY', `Another Key Custodian process has held the audit log's lock for over ${Math.round(waitMs / 1000)} s, so this action was not recorded and did not run.`, {
        hint: `Wait for the other custodian command (or the desktop app) to finish and try again. If none runs, remove ${path}.`,
      });
    }
    await sleep(2 + Math.floor(Math.random() * 8));
  }
}

async function isStale(path: string): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    if (Date.now() - info.mtimeMs > STALE_MS) return true;
    const [pidText, host] = text.trim().split(' ');
    const pid = Number(pidText);
    if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    return false; // gone already, or being written: try again
  }
}

function lockError(error: unknown): CustodianError {
  return new CustodianError('AUDIT_WRITE_FAILED', 'The audit log\'s lock file could not be created, so this action was not recorded and did not run.', {
    hint: 'Check that the custodian home directory exists, is writable and the disk is not full.',
    cause: error,
  });
}
