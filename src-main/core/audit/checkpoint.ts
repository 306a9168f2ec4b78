/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint) note text: origin line, tree size in decimal, base64
 * root hash, each ending in a newline (no extension lines). Signed as a C2SP signed-note (note.ts).
 */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
}

export function checkpointText(checkpoint: Checkpoint): string {
  return `${checkpoint.origin}\n${checkpoint.size}\n${checkpoint.root.toString('base64')}\n`;
}

export function parseCheckpointText(text: string): Checkpoint | null {
  const lines = text.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '') return null;
  const [origin, sizeText, rootText] = lines;
  if (!origin || !sizeText || !rootText || !/^(0|[1-9][0-9]{0,15})$/.test(sizeText)) return null;
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== 32 || root.toString('base64') !== rootText) return null;
  return { origin, size: Number(sizeText), root };
}
