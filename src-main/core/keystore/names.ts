import { decodeFernetKey } from '../crypto/index.js';
import { CustodianError } from '../errors.js';

export const MAX_NAME_LENGTH = 100;

/**
 * A key name is a label for people: 1-100 characters, no control characters, no surrounding spaces, and not
 * starting with "K1-" (that prefix means a key id wherever a key is referred to), and not itself a Fernet key (names
 * are stored and printed in plain text; a key pasted into the wrong field must not end up there). Names need not
 * be unique.
 */
export function checkKeyName(name: string): string {
  const problem = nameProblem(name);
  if (problem) {
    throw new CustodianError('INVALID_INPUT', `Invalid key name: ${problem}.`, {
      hint: `Choose a name of 1-${MAX_NAME_LENGTH} printable characters, for example "orders-db 2026".`,
    });
  }
  return name;
}

function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_NAME_LENGTH) return `it is longer than ${MAX_NAME_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'it contains control characters';
  if (name.trim() !== name) return 'it starts or ends with spaces';
  if (/^k1-/i.test(name)) return 'names may not start with "K1-", which is how key ids start';
  if (looksLikeKey(name)) return 'it is a Fernet key itself, and names are stored in plain text (pipe the key into `key import` instead)';
  return undefined;
}

function looksLikeKey(name: string): boolean {
  if (name.length !== 44) return false;
  try {
    decodeFernetKey(name).fill(0);
    return true;
  } catch {
    return false;
  }
}
