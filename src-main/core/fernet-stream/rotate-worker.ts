/**
 * A rotation worker thread (started by worker-pool.ts; a separate entry of the CLI bundle, vite.cli.config.ts).
 * It receives the raw keys once, rotates batches of token lines with MultiFernet until told to end, then wipes
 * its copies of the keys and says so. Plaintexts are wiped inside MultiFernet.rotate.
 */
import { type MessagePort, workerData } from 'node:worker_threads';
import { Fernet, MultiFernet } from '../crypto/index.js';
import { CustodianError } from '../errors.js';
import { tokenLines } from '../token-file.js';
import type { FromWorker, RotateWorkerData, ToWorker } from './protocol.js';

const FERNET_KEY_LENGTH = 32;
const NEWLINE = 0x0a;

const port: MessagePort = (workerData as RotateWorkerData).port;
let fernets: Fernet[] = [];
let multi: MultiFernet | undefined;

const send = (message: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

function useKeys(buffer: ArrayBuffer): void {
  const keys = new Uint8Array(buffer);
  try {
    for (let offset = 0; offset + FERNET_KEY_LENGTH <= keys.length; offset += FERNET_KEY_LENGTH) {
      fernets.push(new Fernet(keys.subarray(offset, offset + FERNET_KEY_LENGTH)));
    }
    multi = new MultiFernet(fernets);
  } finally {
    keys.fill(0); // each Fernet keeps its own copy, wiped at the end
  }
}

function rotate(seq: number, data: ArrayBuffer): void {
  if (!multi) throw new CustodianError('INTERNAL', 'a rotation worker got tokens before its keys');
  const lines = tokenLines(Buffer.from(data));
  const rotated: Buffer[] = [];
  let length = 0;
  for (const [index, line] of lines.entries()) {
    try {
      const token = multi.rotate(line);
      rotated.push(token);
      length += token.length + 1;
    } catch (error) {
      if (error instanceof CustodianError && (error.code === 'INVALID_TOKEN' || error.code === 'TOKEN_EXPIRED')) {
        send({ type: 'invalid', seq, index, code: error.code });
        return;
      }
      throw error;
    }
  }
  // One buffer per batch keeps the messages few; it has its own ArrayBuffer, so it moves without a copy.
  const out = new Uint8Array(new ArrayBuffer(length));
  let offset = 0;
  for (const token of rotated) {
    out.set(token, offset);
    offset += token.length;
    out[offset++] = NEWLINE;
  }
  send({ type: 'rotated', seq, data: out.buffer }, [out.buffer]);
}

function end(): void {
  for (const fernet of fernets) fernet.wipe();
  fernets = [];
  multi = undefined;
  send({ type: 'wiped' });
  port.close();
}

port.on('message', (message: ToWorker) => {
  try {
    if (message.type === 'keys') useKeys(message.keys);
    else if (message.type === 'batch') rotate(message.seq, message.data);
    else end();
  } catch (error) {
    const code = error instanceof CustodianError ? error.code : undefined;
    send({ type: 'failed', name: error instanceof Error ? error.name : typeof error, ...(code ? { code } : {}) });
  }
});
