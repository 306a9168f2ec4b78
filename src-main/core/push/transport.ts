/**
 * HTTP(S) to a receiver, on node:http/https (so a pinned CA or self-signed certificate can be passed per server).
 * Answers are capped in size and time; network failures become SERVER_UNREACHABLE.
 */
import type { IncomingMessage } from 'node:http';
import { CustodianError } from '../errors.js';
import { lazyRequire } from '../lazy.js';
import { protocolError } from './wire.js';

// Loaded on the first request, not at import (CLI start-up; see core/lazy.ts and vault/transport.ts).
const http = lazyRequire<typeof import('node:http')>('node:http');
const https = lazyRequire<typeof import('node:https')>('node:https');

export const MAX_ANSWER_BYTES = 65536;
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface Endpoint {
  name: string;
  /** Base URL of the receiver, e.g. http://10.0.0.5:8421/custodian */
  url: string;
  /** PEM of a CA or self-signed certificate to trust for https:// (instead of the system CAs). */
  tlsCa?: string | undefined;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** Any http(s) URL without credentials, query or fragment; returns it without a trailing slash. */
export function normalizeReceiverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CustodianError('INVALID_INPUT', 'The receiver URL is not a valid URL.', { hint: 'Use the "url" the receiver printed at start, e.g. http://10.0.0.5:8421/custodian' });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search || url.hash) {
    throw new CustodianError('INVALID_INPUT', 'The receiver URL must be http:// or https:// with no user, query or fragment.', { hint: 'Use the "url" the receiver printed at start, e.g. http://10.0.0.5:8421/custodian' });
  }
  return url.href.replace(/\/+$/, '');
}

/** The receiver routes of revision 2 (docs/protocol.md §3, §12.4-12.6, §12.12). */
export type ReceiverPath = 'status' | 'unlock' | 'lock' | 'custodians' | 'identity' | 'rekey';

export interface CallOptions {
  /** Query parameters (the status nonce of §12.2). */
  query?: Record<string, string>;
  /** Overall deadline of this request: connect, TLS, headers and body together (§12.9). */
  timeoutMs?: number;
}

/**
 * One request with ONE overall deadline (§12.9): a server that accepts the connection and then trickles its
 * answer a byte at a time, or never answers, fails at the deadline instead of keeping the client waiting. An
 * interim `1xx` answer other than `100`, or an upgrade (`101 Switching Protocols`), is a failure too: Node's
 * client would otherwise wait for a final answer that never comes.
 */
export function callReceiver(endpoint: Endpoint, path: ReceiverPath, body?: string, options: CallOptions = {}): Promise<HttpAnswer> {
  const url = new URL(`${endpoint.url}/${path}`);
  for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, value);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const send = url.protocol === 'https:' ? https().request : http().request;
  const headers: Record<string, string | number> = { Accept: 'application/json' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = Buffer.byteLength(body);
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: CustodianError | null, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (error) {
        req.destroy();
        reject(error);
      } else {
        resolve(answer!);
      }
    };
    const unreachable = (why: string) => new CustodianError('SERVER_UNREACHABLE', `Cannot reach ${endpoint.name} at ${endpoint.url} (${why}).`, {
      hint: 'Check that the server is running and that this machine can reach it; `custodian server status` shows every server.',
    });
    const req = send(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      // Each request gets its own connection: a socket kept alive by the agent would keep the CLI from exiting.
      agent: false,
      ...(url.protocol === 'https:' && endpoint.tlsCa ? { ca: endpoint.tlsCa } : {}),
    }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          finish(protocolError('BAD_REQUEST', endpoint.name));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => finish(null, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => finish(unreachable('connection lost')));
      res.on('close', () => { if (!res.complete) finish(unreachable('connection lost before the whole answer')); });
    });
    const deadline = setTimeout(() => finish(unreachable(`no complete answer within ${formatSeconds(timeoutMs)}`)), timeoutMs);
    req.on('information', (info: { statusCode: number }) => {
      if (info.statusCode !== 100) finish(unreachable(`it answered HTTP ${info.statusCode} instead of a receiver answer`));
    });
    req.on('upgrade', (res: IncomingMessage, socket: NodeJS.Socket & { destroy(): void }) => {
      socket.destroy();
      finish(unreachable(`it answered HTTP ${res.statusCode ?? 101} (a protocol switch) instead of a receiver answer`));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      const tls = /CERT|SSL|TLS|SELF_SIGNED/i.test(error.code ?? '');
      finish(tls
        ? new CustodianError('SERVER_UNREACHABLE', `TLS verification of ${endpoint.name} at ${endpoint.url} failed (${error.code}).`, {
          hint: 'Pin the server\'s certificate or CA with `custodian server add ... --tls-ca FILE`.',
        })
        : unreachable(error.code ?? 'network error'));
    });
    req.end(body);
  });
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** Parses a --timeout value in seconds (0.1 to 600) into milliseconds. */
export function parseTimeoutSeconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text.trim()) || !Number.isFinite(seconds) || seconds < 0.1 || seconds > 600) {
    throw new CustodianError('USAGE', '--timeout takes a number of seconds between 0.1 and 600.', { hint: 'For example --timeout 10 (the default).' });
  }
  return Math.round(seconds * 1000);
}
