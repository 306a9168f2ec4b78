/**
 * Hardening of the HTTP server a receiver listens on (docs/protocol.md §12.8): each request must arrive whole
 * within 10 s of its first byte, at most 16 connections per client address, and parse errors answer a JSON
 * 400 (or 408 for the deadline) and close the connection. Slow clients cannot hold every slot.
 *
 * node:http checks its request deadlines only every `connectionsCheckingInterval` (30 s by default), which is
 * fixed when the server is created: use receiverServerOptions() there, then hardenServer() on the server.
 */
import type { Server as HttpServer, ServerOptions } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { errorAnswer } from './core.js';
import type { ReceiverErrorCode } from './errors.js';

export const REQUEST_DEADLINE_MS = 10_000;
export const MAX_CONNECTIONS_PER_ADDRESS = 16;

/** Options for http.createServer / https.createServer. */
export function receiverServerOptions(): ServerOptions {
  return {
    connectionsCheckingInterval: 500,
    requestTimeout: REQUEST_DEADLINE_MS,
    headersTimeout: REQUEST_DEADLINE_MS,
    keepAliveTimeout: 5_000,
    // The handler refuses a missing Host itself, with the protocol's JSON answer (and for HTTP/1.0 too).
    requireHostHeader: false,
    // Refuse what llhttp would otherwise tolerate (e.g. Transfer-Encoding with Content-Length).
    insecureHTTPParser: false,
  };
}

export interface HardenOptions {
  maxConnectionsPerAddress?: number;
}

/** Caps connections per address and answers client errors with the protocol's JSON. Returns the server. */
export function hardenServer<S extends HttpServer | HttpsServer>(server: S, options: HardenOptions = {}): S {
  const max = options.maxConnectionsPerAddress ?? MAX_CONNECTIONS_PER_ADDRESS;
  const open = new Map<string, number>();
  server.requestTimeout = REQUEST_DEADLINE_MS;
  server.headersTimeout = REQUEST_DEADLINE_MS;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const code: ReceiverErrorCode = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'REQUEST_TIMEOUT' : 'BAD_REQUEST';
    if (socket.writable && !(socket as Socket & { _httpMessage?: unknown })._httpMessage) {
      const answer = errorAnswer(code);
      const text = JSON.stringify(answer.body);
      socket.end(`HTTP/1.1 ${answer.httpStatus} ${code === 'REQUEST_TIMEOUT' ? 'Request Timeout' : 'Bad Request'}\r\n`
        + `Content-Type: application/json\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
      () => socket.destroy());
      // A client that does not read must not keep the socket either.
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    socket.destroy();
  });
  return server;
}
