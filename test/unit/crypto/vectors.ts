// Loads the official Fernet spec vectors from the installed `cryptography_vectors` package at test time
// (never copied into the repository). A missing variable or file fails loudly: scripts/setup.mjs provides them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GenerateVector { token: string; now: string; iv: number[]; src: string; secret: string }
export interface VerifyVector { token: string; now: string; ttl_sec: number; src: string; secret: string }
export interface InvalidVector { desc: string; token: string; now: string; ttl_sec: number; secret: string }

export function vectorsDir(): string {
  const root = process.env.CUSTODIAN_TEST_VECTORS;
  if (!root) {
    throw new Error('CUSTODIAN_TEST_VECTORS is not set: run the tests through `npm test` (scripts/setup.mjs installs '
      + 'the cryptography_vectors package into .venv and exports it), or export it from `node scripts/setup.mjs`.');
  }
  return join(root, 'fernet');
}

export function loadVectors<T>(name: 'generate' | 'verify' | 'invalid'): T[] {
  const file = join(vectorsDir(), `${name}.json`);
  const cases = JSON.parse(readFileSync(file, 'utf8')) as T[];
  if (!Array.isArray(cases) || cases.length === 0) throw new Error(`${file} holds no test cases`);
  return cases;
}

/** The vectors' "now" as milliseconds since the epoch. */
export function vectorTime(now: string): number {
  const ms = Date.parse(now);
  if (Number.isNaN(ms)) throw new Error(`unparsable vector time ${now}`);
  return ms;
}
