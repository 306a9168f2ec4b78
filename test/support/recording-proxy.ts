/**
 * A man in the middle for push tests: an HTTP proxy on loopback in front of one receiver that records every
 * request body and may rewrite unlock bodies in flight (like a hostile TLS-terminating proxy would).
 */
import { createServer, request, type Server } from 'node:http';

export interface RecordedRequest {
  method: string;
  path: string;
  body: Buffer;
}

export interface RecordingProxy {
  /** Base URL to pin instead of the receiver's, e.g. http://127.0.0.1:PORT/custodian */
  url: string;
  requests: RecordedRequest[];
  /** Rewrites the body of POST requests before forwarding; identity by default. */
  rewrite: ((body: Buffer) => Buffer) | null;
  close(): Promise<void>;
}

export async function startRecordingProxy(targetBaseUrl: string): Promise<RecordingProxy> {
  const target = new URL(targetBaseUrl);
  const proxy: RecordingProxy = {
    url: '',
    requests: [],
    rewrite: null,
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: Buffer = Buffer.concat(chunks);
      proxy.requests.push({ method: req.method ?? '', path: req.url ?? '', body });
      if (req.method === 'POST' && proxy.rewrite) body = proxy.rewrite(body);
      const upstream = request({
        host: target.hostname, port: target.port, method: req.method, path: req.url,
        headers: { ...req.headers, host: target.host, 'content-length': String(body.length) },
      }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => { res.writeHead(502); res.end(); });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  proxy.url = `http://127.0.0.1:${port}${target.pathname.replace(/\/+$/, '')}`;
  return proxy;
}
