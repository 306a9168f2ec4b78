/**
 * node:http glue (docs/protocol.md §3 and §12.8). Routes are matched on the raw request-target, byte for byte:
 * nothing is percent-decoded or normalized, so `/x/../custodian/unlock`, `%2e%2e`, `/custodian/./unlock`,
 * `//h/...`, the absolute form and a fragment are all 404 here, whatever a proxy in front thinks they mean.
 * Reads at most MAX_BODY_BYTES and answers JSON with Cache-Control: no-store. Usable as a plain
 * `http.createServer` handler or as express-style middleware (it calls `next()` for paths that are not its own).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_BODY_BYTES } from './encoding.js';
import { errorAnswer, type Answer, type ReceiverCore } from './core.js';
import { METRICS_CONTENT_TYPE } from './metrics.js';

export type RequestHandler = (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void) => void;

export interface HandlerOptions {
  /** Where the endpoints live: {basePath}/status, /unlock, /lock, /custodians, /identity, /rekey (and /metrics). */
  basePath: string;
  /** Serve GET {basePath}/metrics (§12.7). Off by default: 404 (or next()). */
  metrics?: boolean;
}

type Route = 'status' | 'unlock' | 'lock' | 'custodians' | 'identity' | 'metrics' | 'rekey';
const METHODS: Record<Route, 'GET' | 'POST'> = { status: 'GET', unlock: 'POST', lock: 'POST', custodians: 'POST', identity: 'GET', metrics: 'GET', rekey: 'POST' };

export function createHandler(core: ReceiverCore, options: HandlerOptions, onAnswer: (answer: Answer) => void): RequestHandler {
  const base = options.basePath.replace(/\/+$/, '');
  if (!/^(\/[A-Za-z0-9._~-]+)*$/.test(base) || /\/\.\.?(\/|$)/.test(base)) throw new RangeError('basePath must be a plain absolute path like /custodian');
  const routes = new Map<string, Route>();
  for (const route of Object.keys(METHODS) as Route[]) if (route !== 'metrics' || options.metrics) routes.set(`${base}/${route}`, route);

  return (request, response, next) => {
    const target = request.url ?? '';
    const question = target.indexOf('?');
    const path = question < 0 ? target : target.slice(0, question);
    const query = question < 0 ? '' : target.slice(question + 1);
    // Byte-for-byte route match on the raw target; a fragment anywhere (never sent by a real client) is a miss.
    const route = target.includes('#') ? undefined : routes.get(path);
    if (route === undefined) {
      if (next) return next();
      return send(response, errorAnswer('NOT_FOUND'));
    }
    if (framingProblem(request)) {
      return send(response, errorAnswer('BAD_REQUEST'), { Connection: 'close' }, () => request.socket.destroy());
    }
    const method = METHODS[route];
    if (request.method !== method) return send(response, errorAnswer('METHOD_NOT_ALLOWED'), { Allow: method });
    if (method === 'GET') {
      request.resume();
      if (route === 'status') return send(response, core.status(query));
      if (route === 'identity') return send(response, core.identityAnswer());
      const text = core.metricsText();
      response.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
      return void response.end(text);
    }
    const handle = (body: Buffer): Promise<Answer> | Answer => {
      const contentType = request.headers['content-type'];
      if (route === 'unlock') return core.unlock(body, contentType);
      if (route === 'lock') return core.remoteLockSettled(body, contentType); // after the Vault token's revocation (§12.13)
      if (route === 'rekey') return core.rekey(body, contentType);
      return core.statement(body, contentType);
    };
    const reject = (answer: Answer) => {
      onAnswer(answer);
      // Stop reading: answer, then close the connection instead of draining an unwanted body.
      send(response, answer, { Connection: 'close' }, () => request.socket.destroy());
    };
    const contentType = request.headers['content-type'];
    if ((contentType ?? '').split(';')[0]!.trim().toLowerCase() !== 'application/json') {
      return void Promise.resolve(handle(Buffer.alloc(0))).then(reject);
    }
    const declared = request.headers['content-length'];
    if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) return void Promise.resolve(handle(Buffer.alloc(MAX_BODY_BYTES + 1))).then(reject);
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        done = true;
        request.pause();
        for (const c of chunks) c.fill(0);
        return void Promise.resolve(handle(Buffer.alloc(MAX_BODY_BYTES + 1))).then(reject);
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (done) return;
      done = true;
      const body = Buffer.concat(chunks, size);
      for (const chunk of chunks) chunk.fill(0);
      void Promise.resolve(handle(body)).then((answer) => {
        body.fill(0);
        onAnswer(answer);
        send(response, answer);
      });
    });
    request.on('error', () => {
      done = true;
    });
  };
}

/**
 * §12.8 framing, checked on the raw headers: exactly one Host; at most one Content-Length, digits only; a
 * Transfer-Encoding only as one `chunked`; not both. node:http's parser already refuses two Content-Length
 * headers, a Content-Length with a comma or sign, and Transfer-Encoding with Content-Length (tested in
 * receiver-node-http.test.ts); it lets `Transfer-Encoding: gzip, chunked` and a second Host through, and this
 * check also covers the handler used as middleware behind another server.
 */
export function framingProblem(request: IncomingMessage): boolean {
  const lengths: string[] = [];
  const encodings: string[] = [];
  let hosts = 0;
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!.toLowerCase();
    if (name === 'content-length') lengths.push(request.rawHeaders[i + 1]!);
    else if (name === 'transfer-encoding') encodings.push(request.rawHeaders[i + 1]!);
    else if (name === 'host') hosts++;
  }
  // RFC 9112 §3.2: a request with more than one Host header is answered 400.
  if (hosts !== 1) return true;
  if (lengths.length > 1 || (lengths.length === 1 && !/^[0-9]{1,15}$/.test(lengths[0]!.trim()))) return true;
  if (encodings.length > 1 || (encodings.length === 1 && encodings[0]!.trim().toLowerCase() !== 'chunked')) return true;
  return lengths.length > 0 && encodings.length > 0;
}

function send(response: ServerResponse, answer: Answer, headers: Record<string, string> = {}, after?: () => void): void {
  if (response.headersSent) return;
  const text = JSON.stringify(answer.body);
  response.writeHead(answer.httpStatus, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text, after);
}
