/**
 * The Node demo receiver (bin/custodian-receiver.js, a real process on loopback) against hostile HTTP, as the
 * review of issue 10 §5 attacked it: paths that a normalizing router would have accepted, missing Host,
 * conflicting framing, duplicate JSON members and non-integer numbers in signed requests, a status flood that
 * used to evict the custodian's challenge, and slow clients holding connections. Every loop is bounded in count
 * and time.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { keyIdOf } from '../../receivers/node/src/index.js';
import { startReceiver, type ReceiverProcess } from '../support/receivers.js';
import {
  PROTOCOL, http, jws, jwsText, newSigner, parseRaw, rawHttp, readStatus, unlockBody, type TestSigner,
} from '../unit/protocol/receiver-node-client.js';

const custodian: TestSigner = newSigner();
const keys = { current: randomBytes(32), previous: randomBytes(32) };
const ids = { current: keyIdOf(keys.current), previous: keyIdOf(keys.previous) };
const started: ReceiverProcess[] = [];

async function receiver(): Promise<ReceiverProcess> {
  const r = await startReceiver({ authorizedCustodians: `${custodian.fingerprint} test custodian\n`, keyChecks: [ids.current, ids.previous], serverId: 'app-1' });
  started.push(r);
  return r;
}
after(async () => { await Promise.all(started.map((r) => r.stop())); });

const stateOf = async (r: ReceiverProcess) => String((await readStatus(r.url, r.identity)).payload['state']);

describe('Node receiver process: routes are matched byte for byte (§12.8)', () => {
  let r: ReceiverProcess;
  before(async () => { r = await receiver(); });

  const misses = [
    ['POST', '/x/../custodian/unlock'],
    ['POST', '/custodian/%2e%2e/custodian/unlock'],
    ['POST', '/custodian/%2E%2E/custodian/unlock'],
    ['POST', '/custodian/%75nlock'],
    ['POST', '/custodian/./unlock'],
    ['POST', '//h/custodian/unlock'],
    ['POST', '//custodian/unlock'],
    ['POST', '/custodian//unlock'],
    ['POST', 'http://127.0.0.1/custodian/unlock'],
    ['POST', '/custodian/unlock#x'],
    ['GET', '/custodian/status#frag'],
    ['GET', '/custodian/status?nonce=x#frag'],
    ['GET', '/custodian/status/'],
    ['GET', '/CUSTODIAN/status'],
    ['GET', '/custodian/metrics'],
  ] as const;
  for (const [method, target] of misses) {
    it(`${method} ${target} -> 404 NOT_FOUND`, async () => {
      const body = '{"protocol":"custodian-unlock/1","request":"a.b.c"}';
      const text = method === 'POST'
        ? `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`
        : `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
      const answer = parseRaw((await rawHttp(r.port, text)).text);
      assert.deepEqual([answer.status, answer.code], [404, 'NOT_FOUND']);
    });
  }

  it('the exact routes still answer (control)', async () => {
    assert.equal((await http(`${r.url}/status?nonce=${randomBytes(16).toString('base64url')}`)).status, 200);
    assert.equal((await http(`${r.url}/identity`)).text, JSON.stringify({ protocol: PROTOCOL, handovers: [] }));
    const reached = await http(`${r.url}/unlock`, { body: '{}' });
    assert.deepEqual([reached.status, (reached.json()['error'] as { code: string }).code], [400, 'BAD_REQUEST']);
  });

  for (const [method, path, allow] of [['PUT', 'unlock', 'POST'], ['GET', 'unlock', 'POST'], ['DELETE', 'status', 'GET'], ['POST', 'status', 'GET'], ['PATCH', 'lock', 'POST'], ['GET', 'custodians', 'POST'], ['POST', 'identity', 'GET']] as const) {
    it(`${method} {base}/${path} -> 405 METHOD_NOT_ALLOWED with Allow: ${allow}`, async () => {
      const answer = await http(`${r.url}/${path}`, { method, ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }) });
      assert.equal(answer.status, 405);
      assert.equal(answer.headers['allow'], allow);
      assert.equal((answer.json()['error'] as { code: string }).code, 'METHOD_NOT_ALLOWED');
    });
  }

  it('an unknown method is a 400, never 501', async () => {
    const answer = parseRaw((await rawHttp(r.port, 'BREW /custodian/status HTTP/1.1\r\nHost: x\r\n\r\n')).text);
    assert.equal(answer.status, 400);
  });
});

describe('Node receiver process: Host and framing (§12.8)', () => {
  let r: ReceiverProcess;
  before(async () => { r = await receiver(); });
  const body = '{"protocol":"custodian-unlock/1","request":"a.b.c"}';
  const cases: [string, string][] = [
    ['HTTP/1.1 without Host', 'GET /custodian/status HTTP/1.1\r\n\r\n'],
    ['HTTP/1.0 without Host', 'GET /custodian/status HTTP/1.0\r\n\r\n'],
    ['two Host headers', 'GET /custodian/status HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
    ['two equal Content-Length headers', `POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nContent-Length: ${body.length}\r\n\r\n${body}`],
    ['two different Content-Length headers', `POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: ${body.length}\r\n\r\n${body}`],
    ['Content-Length with a list', `POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}, ${body.length}\r\n\r\n${body}`],
    ['Content-Length with a sign', `POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: +${body.length}\r\n\r\n${body}`],
    ['Transfer-Encoding and Content-Length', `POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: ${body.length}\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`],
    ['Transfer-Encoding: identity with a length', `POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: identity\r\nContent-Length: ${body.length}\r\n\r\n${body}`],
    ['Transfer-Encoding: identity alone', `POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: identity\r\n\r\n${body}`],
    ['Transfer-Encoding: gzip, chunked', `POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`],
    ['two Transfer-Encoding headers', `POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`],
  ];
  for (const [name, text] of cases) {
    it(`${name} -> 400 BAD_REQUEST and the connection is closed`, async () => {
      const { text: answer, closedBy } = await rawHttp(r.port, text, { timeoutMs: 3000 });
      const parsed = parseRaw(answer);
      assert.deepEqual([parsed.status, parsed.code], [400, 'BAD_REQUEST'], answer);
      assert.equal(closedBy, 'server');
    });
  }

  it('a single chunked body is fine (control)', async () => {
    const text = `POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const parsed = parseRaw((await rawHttp(r.port, text)).text);
    assert.deepEqual([parsed.status, parsed.code], [400, 'BAD_REQUEST'], 'it reaches the protocol (a.b.c is not a JWS)');
    const good = `GET /custodian/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
    assert.equal(parseRaw((await rawHttp(r.port, good)).text).status, 200);
  });
});

describe('Node receiver process: strict JSON in signed requests (§12.3)', () => {
  let r: ReceiverProcess;
  before(async () => { r = await receiver(); });

  it('refuses duplicate members and 1e3 / 1000.0 / -0 in signed requests, stays locked, then accepts the honest request', async () => {
    const status = await readStatus(r.url, r.identity);
    const honest = await unlockBody(status, custodian, [keys.current, keys.previous], [ids.current, ids.previous]);
    const token = String((JSON.parse(honest) as { request: string }).request);
    const [h, p] = token.split('.') as [string, string];
    const payloadText = Buffer.from(p, 'base64url').toString();
    const issuedAt = String((JSON.parse(payloadText) as { issued_at: number }).issued_at);
    const x = custodian.publicRaw.toString('base64url');
    const headerDup = `{"alg":"none","alg":"EdDSA","typ":"custodian-unlock+jws","jwk":{"kty":"OKP","crv":"Ed25519","x":"${x}"}}`;
    const input = `${Buffer.from(headerDup).toString('base64url')}.${p}`;
    const { sign } = await import('node:crypto');
    const dupHeaderToken = `${input}.${sign(null, Buffer.from(input), custodian.privateKey).toString('base64url')}`;
    const hostile: [string, string][] = [
      ['envelope with "request" twice', `{"protocol":"${PROTOCOL}","request":"x","request":"${token}"}`],
      ['envelope with "protocol" twice', `{"protocol":"custodian-unlock/0","protocol":"${PROTOCOL}","request":"${token}"}`],
      ['header with "alg" twice', JSON.stringify({ protocol: PROTOCOL, request: dupHeaderToken })],
      ['payload with "key_ids" twice', JSON.stringify({ protocol: PROTOCOL, request: jwsText(custodian, 'custodian-unlock+jws', payloadText.replace('"key_ids":', `"key_ids":["${ids.previous}"],"key_ids":`)) })],
      ['issued_at written 1e3', JSON.stringify({ protocol: PROTOCOL, request: jwsText(custodian, 'custodian-unlock+jws', payloadText.replace(`"issued_at":${issuedAt}`, '"issued_at":1e3')) })],
      ['issued_at written 1000.0', JSON.stringify({ protocol: PROTOCOL, request: jwsText(custodian, 'custodian-unlock+jws', payloadText.replace(`"issued_at":${issuedAt}`, '"issued_at":1000.0')) })],
      ['issued_at written -0', JSON.stringify({ protocol: PROTOCOL, request: jwsText(custodian, 'custodian-unlock+jws', payloadText.replace(`"issued_at":${issuedAt}`, '"issued_at":-0')) })],
    ];
    assert.ok(h.length > 0);
    for (const [name, body] of hostile) {
      const answer = await http(`${r.url}/unlock`, { body });
      assert.equal(answer.status, 400, name);
      assert.equal((answer.json()['error'] as { code: string }).code, 'BAD_REQUEST', name);
    }
    assert.equal(await stateOf(r), 'locked');
    const accepted = await http(`${r.url}/unlock`, { body: honest });
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(await stateOf(r), 'unlocked');
  });

  it('a signature by an unknown key that does not verify is BAD_SIGNATURE, not UNKNOWN_CUSTODIAN (§12.3)', async () => {
    const stranger = newSigner();
    const status = await readStatus(r.url, r.identity);
    const token = jws(stranger, 'custodian-lock+jws', { protocol: PROTOCOL, type: 'lock', server_id: 'app-1', receiver_identity: r.identity, boot_id: status.payload['boot_id'], challenge: status.payload['challenge'], custodian: stranger.fingerprint, issued_at: 1 });
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${Buffer.alloc(64, 1).toString('base64url')}`;
    const answer = await http(`${r.url}/lock`, { body: JSON.stringify({ protocol: PROTOCOL, request: forged }) });
    assert.deepEqual([answer.status, (answer.json()['error'] as { code: string }).code], [401, 'BAD_SIGNATURE']);
    const signed = await http(`${r.url}/lock`, { body: JSON.stringify({ protocol: PROTOCOL, request: token }) });
    assert.deepEqual([signed.status, (signed.json()['error'] as { code: string }).code], [403, 'UNKNOWN_CUSTODIAN']);
    assert.equal(await stateOf(r), 'unlocked', 'nothing changed');
  });
});

describe('Node receiver process: a status flood cannot evict a custodian\'s challenge (§12.1)', () => {
  let r: ReceiverProcess;
  before(async () => { r = await receiver(); });

  it('500 status requests from another client after the custodian read its status: the unlock still succeeds', async () => {
    const status = await readStatus(r.url, r.identity);
    const deadline = Date.now() + 60_000;
    let sent = 0;
    const worker = async () => {
      while (sent < 500 && Date.now() < deadline) {
        sent++;
        const answer = await http(`${r.url}/status`);
        assert.equal(answer.status, 200);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    assert.equal(sent, 500, 'the flood was sent in time');
    const answer = await http(`${r.url}/unlock`, { body: await unlockBody(status, custodian, [keys.current], [ids.current]) });
    assert.equal(answer.status, 200, `revision 1 answered UNKNOWN_CHALLENGE here; got ${answer.text}`);
    assert.equal(await stateOf(r), 'unlocked');
  });
});

describe('Node receiver process: slow clients (§12.8)', () => {
  let r: ReceiverProcess;
  before(async () => { r = await receiver(); });

  it('40 slow connections from one address: 16 are kept, the rest closed at once; a real status from another address answers; the deadline closes the 16', async () => {
    const { connect } = await import('node:net');
    const t0 = Date.now();
    const closedAt: (number | null)[] = Array.from({ length: 40 }, () => null);
    const sockets = Array.from({ length: 40 }, (_, i) => {
      const socket = connect({ port: r.port, host: '127.0.0.1', localAddress: '127.0.0.2' });
      socket.on('error', () => {});
      socket.on('data', () => {});   // read, so the server's close is seen when it happens
      socket.on('close', () => { closedAt[i] = Date.now() - t0; });
      // One header byte now and then: a slow-loris client that never finishes its request.
      socket.on('connect', () => socket.write('GET /custodian/status HTTP/1.1\r\nHost: x\r\n'));
      return socket;
    });
    const trickle = setInterval(() => { for (const s of sockets) if (!s.destroyed) s.write('X'); }, 2000);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const closedEarly = closedAt.filter((t) => t !== null).length;
      assert.equal(closedEarly, 24, `closed at once: ${JSON.stringify(closedAt)}`);
      const before = Date.now();
      const status = await readStatus(r.url, r.identity, { localAddress: '127.0.0.1' });
      assert.equal(status.payload['state'], 'locked');
      assert.ok(Date.now() - before < 2000, 'the real status answered quickly');
      // The 10 s deadline (from each request's first byte) closes the held ones, trickle or not.
      const until = Date.now() + 15_000;
      while (closedAt.some((t) => t === null) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 250));
      const late = closedAt.filter((t) => t !== null && t > 1500) as number[];
      assert.equal(late.length, 16, `still open: ${closedAt.filter((t) => t === null).length}`);
      for (const t of late) assert.ok(t >= 9_500 && t <= 13_000, `closed after ${t} ms: ${JSON.stringify(closedAt)}`);
    } finally {
      clearInterval(trickle);
      for (const s of sockets) s.destroy();
    }
  });
});
