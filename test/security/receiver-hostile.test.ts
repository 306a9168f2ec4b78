/**
 * Each receiver process (the Node demo server, then the Python one, with the same generator) under attack:
 * more than 10,000 generated malformed, forged, oversized and replayed requests over real HTTP on loopback.
 * Nothing is accepted, the process does not crash, status keeps answering, and a legitimate push still works
 * afterwards. Plus the refusals that need a signing custodian: an attacker-chosen key and a tampered
 * ciphertext, both correctly signed.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { keyId } from '../../src-main/core/crypto/index.js';
import { buildUnlockRequest, fingerprintOf, verifyStatus, type CustodianSigner } from '../../src-main/core/push/index.js';
import { runHostileSuite } from '../support/hostile-requests.js';
import { nodeReceiverCommand, pythonReceiverCommand, startReceiver, type ReceiverProcess } from '../support/receivers.js';

const custodianKeys = generateKeyPairSync('ed25519');
const publicRaw = Buffer.from(createPublicKey(custodianKeys.privateKey).export({ format: 'jwk' }).x as string, 'base64url');
const custodian: CustodianSigner = { privateKey: custodianKeys.privateKey, publicRaw, fingerprint: fingerprintOf(publicRaw) };
const dataKey = randomBytes(32);
const attackerKey = randomBytes(32);
const errorCode = (text: string) => (JSON.parse(text) as { error?: { code: string } }).error?.code;

for (const [implementation, command] of [['Node', nodeReceiverCommand], ['Python', pythonReceiverCommand]] as const) {
  describe(`${implementation} receiver`, () => {
    let receiver: ReceiverProcess;

    const call = (method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; text: string }> => new Promise((resolve, reject) => {
      const req = request(`${receiver.url}/${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => { text += c.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    const freshStatus = async () => verifyStatus((await call('GET', 'status')).text, receiver.identity, receiver.serverId);

    before(async () => {
      receiver = await startReceiver({ command: command(), authorizedCustodians: `${custodian.fingerprint} security-test\n`, keyChecks: [keyId(dataKey)], serverId: 'hostile' });
    });
    after(async () => {
      await receiver?.stop();
    });

    test('an attacker-chosen key, correctly signed and sealed, is refused: alone by the key-order rule, behind the right key by the key check; still locked', async () => {
      const alone = await buildUnlockRequest({ status: await freshStatus(), custodian, keys: [attackerKey], issuedAt: 0 });
      const first = await call('POST', 'unlock', alone.body);
      assert.equal(first.status, 422);
      assert.equal(errorCode(first.text), 'KEY_ORDER_REFUSED');
      const behind = await buildUnlockRequest({ status: await freshStatus(), custodian, keys: [dataKey, attackerKey], issuedAt: 0 });
      const second = await call('POST', 'unlock', behind.body);
      assert.equal(second.status, 422);
      assert.equal(errorCode(second.text), 'KEY_CHECK_FAILED');
      assert.equal((await freshStatus()).state, 'locked');
    });

    test('a tampered ciphertext re-signed by the custodian is refused (DECRYPT_FAILED, "invalid token"); still locked', async () => {
      const unlock = await buildUnlockRequest({ status: await freshStatus(), custodian, keys: [dataKey], issuedAt: 0 });
      const [header, payloadPart] = unlock.token.split('.') as [string, string];
      const payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString()) as { sealed: string };
      const sealed = Buffer.from(payload.sealed, 'base64url');
      sealed[40]! ^= 0x80;
      const tampered = Buffer.from(JSON.stringify({ ...payload, sealed: sealed.toString('base64url') })).toString('base64url');
      const token = `${header}.${tampered}.${sign(null, Buffer.from(`${header}.${tampered}`), custodian.privateKey).toString('base64url')}`;
      const answer = await call('POST', 'unlock', JSON.stringify({ protocol: 'custodian-unlock/1', request: token }));
      assert.equal(answer.status, 400);
      assert.deepEqual(JSON.parse(answer.text), { protocol: 'custodian-unlock/1', error: { code: 'DECRYPT_FAILED', message: 'invalid token' } });
      assert.equal((await freshStatus()).state, 'locked');
    });

    // Bounded by the test timeout, not by a timing assertion (speed is measured in benchmarks only).
    test('>= 10,000 malformed, forged, oversized and replayed requests: nothing accepted, no crash, status answers', { timeout: 240_000 }, async () => {
      const pid = receiver.pid;
      const report = await runHostileSuite({ url: receiver.url, identity: receiver.identity, serverId: receiver.serverId, custodian, rightKey: dataKey, wrongKey: attackerKey }, { count: 10_000, seed: 4242 });
      process.stderr.write(`# ${implementation} hostile suite: ${report.sent} requests in ${report.seconds.toFixed(1)} s; statuses ${JSON.stringify(report.byStatus)}\n# codes ${JSON.stringify(report.byCode)}\n`);
      assert.ok(report.sent >= 10_000, `sent ${report.sent}`);
      assert.deepEqual(report.unexpected, []);
      assert.equal(report.accepted, 0, 'nothing accepted');
      // Every kind of refusal the generator aims at actually happened (the generator is not silently broken).
      for (const code of ['BAD_REQUEST', 'BAD_SIGNATURE', 'UNKNOWN_CUSTODIAN', 'UNSUPPORTED_PROTOCOL', 'WRONG_MESSAGE_TYPE', 'WRONG_SERVER', 'WRONG_BOOT', 'UNKNOWN_CHALLENGE', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'METHOD_NOT_ALLOWED', 'NOT_FOUND']) {
        assert.ok((report.byCode[code] ?? 0) > 0, `no ${code} in ${JSON.stringify(report.byCode)}`);
      }
      assert.equal(receiver.pid, pid, 'same process');
      assert.doesNotMatch(receiver.stderr(), /Traceback|Error:|panic/, 'no crash output');
      assert.ok(!receiver.events().some((e) => e['ok'] === true), 'no unlock event');
      assert.equal((await freshStatus()).state, 'locked');

      // Still fully functional: the legitimate custodian unlocks it.
      const unlock = await buildUnlockRequest({ status: await freshStatus(), custodian, keys: [dataKey], issuedAt: 0 });
      const answer = await call('POST', 'unlock', unlock.body);
      assert.equal(answer.status, 200, answer.text);
      assert.equal((await freshStatus()).state, 'unlocked');
    });
  });
}
