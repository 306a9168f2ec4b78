// The Node receiver embedded in an application (createReceiver as middleware on node:http): a custodian's
// remote lock reaches the onLock listeners before the lock answer leaves and the application loses the keys at
// once; hostile spellings of the receiver's paths go to the application (next()), never to the receiver.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createReceiver, hardenServer, keyIdOf, receiverServerOptions, type LockInfo, type Receiver } from '../../../receivers/node/src/index.js';
import { http, lockBody, newSigner, openJws, parseRaw, rawHttp, readStatus, unlockBody } from './receiver-node-client.js';

const custodian = newSigner();
const current = randomBytes(32);
let receiver: Receiver;
let server: Server;
let base: string;
let port: number;
const appSaw: string[] = [];

before(async () => {
  receiver = createReceiver({
    serverId: 'embedded',
    identityKey: generateKeyPairSync('ed25519').privateKey,
    authorizedCustodians: [custodian.fingerprint],
    keyChecks: [keyIdOf(current)],
    basePath: '/internal/custodian',
  });
  server = hardenServer(createServer(receiverServerOptions(), (req, res) => receiver.handler(req, res, () => {
    appSaw.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 });
    res.end('app');
  })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  base = `http://127.0.0.1:${port}/internal/custodian`;
});
after(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }));

describe('createReceiver embedded: remote lock and listeners', () => {
  it('a remote lock calls onLock before its answer is sent; the application cannot use the keys afterwards', async () => {
    const unlocked = await http(`${base}/unlock`, { body: await unlockBody(await readStatus(base, receiver.identity), custodian, [current], [keyIdOf(current)]) });
    assert.equal(unlocked.status, 200, unlocked.text);
    const token = receiver.fernet().encrypt(Buffer.from('order 17'));
    const order: string[] = [];
    const heard: LockInfo[] = [];
    let stateInListener = '';
    const unsubscribe = receiver.onLock((info) => {
      heard.push(info);
      stateInListener = receiver.state;
      order.push('listener');
      assert.throws(() => receiver.fernet(), /locked/, 'the keys are already gone when the listener runs');
    });
    const lockedEvent = new Promise<LockInfo>((resolve) => receiver.once('locked', resolve));
    const status = await readStatus(base, receiver.identity);
    const answer = await http(`${base}/lock`, { body: lockBody(status, custodian) });
    order.push('answer');
    unsubscribe();
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(order, ['listener', 'answer']);
    assert.equal(stateInListener, 'locked');
    assert.deepEqual(heard, [{ reason: 'remote', bootId: status.payload['boot_id'], custodian: custodian.fingerprint }]);
    assert.deepEqual(await lockedEvent, heard[0]);
    assert.equal(openJws(String(answer.json()['receipt'])).payload['type'], 'lock_receipt');
    assert.throws(() => receiver.fernet(), /locked/);
    assert.ok(typeof token === 'string' || Buffer.isBuffer(token));
    // A local lock() reaches the listeners too; an unsubscribed one is not called again.
    const local: LockInfo[] = [];
    const stop = receiver.core.onLock((info) => local.push(info));
    receiver.lock();
    stop();
    receiver.lock();
    assert.equal(local.length, 1);
    assert.equal(local[0]!.reason, 'local');
    assert.equal(heard.length, 1);
  });

  it('a throwing listener does not keep the others from hearing about the lock', () => {
    const heard: string[] = [];
    const a = receiver.onLock(() => { throw new Error('listener bug'); });
    const b = receiver.onLock(() => heard.push('b'));
    receiver.lock();
    a();
    b();
    assert.deepEqual(heard, ['b']);
  });
});

describe('createReceiver embedded: hostile spellings of its paths go to the application', () => {
  for (const target of ['/x/../internal/custodian/unlock', '/internal/custodian/./unlock', '/internal/custodian/%75nlock', '//internal/custodian/unlock', '/internal/custodian/unlock#f']) {
    it(`POST ${target} is the application's, not the receiver's`, async () => {
      appSaw.length = 0;
      const body = '{}';
      const answer = await rawHttp(port, `POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n${body}`);
      assert.equal(parseRaw(answer.text).status, 200);
      assert.ok(answer.text.endsWith('app'));
      assert.deepEqual(appSaw, [target]);
    });
  }
  it('other paths go to the application; the exact path is the receiver\'s', async () => {
    assert.equal((await http(`http://127.0.0.1:${port}/orders`)).text, 'app');
    assert.equal((await http(`${base}/identity`)).json()['handovers'] instanceof Array, true);
  });
});
