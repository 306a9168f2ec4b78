// Re-exports of the receiver under test, plus the spec-vector check of its Fernet (kept apart from the test file
// so the test reads as behaviour).
import assert from 'node:assert/strict';
import { fernetDecrypt, fernetEncrypt } from '../../../receivers/node/src/fernet.js';
import type { GenerateVector, InvalidVector, VerifyVector } from '../crypto/vectors.js';

export { ReceiverCore, createReceiver, type Receiver, type UnlockInfo } from '../../../receivers/node/src/index.js';

const rawOf = (secret: string) => Buffer.from(secret, 'base64url');

export function fernetVectorsCheck(generate: GenerateVector[], verify: VerifyVector[], invalid: InvalidVector[], time: (now: string) => number): void {
  for (const v of generate) {
    const token = fernetEncrypt(rawOf(v.secret), Buffer.from(v.src), Math.floor(time(v.now) / 1000), Buffer.from(v.iv));
    assert.equal(token.toString('ascii'), v.token);
  }
  for (const v of verify) {
    assert.equal(fernetDecrypt(rawOf(v.secret), v.token, Math.floor(time(v.now) / 1000), v.ttl_sec).toString(), v.src);
  }
  for (const v of invalid) {
    assert.throws(() => fernetDecrypt(rawOf(v.secret), v.token, Math.floor(time(v.now) / 1000), v.ttl_sec), /invalid token/, v.desc);
  }
}
