import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CustodianError } from '../errors.js';

/**
 * A JSON document on disk, written atomically (temp file in the same directory, fsync, rename) with mode 0600.
 * A file that exists but does not parse or fails `validate` is reported as METADATA_CORRUPT and never replaced:
 * the user decides what to do with it.
 *
 * Only for non-secret state. Nothing in here may hold key material.
 */
export class JsonFile<T> {
  constructor(
    readonly path: string,
    private readonly empty: () => T,
    private readonly validate: (value: unknown) => T,
  ) {}

  async read(): Promise<T> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return this.empty();
      throw new CustodianError('STORAGE_FAILED', `Cannot read ${this.path}.`, {
        hint: 'Check the file permissions of the Key Custodian config directory.',
        cause: error,
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw corrupt(this.path);
    }
    try {
      return this.validate(parsed);
    } catch {
      throw corrupt(this.path);
    }
  }

  async write(value: T): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (error) {
      await rm(temp, { force: true });
      throw new CustodianError('STORAGE_FAILED', `Cannot write ${this.path}.`, {
        hint: 'Check free disk space and the permissions of the Key Custodian config directory.',
        cause: error,
      });
    }
  }

  /** Read, change and write back; serialised within this process so concurrent updates do not lose writes. */
  async update<R>(change: (current: T) => R | Promise<R>): Promise<R> {
    const run = this.queue.then(async () => {
      const current = await this.read();
      const result = await change(current);
      await this.write(current);
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private queue: Promise<unknown> = Promise.resolve();
}

function corrupt(path: string): CustodianError {
  return new CustodianError('METADATA_CORRUPT', `${path} is not valid Key Custodian data; it was left untouched.`, {
    hint: 'Restore it from a backup or move it aside; Key Custodian will not overwrite it.',
  });
}
