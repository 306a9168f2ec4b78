import type http from 'node:http';
import type https from 'node:https';
import { lazyRequire } from '../lazy.js';
import type { ConnectionSettings } from './settings.js';

// Loaded on the first connection: importing node:http as an ES module costs the CLI ~40 ms at every start
// (Node builds its module facade, which loads the bundled fetch implementation); see core/lazy.ts.
const httpModule = lazyRequire<typeof http>('node:http');
const httpsModule = lazyRequire<typeof https>('node:https');

/**
 * The HTTP transport node-vault uses for one node (its documented `request-promise` hook).
 *
 * Why not node-vault's own axios transport: it follows redirects (a 307 from a node would resend a key share,
 * possibly to another host or over plain http), it passes request bodies to the `debug` logger, and it falls
 * back to process.env for TLS and addresses. This transport has one keep-alive agent per node with exactly the
 * resolved TLS settings, never follows redirects, and serialises the body at the last moment into a Buffer that
 * is wiped once written.
 */
export interface TransportRequest {
  method: string;
  uri: string;
  headers?: Record<string, string>;
  json?: unknown;
  timeout?: number;
}

export interface TransportResponse {
  statusCode: number;
  body: unknown;
  headers: http.IncomingHttpHeaders;
  request: { path: string };
}

/** A failure below HTTP: refused, reset, timed out, or a TLS failure. Carries no request data. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(readonly code: string, readonly kind: 'tls' | 'network' | 'timeout') {
    super(`transport failure ${code}`);
  }
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH',
  'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_TLS_HANDSHAKE_TIMEOUT', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ERR_SSL_PACKET_LENGTH_TOO_LONG',
]);

export function classifyTransportError(error: unknown): TransportError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
  if (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return new TransportError(code, 'tls');
  return new TransportError(code, 'network');
}

export class NodeTransport {
  private readonly agent: http.Agent;
  private readonly secure: boolean;

  constructor(address: string, settings: ConnectionSettings) {
    this.secure = address.startsWith('https:');
    this.agent = this.secure
      ? new (httpsModule().Agent)({
        keepAlive: true,
        maxSockets: 4,
        rejectUnauthorized: settings.tls.rejectUnauthorized,
        ...(settings.tls.ca ? { ca: settings.tls.ca } : {}),
        ...(settings.tls.cert ? { cert: settings.tls.cert } : {}),
        ...(settings.tls.key ? { key: settings.tls.key } : {}),
        ...(settings.tls.servername ? { servername: settings.tls.servername } : {}),
      })
      : new (httpModule().Agent)({ keepAlive: true, maxSockets: 4 });
  }

  /** The object node-vault expects under `request-promise`. */
  asRequestPromise(): { defaults: (defaults: { timeout?: number }) => (options: TransportRequest) => Promise<TransportResponse> } {
    return {
      defaults: (defaults) => (options) => this.send({ ...options, timeout: options.timeout ?? defaults.timeout ?? 10_000 }),
    };
  }

  send(options: TransportRequest): Promise<TransportResponse> {
    const url = new URL(options.uri);
    const body = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json), 'utf8');
    const headers: Record<string, string> = { ...(options.headers ?? {}), accept: 'application/json' };
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    const request = (this.secure ? httpsModule().request : httpModule().request)(url, { method: options.method, headers, agent: this.agent });
    return new Promise<TransportResponse>((resolve, reject) => {
      let settled = false;
      const fail = (error: TransportError): void => {
        if (settled) return;
        settled = true;
        request.destroy();
        reject(error);
      };
      request.setTimeout(options.timeout ?? 10_000, () => fail(new TransportError('ETIMEDOUT', 'timeout')));
      request.on('error', (error) => fail(classifyTransportError(error)));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => fail(classifyTransportError(error)));
        response.on('end', () => {
          if (settled) return;
          settled = true;
          const raw = Buffer.concat(chunks);
          let parsed: unknown = undefined;
          if (raw.length > 0) {
            try {
              parsed = JSON.parse(raw.toString('utf8'));
            } catch {
              parsed = undefined;
            }
          }
          // Responses can carry shares or tokens (init, rekey, generate-root): wipe our copies of the bytes.
          raw.fill(0);
          for (const chunk of chunks) chunk.fill(0);
          resolve({ statusCode: response.statusCode ?? 0, body: parsed, headers: response.headers, request: { path: url.pathname } });
        });
      });
      request.end(body, () => body?.fill(0));
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
