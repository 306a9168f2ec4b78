/**
 * The key-check list (docs/protocol.md §2, §12.12): the key ids a receiver accepts, newest first. It can change
 * while the receiver runs: the operator adds the new key's id to the key-check file (or the application's
 * callback returns it) and the receiver re-reads it on SIGHUP and at every status request, before anyone pushes
 * the new key.
 */
import { readFileSync } from 'node:fs';
import { isKeyId } from './encoding.js';
import { ReceiverConfigError } from './errors.js';

/** A fixed list, or a function the receiver calls again at every status and reloadKeyChecks(). */
export type KeyCheckSource = readonly string[] | (() => readonly string[]);

const MAX_FILE_BYTES = 64 * 1024;

/** A key check that is not a key id may be the key itself pasted by mistake: never quote it, only say what to do. */
export const KEY_CHECK_NOT_A_KEY_ID = 'a --key-check value is not a key id (K1-XXXX-XXXX-XXXX-XXXX); '
  + 'if you passed the key itself, treat it as exposed and rotate it';

/** Deduplicated, newest first; at least one, every one a key id. Errors never quote the values. */
export function checkedKeyChecks(ids: readonly unknown[]): string[] {
  if (ids.length === 0) throw new ReceiverConfigError('INVALID_CONFIG', 'at least one key check (key id) is required');
  if (!ids.every((id) => typeof id === 'string' && isKeyId(id))) throw new ReceiverConfigError('INVALID_CONFIG', KEY_CHECK_NOT_A_KEY_ID);
  return [...new Set(ids as string[])];
}

/** One key id per line, newest first; blank lines and `#` comments ignored; a bad line is named by number, never quoted. */
export function readKeyCheckFile(path: string): string[] {
  let text: string;
  try {
    const data = readFileSync(path);
    if (data.length > MAX_FILE_BYTES) throw new ReceiverConfigError('INVALID_CONFIG', `the key-check file ${path} is larger than 64 KiB`);
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch (error) {
    if (error instanceof ReceiverConfigError) throw error;
    throw new ReceiverConfigError('INVALID_CONFIG', `cannot read the key-check file ${path}`);
  }
  const ids: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (!isKeyId(line)) throw new ReceiverConfigError('INVALID_CONFIG', `key-check file line ${index + 1} is not a key id (K1-XXXX-XXXX-XXXX-XXXX)`);
    ids.push(line);
  });
  return ids;
}

/** The --key-check flags first, in order, then the file's lines (read again at every call). */
export function keyCheckSource(flags: readonly string[], file: string | undefined): KeyCheckSource {
  return file === undefined ? [...flags] : () => [...flags, ...readKeyCheckFile(file)];
}
