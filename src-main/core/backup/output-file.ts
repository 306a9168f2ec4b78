import { randomBytes } from 'node:crypto';
import { link, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CustodianError } from '../errors.js';

/**
 * Writes a backup file with mode 0600, atomically: a temp file in the same directory, fsync, then link (which
 * fails if the target exists, so nothing is overwritten without `force`) or rename (with `force`). A failure
 * leaves no partial file and no temp file.
 */
export async function writePrivateFile(path: string, bytes: Uint8Array, options: { force?: boolean } = {}): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.force) await rename(temp, path);
    else await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' && !options.force) {
      throw new CustodianError('CONFIRMATION_REQUIRED', 'The output file already exists; it was not overwritten.', {
        hint: 'Choose another --out path, or add --force to replace the file.',
      });
    }
    throw new CustodianError('OUTPUT_UNWRITABLE', 'The backup file cannot be written there; nothing was written.', {
      hint: 'Choose a writable, private directory for --out (check that it exists and its permissions).',
      cause: error,
    });
  } finally {
    await rm(temp, { force: true }).catch(() => undefined);
  }
}
