import { constants } from 'node:fs';
import { access, lstat, mkdir, open, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { CustodianError } from '../errors.js';

// Where the sheets go: a directory created 0700 if missing, one file per holder created 0600 with O_EXCL (a file
// or link in the way is never overwritten or followed). All or nothing: on any failure the files written so far,
// and the directories this call created, are removed.

/** `<baseName>-share-<k>-of-<n>.pdf` */
export function sheetFileName(baseName: string, index: number, total: number): string {
  return `${baseName}-share-${index}-of-${total}.pdf`;
}

/** A base name is used inside a file name: no path separators, no leading dot, nothing invisible. */
export function checkBaseName(baseName: string): void {
  if (baseName.length === 0 || /[/\\\u0000-\u001f\u007f]/.test(baseName) || baseName.startsWith('.')) {
    throw new CustodianError('INVALID_INPUT', 'The sheets\' base name must be a plain file name part (no "/" or "\\", no leading dot, no control characters).', {
      hint: 'It comes from the key name or the cluster; choose a simpler name.',
    });
  }
}

function unwritable(dir: string, reason: string, cause?: unknown): CustodianError {
  return new CustodianError('OUTPUT_UNWRITABLE', `Cannot write the share sheets to ${dir}: ${reason}. Nothing was written.`, {
    hint: 'Choose a writable, private directory (it is created with mode 0700 if missing), or move the file in the way.',
    ...(cause === undefined ? {} : { cause }),
  });
}

function reasonOf(error: unknown, path: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES': case 'EPERM': return `permission denied at ${path}`;
    case 'EEXIST': return `${path} already exists`;
    case 'ENOTDIR': return `a file is in the way of the directory (${path})`;
    case 'ENOSPC': return 'the disk is full';
    case 'EROFS': return 'the file system is read-only';
    case 'ENAMETOOLONG': return `the file name is too long (${path})`;
    default: return `${code ?? 'error'} at ${path}`;
  }
}

/**
 * Checks, without creating anything, that the sheets could be written: the directory exists and is writable, or
 * can be created under a writable ancestor, and no sheet file exists yet. For callers that must know before an
 * irreversible step (vault init); writeSheetFiles() still handles what changes in between.
 */
export async function checkSheetDirectory(dir: string, fileNames: string[]): Promise<void> {
  const target = resolve(dir);
  let existing = target;
  for (;;) {
    const info = await stat(existing).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw unwritable(dir, reasonOf(error, existing), error);
    });
    if (info) {
      if (!info.isDirectory()) throw unwritable(dir, `${existing} is a file, not a directory`);
      break;
    }
    const parent = dirname(existing);
    if (parent === existing) throw unwritable(dir, 'no part of the path exists');
    existing = parent;
  }
  await access(existing, constants.W_OK | constants.X_OK).catch((error: unknown) => { throw unwritable(dir, reasonOf(error, existing), error); });
  if (existing !== target) return;
  for (const name of fileNames) {
    const path = join(target, name);
    const found = await lstat(path).then(() => true, (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw unwritable(dir, reasonOf(error, path), error);
    });
    if (found) throw unwritable(dir, `${path} already exists (sheets are never overwritten)`);
  }
}

/**
 * Writes `files` (name, bytes) into `dir`, creating it 0700 if missing; each file 0600, never overwriting.
 * Returns the paths in order. On failure removes what it wrote (and the directories it created) and throws
 * OUTPUT_UNWRITABLE. The bytes are not wiped here (the caller owns them).
 */
export async function writeSheetFiles(dir: string, files: Array<{ name: string; bytes: Uint8Array }>): Promise<string[]> {
  const target = resolve(dir);
  let firstCreated: string | undefined;
  try {
    firstCreated = await mkdir(target, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw unwritable(dir, reasonOf(error, target), error);
  }
  const written: string[] = [];
  try {
    const info = await stat(target);
    if (!info.isDirectory()) throw unwritable(dir, `${target} is a file, not a directory`);
    for (const file of files) {
      const path = join(target, file.name);
      let handle;
      try {
        handle = await open(path, 'wx', 0o600);
      } catch (error) {
        throw unwritable(dir, reasonOf(error, path), error);
      }
      written.push(path);
      try {
        await handle.chmod(0o600); // the mode given to open() is reduced by the umask; 0600 exactly
        await handle.writeFile(file.bytes);
        await handle.sync();
      } catch (error) {
        throw unwritable(dir, reasonOf(error, path), error);
      } finally {
        await handle.close();
      }
    }
    return written;
  } catch (error) {
    for (const path of written) await unlink(path).catch(() => undefined);
    if (firstCreated) await removeCreated(target, resolve(firstCreated));
    throw error instanceof CustodianError ? error : unwritable(dir, reasonOf(error, target), error);
  }
}

/** Removes `target` and its parents up to `firstCreated` (the ones mkdir made), if they are empty. */
async function removeCreated(target: string, firstCreated: string): Promise<void> {
  let current = target;
  for (let depth = 0; depth < 256; depth++) {
    await rmdir(current).catch(() => undefined);
    if (current === firstCreated || relative(firstCreated, current).startsWith('..')) return;
    current = dirname(current);
  }
}
