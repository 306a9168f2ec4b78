/**
 * A small, independent test client for receivers on loopback (docs/protocol.md revision 2): signed statuses
 * read with a nonce, unlock, lock and statement requests built from the spec with node:crypto and @hpke/core
 * (not with the app's push client, so receiver tests do not depend on it), and raw HTTP for hostile input.
 * Test support only: keys here are throwaway.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';

export const PROTOCOL = 'custodian-unlock/1';
const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });

export interface TestSigner { privateKey: KeyObject; publicRaw: Buffer; fingerprint: string }

export function fingerprintOf(publicRaw: Uint8Array): string {
  return `ed25519:${createHash('sha256').update(publicRaw).digest('base64url')}`;
}

export function signerFrom(privateKey: KeyObject): TestSigner {
  const publicRaw = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x as string, 'base64url');
  return { privateKey, publicRaw, fingerprint: fingerprintOf(publicRaw) };
}

export function newSigner(): TestSigner {
  return signerFrom(generateKeyPairSync('ed25519').privateKey);
}

export function signerFromPemFile(pem: string | Buffer): TestSigner {
  return signerFrom(createPrivateKey(pem));
}

/** A compact JWS over exact header and payload texts (so tests can write bytes JSON.stringify never would). */
export function jwsText(signer: TestSigner, typ: string, payloadText: string): string {
  const header = JSON.stringify({ alg: 'EdDSA', typ, jwk: { kty: 'OKP', crv: 'Ed25519', x: signer.publicRaw.toString('base64url') } });
  const input = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payloadText).toString('base64url')}`;
  return `${input}.${sign(null, Buffer.from(input), signer.privateKey).toString('base64url')}`;
}

export const jws = (signer: TestSigner, typ: string, payload: Record<string, unknown>) => jwsText(signer, typ, JSON.stringify(payload));

/** The payload of a JWS whose signature verifies with its own header key (throws otherwise). */
export function openJws(token: string): { payload: Record<string, unknown>; signer: string; typ: string } {
  const [h, p, s] = token.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { typ: string; jwk: { x: string } };
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: header.jwk.x }, format: 'jwk' });
  if (!verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) throw new Error('signature does not verify');
  return { payload: JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>, signer: fingerprintOf(Buffer.from(header.jwk.x, 'base64url')), typ: header.typ };
}

export interface HttpAnswer { status: number; headers: Record<string, string | string[] | undefined>; text: string; json(): Record<string, unknown> }

/** One HTTP request with a deadline; body text in, status and text out. */
export function http(url: string, options: { method?: string; body?: string; contentType?: string; localAddress?: string; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: options.body === undefined ? {} : { 'Content-Type': options.contentType ?? 'application/json' },
      agent: false,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> }));
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`no answer from ${url} in time`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface Status { payload: Record<string, unknown>; token: string }

/** GET {base}/status?nonce=…, verified against the expected identity and nonce. */
export async function readStatus(baseUrl: string, identity: string, options: { localAddress?: string } = {}): Promise<Status> {
  const nonce = randomBytes(16).toString('base64url');
  const answer = await http(`${baseUrl}/status?nonce=${nonce}`, options);
  if (answer.status !== 200) throw new Error(`status answered ${answer.status}: ${answer.text}`);
  const token = String(answer.json()['status']);
  const { payload, signer } = openJws(token);
  if (signer !== identity) throw new Error('status signed by another identity');
  if (payload['client_nonce'] !== nonce) throw new Error('stale status');
  return { payload, token };
}

/** The body of an unlock request for this status: keys sealed to its ephemeral key, bound as §5.2 says. */
export async function unlockBody(status: Status, custodian: TestSigner, keys: readonly Buffer[], keyIds: readonly string[]): Promise<string> {
  const p = status.payload;
  const info = Buffer.from([PROTOCOL, p['server_id'], p['identity'], p['boot_id'], p['challenge'], custodian.fingerprint].join('\0'), 'utf8');
  const recipientPublicKey = await suite.kem.deserializePublicKey(Buffer.from(String(p['ephemeral_key']), 'base64url'));
  const sealed = await suite.seal({ recipientPublicKey, info }, Buffer.concat(keys));
  const payload = {
    protocol: PROTOCOL, type: 'unlock', server_id: p['server_id'], receiver_identity: p['identity'], boot_id: p['boot_id'],
    challenge: p['challenge'], custodian: custodian.fingerprint, key_ids: [...keyIds], issued_at: Math.floor(Date.now() / 1000),
    sealed: Buffer.concat([Buffer.from(sealed.enc), Buffer.from(sealed.ct)]).toString('base64url'),
  };
  return JSON.stringify({ protocol: PROTOCOL, request: jws(custodian, 'custodian-unlock+jws', payload) });
}

export function lockBody(status: Status, custodian: TestSigner): string {
  const p = status.payload;
  const payload = {
    protocol: PROTOCOL, type: 'lock', server_id: p['server_id'], receiver_identity: p['identity'], boot_id: p['boot_id'],
    challenge: p['challenge'], custodian: custodian.fingerprint, issued_at: Math.floor(Date.now() / 1000),
  };
  return JSON.stringify({ protocol: PROTOCOL, request: jws(custodian, 'custodian-lock+jws', payload) });
}

export function handoverStatement(from: TestSigner, to: string, label: string): string {
  return jws(from, 'custodian-statement+jws', { protocol: PROTOCOL, type: 'handover', custodian: from.fingerprint, new_custodian: to, label, issued_at: Math.floor(Date.now() / 1000) });
}

export function revocationStatement(by: TestSigner, revoked: string): string {
  return jws(by, 'custodian-statement+jws', { protocol: PROTOCOL, type: 'revocation', custodian: by.fingerprint, revoked, issued_at: Math.floor(Date.now() / 1000) });
}

export const statementBody = (statement: string) => JSON.stringify({ protocol: PROTOCOL, statement });

/**
 * Raw bytes to host:port, and what came back until the server closed or `timeoutMs` passed. `closedBy` says
 * who ended it: the server, or our deadline.
 */
export function rawHttp(port: number, text: string | Buffer, options: { timeoutMs?: number; localAddress?: string } = {}): Promise<{ text: string; closedBy: 'server' | 'deadline' | 'error' }> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    let out = '';
    let settled = false;
    const finish = (closedBy: 'server' | 'deadline' | 'error') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: out, closedBy });
    };
    const timer = setTimeout(() => finish('deadline'), options.timeoutMs ?? 3000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => { out += chunk; });
    socket.on('end', () => finish('server'));
    socket.on('close', () => finish('server'));
    socket.on('error', () => finish('error'));
    socket.write(text);
  });
}

/** The status code and JSON error code of a raw HTTP answer ('' when there was no answer). */
export function parseRaw(text: string): { status: number; code: string; headers: string } {
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
  const [headers = '', body = ''] = text.split('\r\n\r\n');
  let code = '';
  try {
    code = String((JSON.parse(body) as { error?: { code?: string } }).error?.code ?? '');
  } catch {
    code = '';
  }
  return { status, code, headers };
}
