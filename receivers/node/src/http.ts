/**
 * node:http glue: routes {base}/status and {base}/unlock to the core, reads at most MAX_BODY_BYTES, and answers
 * JSON with Cache-Control: no-store. Usable as a plain `http.createServer` handler or as express-style
 * middleware (it calls `next()` for paths outside the base when given one).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_BODY_BYTES } from './encoding.js';
import { errorAnswer, type Answer, type ReceiverCore } from './core.js';
import type { ReceiverErrorCode } from './errors.js';

export type RequestHandler = (request: IncomingMessage, response: ServerResponse, next?: (error?: unknown) => void) => void;

export function createHandler(core: ReceiverCore, basePath: string, onAnswer: (answer: Answer) => void): RequestHandler {
  const base = basePath.replace(/\/+$/, '');
  return (request, response, next) => {
    let path: string;
    try {
      path = new URL(request.url ?? '/', 'http://receiver.invalid').pathname;
    } catch {
      path = '';
    }
    const route = path === `${base}/status` ? 'status' : path === `${base}/unlock` ? 'unlock' : null;
    if (route === null) {
      if (next) return next();
      return send(response, errorAnswer('NOT_FOUND'));
    }
    if (route === 'status') {
      if (request.method !== 'GET') return send(response, errorAnswer('METHOD_NOT_ALLOWED'), { Allow: 'GET' });
      request.resume();
      return send(response, core.status());
    }
    if (request.method !== 'POST') return send(response, errorAnswer('METHOD_NOT_ALLOWED'), { Allow: 'POST' });
    const contentType = request.headers['content-type'];
    const reject = (answer: Answer) => {
      onAnswer(answer);
      // Stop reading: answer, then close the connection instead of draining an unwanted body.
      send(response, answer, { Connection: 'close' }, () => request.socket.destroy());
    };
    if ((contentType ?? '').split(';')[0]!.trim().toLowerCase() !== 'application/json') {
      return void core.unlock(Buffer.alloc(0), contentType).then(reject);
    }
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) return reject(withOutcome(errorAnswer('BODY_TOO_LARGE')));
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        done = true;
        request.pause();
        return reject(withOutcome(errorAnswer('BODY_TOO_LARGE')));
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (done) return;
      done = true;
      const body = Buffer.concat(chunks, size);
      for (const chunk of chunks) chunk.fill(0);
      void core.unlock(body, contentType).then((answer) => {
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

function withOutcome(answer: Answer): Answer {
  const code = (answer.body['error'] as { code: ReceiverErrorCode }).code;
  return { ...answer, outcome: { ok: false, error: code } };
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
