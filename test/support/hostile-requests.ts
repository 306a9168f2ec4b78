/**
 * A hostile-input generator for receivers (docs/protocol.md): malformed, forged, oversized and replayed
 * requests, deterministic from a seed, sent over real HTTP (plus a share of raw malformed HTTP on sockets).
 * Works against any receiver that speaks the protocol (Node or Python); the caller asserts on the report.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { buildUnlockRequest, verifyStatus, type CustodianSigner } from '../../src-main/core/push/index.js';

export interface HostileTarget {
  /** Base URL of the receiver (…/custodian). */
  url: string;
  identity: string;
  serverId: string;
  /** An authorized custodian (its fingerprint is in the receiver's authorized-custodians file). */
  custodian: CustodianSigner;
  /** The receiver's newest configured key: it goes first, so the request passes the key-order rule (§12.3). */
  rightKey: Buffer;
  /** A 32-byte key whose id is NOT among the receiver's key checks (sent second, it burns a challenge). */
  wrongKey: Buffer;
}

export interface HostileReport {
  sent: number;
  /** HTTP status -> count; 0 = the server closed the connection without an answer (allowed for oversized or raw garbage). */
  byStatus: Record<number, number>;
  /** Protocol error code -> count. */
  byCode: Record<string, number>;
  /** Category -> count of requests generated. */
  byCategory: Record<string, number>;
  /** Unlock attempts answered with 2xx (must be 0). */
  accepted: number;
  /** Anything that answered 2xx to an unlock, or answered something that is not a protocol error. */
  unexpected: string[];
  seconds: number;
}

type Probe = { category: string; method: string; path: string; contentType?: string; body?: Buffer; chunked?: boolean } | { category: string; raw: Buffer };

/** mulberry32: small, seedable, good enough to vary inputs reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const b64u = (data: Uint8Array | string) => Buffer.from(data).toString('base64url');

function signWith(key: KeyObject, publicRaw: Buffer, payload: unknown, header?: Record<string, unknown>): string {
  const h = header ?? { alg: 'EdDSA', typ: 'custodian-unlock+jws', jwk: { kty: 'OKP', crv: 'Ed25519', x: b64u(publicRaw) } };
  const input = `${b64u(JSON.stringify(h))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

// Receivers accept at most 16 connections per client address (protocol §12.8): the pooled keep-alive sockets plus
// one raw socket per worker must stay below that, or the suite would measure the cap instead of the parser.
const DEFAULT_CONCURRENCY = 6;

export async function runHostileSuite(target: HostileTarget, options: { count?: number; seed?: number; concurrency?: number } = {}): Promise<HostileReport> {
  const count = options.count ?? 10_000;
  const random = prng(options.seed ?? 20261130);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? DEFAULT_CONCURRENCY });
  const started = performance.now();

  const fetchStatusBody = () => send({ category: 'status', method: 'GET', path: '/status' }).then((r) => r.text);

  // A genuine request, refused because of its second key: it burns its challenge, so every later copy is a replay.
  const status = await verifyStatus(await fetchStatusBody(), target.identity, target.serverId);
  const burnt = await buildUnlockRequest({ status, custodian: target.custodian, keys: [target.rightKey, target.wrongKey], issuedAt: 0 });
  const burntAnswer = await send({ category: 'replay', method: 'POST', path: '/unlock', contentType: 'application/json', body: Buffer.from(burnt.body) });
  if (burntAnswer.code !== 'KEY_CHECK_FAILED') throw new Error(`setup: expected KEY_CHECK_FAILED for the wrong key, got ${burntAnswer.status} ${burntAnswer.code}`);
  const validPayload = JSON.parse(Buffer.from(burnt.token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

  const stranger = generateKeyPairSync('ed25519');
  const strangerRaw = Buffer.from(stranger.publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  const strangerFp = `ed25519:${createHash('sha256').update(strangerRaw).digest('base64url')}`;
  const envelope = (request: string, protocol = 'custodian-unlock/1') => Buffer.from(JSON.stringify({ protocol, request }));
  const json = (body: Buffer | string): Probe => ({ category: '', method: 'POST', path: '/unlock', contentType: 'application/json', body: Buffer.from(body) });

  const generators: [string, () => Probe][] = [
    ['random-bytes', () => json(bytes(int(2048)))],
    ['random-json', () => json(JSON.stringify(randomJson(random, 4)))],
    ['deep-json', () => json(`${'['.repeat(1000 + int(20000))}${']'.repeat(int(2) ? 0 : 10)}`)],
    ['envelope-garbage', () => json(JSON.stringify({ protocol: pick(['custodian-unlock/1', 'custodian-unlock/0', 'custodian-unlock/2', '', 1, null]), request: pick([b64u(bytes(int(200))), 'a.b.c', '..', 12, null, [], burnt.token.slice(0, int(burnt.token.length))]) }))],
    ['bit-flip', () => { const body = Buffer.from(burnt.body); body[int(body.length)]! ^= 1 << int(8); return json(body); }],
    ['truncated', () => json(Buffer.from(burnt.body).subarray(0, int(burnt.body.length)))],
    ['jws-part-swap', () => { const [h, p, s] = burnt.token.split('.') as [string, string, string]; return json(envelope(pick([`${h}.${p}.${b64u(bytes(64))}`, `${h}.${b64u(bytes(40))}.${s}`, `${b64u(bytes(30))}.${p}.${s}`, `${h}.${p}`, `${h}.${p}.${s}.${s}`, `${h}..${s}`]))); }],
    ['forged-stranger', () => json(envelope(signWith(stranger.privateKey, strangerRaw, { ...validPayload, custodian: strangerFp, challenge: b64u(bytes(32)) })))],
    ['forged-key-swap', () => {
      // Stranger's signature under the authorized custodian's public key in the header.
      const header = { alg: 'EdDSA', typ: 'custodian-unlock+jws', jwk: { kty: 'OKP', crv: 'Ed25519', x: b64u(target.custodian.publicRaw) } };
      return json(envelope(signWith(stranger.privateKey, target.custodian.publicRaw, { ...validPayload, issued_at: int(1e9) }, header)));
    }],
    ['alg-confusion', () => {
      const header = { alg: pick(['none', 'HS256', 'RS256', 'ES256', 'EdDSA ', 'eddsa']), typ: 'custodian-unlock+jws', jwk: { kty: 'OKP', crv: 'Ed25519', x: b64u(target.custodian.publicRaw) } };
      return json(envelope(`${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(validPayload))}.${pick(['', b64u(bytes(32)), b64u(bytes(64))])}`));
    }],
    ['reflection', () => json(envelope(pick([burnt.token.replace(/^[^.]+/, b64u(JSON.stringify({ alg: 'EdDSA', typ: pick(['custodian-status+jws', 'custodian-receipt+jws', 'JWT']), jwk: { kty: 'OKP', crv: 'Ed25519', x: b64u(target.custodian.publicRaw) } }))), (JSON.parse(lastStatus) as { status: string }).status])))],
    ['replay', () => json(burnt.body)],
    ['signed-wrong-binding', () => {
      // Properly signed by the authorized custodian, but bound elsewhere: another server, boot, identity or challenge.
      const field = pick(['server_id', 'boot_id', 'receiver_identity', 'challenge']);
      const value = field === 'server_id' ? `other-${int(1000)}` : field === 'boot_id' ? b64u(bytes(16)) : field === 'challenge' ? b64u(bytes(32)) : `ed25519:${b64u(bytes(32))}`;
      return json(envelope(signWith(target.custodian.privateKey, target.custodian.publicRaw, { ...validPayload, [field]: value })));
    }],
    ['signed-malformed-payload', () => {
      const mutations: (() => Record<string, unknown>)[] = [
        () => ({ ...validPayload, key_ids: [] }),
        () => ({ ...validPayload, key_ids: Array.from({ length: 10 + int(100) }, () => 'K1-0000-0000-0000-0000') }),
        () => ({ ...validPayload, sealed: b64u(bytes(int(400))) }),
        () => ({ ...validPayload, sealed: `${validPayload['sealed'] as string}=` }),
        () => ({ ...validPayload, issued_at: pick([-1, 1.5, '1', null, 2 ** 60]) }),
        () => ({ ...validPayload, extra: true }),
        () => { const copy = { ...validPayload }; delete copy[pick(Object.keys(copy))]; return copy; },
        () => ({ ...validPayload, protocol: pick(['custodian-unlock/0', 'custodian-unlock/2', 1]) }),
        () => ({ ...validPayload, type: pick(['status', 'receipt', 'UNLOCK', '']) }),
      ];
      return json(envelope(signWith(target.custodian.privateKey, target.custodian.publicRaw, pick(mutations)())));
    }],
    ['oversized', () => ({ category: '', method: 'POST', path: '/unlock', contentType: 'application/json', body: Buffer.alloc(16385 + int(48_000), 0x61), chunked: int(2) === 0 })],
    ['wrong-method-path-type', () => pick<Probe>([
      { category: '', method: pick(['PUT', 'DELETE', 'PATCH', 'GET', 'OPTIONS']), path: '/unlock', contentType: 'application/json', body: Buffer.from(burnt.body) },
      { category: '', method: 'POST', path: pick(['/status', '/unlock/', '/../unlock', '/unlock%00', '/UNLOCK', '']), contentType: 'application/json', body: Buffer.from(burnt.body) },
      { category: '', method: 'POST', path: '/unlock', contentType: pick(['text/plain', 'application/jsonx', 'multipart/form-data', '']), body: Buffer.from(burnt.body) },
    ])],
    ['raw-http', () => ({ category: '', raw: Buffer.from(pick([
      `POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`,
      `POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${'X-A: b\r\n'.repeat(3000)}Content-Length: ${burnt.body.length}\r\n\r\n${burnt.body}`,
      `POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello`,
      `GET /custodian/status HTTP/1.1\r\nHost: x\r\n${'X-A: b\r\n'.repeat(3000)}\r\n`,
      `\x00\x01\x02 garbage\r\n\r\n`,
      `POST /custodian/unlock HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n`,
      `GET /${'a'.repeat(20000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    ])) })],
  ];

  let lastStatus = await fetchStatusBody();
  const report: HostileReport = { sent: 1, byStatus: {}, byCode: {}, byCategory: {}, accepted: 0, unexpected: [], seconds: 0 };
  const note = (category: string, status: number, code: string | null, unlockAttempt: boolean) => {
    report.sent++;
    report.byStatus[status] = (report.byStatus[status] ?? 0) + 1;
    if (code) report.byCode[code] = (report.byCode[code] ?? 0) + 1;
    report.byCategory[category] = (report.byCategory[category] ?? 0) + 1;
    // A status GET hidden in raw HTTP may well answer 200; an unlock attempt never may.
    if (status >= 200 && status < 300 && unlockAttempt) {
      report.accepted++;
      report.unexpected.push(`${category}: accepted (${status})`);
    }
    else if (status !== 0 && !code && category !== 'raw-http') report.unexpected.push(`${category}: ${status} without a protocol error code`);
  };

  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      if (index % 500 === 0) {
        const s = await send({ category: 'status', method: 'GET', path: '/status' });
        if (s.status !== 200) report.unexpected.push(`status answered ${s.status} after ${index} hostile requests`);
        else lastStatus = s.text;
      }
      const [category, make] = generators[index % generators.length]!;
      const probe = { ...make(), category };
      const answer = 'raw' in probe ? await sendRaw(probe.raw) : await send(probe);
      note(category, answer.status, answer.code, 'raw' in probe ? probe.raw.subarray(0, 5).toString('latin1') === 'POST ' : true);
    }
  };

  async function send(probe: Exclude<Probe, { raw: Buffer }>): Promise<{ status: number; code: string | null; text: string }> {
    return new Promise((resolve) => {
      const url = new URL(target.url);
      const headers: Record<string, string> = {};
      if (probe.contentType !== undefined) headers['content-type'] = probe.contentType;
      if (probe.body && !probe.chunked) headers['content-length'] = String(probe.body.length);
      const req = request({ host: url.hostname, port: url.port, method: probe.method, path: `${url.pathname}${probe.path}`, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let code: string | null = null;
          try {
            code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? null;
          } catch {
            code = null;
          }
          resolve({ status: res.statusCode ?? 0, code, text });
        });
        res.on('error', () => resolve({ status: 0, code: null, text: '' }));
      });
      req.on('error', () => resolve({ status: 0, code: null, text: '' }));
      req.setTimeout(15_000, () => req.destroy());
      if (probe.body) req.end(probe.body); else req.end();
    });
  }

  function sendRaw(raw: Buffer): Promise<{ status: number; code: string | null }> {
    return new Promise((resolve) => {
      const url = new URL(target.url);
      const socket = connect(Number(url.port), url.hostname);
      let text = '';
      socket.setTimeout(5_000, () => socket.destroy());
      socket.on('data', (c: Buffer) => { text += c.toString('latin1'); });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
        resolve({ status: match ? Number(match[1]) : 0, code: /"code":"([A-Z_]+)"/.exec(text)?.[1] ?? null });
      });
      socket.end(raw);
    });
  }

  await Promise.all(Array.from({ length: options.concurrency ?? DEFAULT_CONCURRENCY }, worker));
  agent.destroy();
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

function randomJson(random: () => number, depth: number): unknown {
  const kind = Math.floor(random() * (depth > 0 ? 7 : 5));
  switch (kind) {
    case 0: return null;
    case 1: return random() < 0.5;
    case 2: return Math.floor(random() * 2 ** 53) * (random() < 0.5 ? -1 : 1);
    case 3: return 'x'.repeat(Math.floor(random() * 50));
    case 4: return random();
    case 5: return Array.from({ length: Math.floor(random() * 5) }, () => randomJson(random, depth - 1));
    default: {
      const names = ['protocol', 'request', 'status', 'receipt', '__proto__', 'constructor', 'x'];
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [names[Math.floor(random() * names.length)], randomJson(random, depth - 1)]));
    }
  }
}
