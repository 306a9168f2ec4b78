import { open, rename } from 'node:fs/promises';

/** Writes a small file by write-to-temp, optional fsync, rename: a reader sees the old or the new, never half. */
export async function replaceFile(path: string, data: string | Buffer, durable: boolean): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(data);
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}
