/** Messages between the rotation pool (main thread) and its workers, over one MessagePort per worker. */
import type { MessagePort } from 'node:worker_threads';

/** The raw keys, once per worker: n × 32 bytes in a transferred ArrayBuffer (the new key first). */
export interface KeysMessage { type: 'keys'; keys: ArrayBuffer }
/** Lines to rotate (see line-batches.ts); `data` is transferred. */
export interface BatchMessage { type: 'batch'; seq: number; data: ArrayBuffer }
/** No more batches: wipe the keys and stop. */
export interface EndMessage { type: 'end' }
export type ToWorker = KeysMessage | BatchMessage | EndMessage;

/** The rotated tokens of batch `seq`, each followed by "\n", in input order; `data` is transferred. */
export interface RotatedMessage { type: 'rotated'; seq: number; data: ArrayBuffer }
/** Line `index` (0-based within batch `seq`) is not a token under any of the keys. */
export interface InvalidMessage { type: 'invalid'; seq: number; index: number; code: 'INVALID_TOKEN' | 'TOKEN_EXPIRED' }
/** Anything else went wrong; only the error's class name and code travel (a message might quote input). */
export interface FailedMessage { type: 'failed'; name: string; code?: string }
/** The keys are wiped; the worker is about to exit. */
export interface WipedMessage { type: 'wiped' }
export type FromWorker = RotatedMessage | InvalidMessage | FailedMessage | WipedMessage;

/** workerData of a rotation worker: the port it listens on. */
export interface RotateWorkerData { port: MessagePort }
