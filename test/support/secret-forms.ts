/**
 * The ways a leaked key could show up in text or files: raw bytes, hex (either case), base64 and base64url (with
 * and without padding), and the Fernet key text itself. Security tests look for every form.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function secretForms(raw: Uint8Array): Buffer[] {
  const bytes = Buffer.from(raw);
  const base64 = bytes.toString('base64');
  const base64url = bytes.toString('base64url');
  const forms = [
    bytes,
    Buffer.from(bytes.toString('hex')),
    Buffer.from(bytes.toString('hex').toUpperCase()),
    Buffer.from(base64),
    Buffer.from(base64.replace(/=+$/, '')),
    Buffer.from(base64url),
    Buffer.from(`${base64url}${'='.repeat((4 - (base64url.length % 4)) % 4)}`),
  ];
  // Also the first half (signing key) and second half (encryption key) on their own, in hex and base64.
  for (const half of [bytes.subarray(0, 16), bytes.subarray(16)]) {
    forms.push(Buffer.from(half.toString('hex')), Buffer.from(half.toString('base64').replace(/=+$/, '')), Buffer.from(half.toString('base64url')));
  }
  return forms;
}

/** Names of the forms found in `haystack` (empty when clean). */
export function leakedForms(haystack: Uint8Array | string, raw: Uint8Array): string[] {
  const text = typeof haystack === 'string' ? Buffer.from(haystack) : Buffer.from(haystack);
  const names = ['raw', 'hex', 'HEX', 'base64', 'base64 unpadded', 'base64url', 'key text', 'signing hex', 'signing base64', 'signing base64url', 'encryption hex', 'encryption base64', 'encryption base64url'];
  return secretForms(raw).flatMap((form, index) => (text.includes(form) ? [names[index] ?? `form ${index}`] : []));
}

/** Every regular file under `dir` whose content holds the key in some form, as "path: forms". */
export function filesLeaking(dir: string, raw: Uint8Array): string[] {
  const found: string[] = [];
  const walk = (path: string): void => {
    let info;
    try { info = statSync(path); } catch { return; }
    if (info.isDirectory()) {
      for (const name of readdirSync(path)) walk(join(path, name));
    } else if (info.isFile()) {
      const forms = leakedForms(readFileSync(path), raw);
      if (forms.length > 0) found.push(`${path}: ${forms.join(', ')}`);
    }
  };
  walk(dir);
  return found;
}

/** All regular files under `dir` (to show that a scan looked at something). */
export function filesUnder(dir: string): string[] {
  const files: string[] = [];
  const walk = (path: string): void => {
    let info;
    try { info = statSync(path); } catch { return; }
    if (info.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    else if (info.isFile()) files.push(path);
  };
  walk(dir);
  return files;
}
