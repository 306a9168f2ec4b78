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

export function callReceiver(endpoint: Endpoint, path: 'status' | 'unlock', body?: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<HttpAnswer> {
  const url = new URL(`${endpoint.url}/${path}`);
  const send = url.protocol === 'https:' ? https().request : http().request;
  const headers: Record<string, string | number> = { Accept: 'application/json' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = Buffer.byteLength(body);
  }
  return new Promise((resolve, reject) => {
    const unreachable = (why: string) => new CustodianError('SERVER_UNREACHABLE', `Cannot reach ${endpoint.name} at ${endpoint.url} (${why}).`, {
      hint: 'Check that the server is running and that this machine can reach it; `custodian server status` shows every server.',
    });
    const req = send(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      timeout: timeoutMs,
      ...(url.protocol === 'https:' && endpoint.tlsCa ? { ca: endpoint.tlsCa } : {}),
    }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          req.destroy();
          reject(protocolError('BAD_REQUEST', endpoint.name));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => reject(unreachable('connection lost')));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      const tls = /CERT|SSL|TLS|SELF_SIGNED/i.test(error.code ?? '');
      reject(tls
        ? new CustodianError('SERVER_UNREACHABLE', `TLS verification of ${endpoint.name} at ${endpoint.url} failed (${error.code}).`, {
          hint: 'Pin the server\'s certificate or CA with `custodian server add ... --tls-ca FILE`.',
        })
        : unreachable(error.message === 'timeout' ? 'timed out' : error.code ?? 'network error'));
    });
    req.end(body);
  });
}
