// The Node receiver as an application embeds it: createReceiver() on node:http, the 'unlocked' event, the
// Fernet/MultiFernet API over the pushed keys (checked against the official Fernet vectors and the core's
// Fernet), and lock() wiping the keys and starting a new boot.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Fernet, MultiFernet, keyId } from '../../../src-main/core/crypto/index.js';
import { buildUnlockRequest, fingerprintOf, pushKeys, verifyStatus, type CustodianSigner, type PinnedServer } from '../../../src-main/core/push/index.js';
import { ReceiverCore, createReceiver, fernetVectorsCheck, type Receiver, type UnlockInfo } from './receiver-app-support.js';
import { loadVectors, vectorTime, type GenerateVector, type InvalidVector, type VerifyVector } from '../crypto/vectors.js';

const signerKey = generateKeyPairSync('ed25519').privateKey;
const signerRaw = Buffer.from(createPublicKey(signerKey).export({ format: 'jwk' }).x as string, 'base64url');
const signer: CustodianSigner = { privateKey: signerKey, publicRaw: signerRaw, fingerprint: fingerprintOf(signerRaw) };
const current = randomBytes(32);
const previous = randomBytes(32);

let receiver: Receiver;
let server: Server;
let pinned: PinnedServer;

before(async () => {
  receiver = createReceiver({
    serverId: 'embedded',
    identityKey: generateKeyPairSync('ed25519').privateKey,
    authorizedCustodians: [signer.fingerprint],
    keyChecks: [keyId(current), keyId(previous)],
    basePath: '/internal/custodian',
  });
  // Express-style: paths outside the base go to the application.
  server = createServer((req, res) => receiver.handler(req, res, () => { res.writeHead(200); res.end('app'); }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  pinned = { name: 'embedded', url: `http://127.0.0.1:${port}/internal/custodian`, identity: receiver.identity, serverId: 'embedded', added: '' };
});
after(() => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }));

function get(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(`${pinned.url.replace('/internal/custodian', '')}${path}`, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve(text));
    }).on('error', reject).end();
  });
}

describe('createReceiver embedded in an application', () => {
  it('passes other paths to the application and starts locked', async () => {
    assert.equal(await get('/orders'), 'app');
    assert.equal(receiver.state, 'locked');
    assert.throws(() => receiver.fernet(), /locked/);
  });

  it('emits "unlocked" after a push and decrypts with every pushed key (MultiFernet)', async () => {
    const unlocked = new Promise<UnlockInfo>((resolve) => receiver.once('unlocked', resolve));
    const [result] = await pushKeys({ servers: [pinned], keys: [current, previous], signer });
    assert.equal(result?.outcome, 'unlocked', JSON.stringify(result));
    const info = await unlocked;
    assert.deepEqual(info.keyIds, [keyId(current), keyId(previous)]);
    assert.equal(info.custodian, signer.fingerprint);
    assert.equal(receiver.state, 'unlocked');

    const app = receiver.fernet();
    const oldToken = new Fernet(previous).encrypt(Buffer.from('written before the rotation'));
    assert.equal(app.decrypt(oldToken).toString(), 'written before the rotation');
    const newToken = app.encrypt(Buffer.from('written now'));
    // Encrypts with the current key: the core's Fernet with the current key alone reads it.
    assert.equal(new Fernet(current).decrypt(newToken).toString(), 'written now');
    assert.equal(new MultiFernet([new Fernet(previous), new Fernet(current)]).decrypt(newToken).toString(), 'written now');
    assert.throws(() => app.decrypt(new Fernet(randomBytes(32)).encrypt(Buffer.from('x'))), /invalid token/);
    assert.throws(() => app.decrypt('not a token'), /invalid token/);
  });

  it('lock() wipes the keys, starts a new boot and refuses further use', async () => {
    const boot = receiver.bootId;
    const locked = new Promise<void>((resolve) => receiver.once('locked', resolve));
    receiver.lock();
    await locked;
    assert.equal(receiver.state, 'locked');
    assert.notEqual(receiver.bootId, boot);
    assert.deepEqual(receiver.installedKeyIds, []);
    assert.throws(() => receiver.fernet(), /locked/);
    const [again] = await pushKeys({ servers: [pinned], keys: [current], signer });
    assert.equal(again?.outcome, 'unlocked', 'a new push unlocks the new boot');
  });
});

describe('ReceiverCore.lock()', () => {
  it('zeroes the very buffers that held the keys', async () => {
    const core = new ReceiverCore({ serverId: 's', identityKey: generateKeyPairSync('ed25519').privateKey, authorizedCustodians: [signer.fingerprint], keyChecks: [keyId(current)] });
    const handlerServer = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const answer = req.method === 'GET' ? core.status((req.url ?? '').split('?')[1] ?? '') : await core.unlock(Buffer.concat(chunks), req.headers['content-type']);
        res.writeHead(answer.httpStatus, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => handlerServer.listen(0, '127.0.0.1', resolve));
    try {
      const address = handlerServer.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const [result] = await pushKeys({ servers: [{ name: 's', url: `http://127.0.0.1:${port}/c`, identity: core.identity, serverId: 's', added: '' }], keys: [current], signer });
      assert.equal(result?.outcome, 'unlocked', JSON.stringify(result));
      const held = [...core.installedKeys()];
      assert.deepEqual(held[0], current);
      core.lock();
      assert.ok(held[0]!.every((byte) => byte === 0), 'the key buffer is zeroed');
      assert.equal(core.installedKeys().length, 0);
    } finally {
      await new Promise<void>((resolve) => handlerServer.close(() => resolve()));
    }
  });
});

describe('ReceiverCore while HPKE Open is in flight (it is asynchronous)', () => {
  const newCore = () => new ReceiverCore({ serverId: 's', identityKey: generateKeyPairSync('ed25519').privateKey, authorizedCustodians: [signer.fingerprint], keyChecks: [keyId(current)] });
  const requestFor = async (core: ReceiverCore) => {
    const status = await verifyStatus(JSON.stringify(core.status().body), core.identity, 's');
    return Buffer.from((await buildUnlockRequest({ status, custodian: signer, keys: [current], issuedAt: 0 })).body);
  };

  it('two valid requests at once: one installs, the other is ALREADY_UNLOCKED', async () => {
    const core = newCore();
    const [first, second] = [await requestFor(core), await requestFor(core)];
    const answers = await Promise.all([core.unlock(first, 'application/json'), core.unlock(second, 'application/json')]);
    assert.deepEqual(answers.map((a) => a.httpStatus).sort(), [200, 409]);
    assert.equal((answers.find((a) => a.httpStatus === 409)!.body['error'] as { code: string }).code, 'ALREADY_UNLOCKED');
    assert.equal(core.state, 'unlocked');
    assert.deepEqual(core.installedKeys(), [current]);
  });

  it('lock() during Open: the request is WRONG_BOOT and nothing is installed', async () => {
    const core = newCore();
    const pending = core.unlock(await requestFor(core), 'application/json');
    core.lock();
    const answer = await pending;
    assert.equal((answer.body['error'] as { code: string }).code, 'WRONG_BOOT');
    assert.equal(core.state, 'locked');
    assert.equal(core.installedKeys().length, 0);
  });
});

describe('the receiver\'s Fernet against the official spec vectors', () => {
  it('generate, verify and invalid vectors', () => {
    fernetVectorsCheck(loadVectors<GenerateVector>('generate'), loadVectors<VerifyVector>('verify'), loadVectors<InvalidVector>('invalid'), vectorTime);
  });
});
