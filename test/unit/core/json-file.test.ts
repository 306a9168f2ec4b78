import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CustodianError } from '../../../src-main/core/errors.js';
import { JsonFile } from '../../../src-main/core/storage/json-file.js';

const validate = (value: unknown): { items: string[] } => {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { items?: unknown }).items)) throw new Error('shape');
  return value as { items: string[] };
};

test('a missing file reads as empty, and writes are 0600 and readable back', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jsonfile-'));
  const file = new JsonFile(join(dir, 'sub', 'data.json'), () => ({ items: [] as string[] }), validate);
  assert.deepEqual(await file.read(), { items: [] });
  await file.update((d) => { d.items.push('a'); });
  assert.deepEqual(await file.read(), { items: ['a'] });
  assert.equal((await stat(file.path)).mode & 0o777, 0o600);
});

test('a corrupt file is reported as METADATA_CORRUPT and left untouched', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jsonfile-'));
  const path = join(dir, 'data.json');
  await writeFile(path, '{"items": [tru');
  const file = new JsonFile(path, () => ({ items: [] as string[] }), validate);
  await assert.rejects(file.read(), (e: unknown) => e instanceof CustodianError && e.code === 'METADATA_CORRUPT');
  await assert.rejects(file.update((d) => { d.items.push('x'); }), (e: unknown) => e instanceof CustodianError && e.code === 'METADATA_CORRUPT');
  assert.equal(await readFile(path, 'utf8'), '{"items": [tru');
  await writeFile(path, '{"other": 1}');
  await assert.rejects(file.read(), (e: unknown) => e instanceof CustodianError && e.code === 'METADATA_CORRUPT');
});

test('concurrent updates in one process do not lose writes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jsonfile-'));
  const file = new JsonFile(join(dir, 'data.json'), () => ({ items: [] as string[] }), validate);
  await Promise.all(Array.from({ length: 20 }, (_, i) => file.update((d) => { d.items.push(String(i)); })));
  assert.equal((await file.read()).items.length, 20);
});
