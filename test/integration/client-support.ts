/**
 * Network misbehaviour for the client tests, all on loopback and bounded in count and time:
 * - hostile "receivers" that trickle an answer, answer 101 or a 1xx, or never answer;
 * - a delaying TCP proxy (ENVIRONMENT.md: no tc/netem here) that adds latency each way;
 * - a replaying man in the middle that can answer GET /status with a recorded answer;
 * - pinning a server straight into servers.json (for hostile servers that cannot pass `server add`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, connect, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { repoRoot } from '../support/protocol-vectors.js';
import { nodeReceiverCommand, pythonReceiverCommand } from '../support/receivers.js';

export interface Closable {
  url: string;
  port: number;
  close(): Promise<void>;
}

const sockets = new Set<Socket>();
function track(socket: Socket): void {
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
  socket.on('error', () => undefined);
}

async function listen(server: Server | HttpServer, path = '/custodian'): Promise<{ url: string; port: number; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/**
 * Answers every request with status 200 headers, then one body byte every `everyMs` (at most `maxBytes`), never
 * finishing within the test: what a slowloris-style answer looks like to the client.
 */
export async function startTricklingServer(everyMs = 3000, maxBytes = 40): Promise<Closable & { connections: () => number }> {
  let connections = 0;
  const timers = new Set<NodeJS.Timeout>();
  const server = createTcpServer((socket) => {
    track(socket);
    connections += 1;
    socket.once('data', () => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
      let sent = 1;
      const timer = setInterval(() => {
        if (sent >= maxBytes || socket.destroyed) {
          clearInterval(timer);
          timers.delete(timer);
          return;
        }
        socket.write(' ');
        sent += 1;
      }, everyMs);
      timers.add(timer);
      socket.once('close', () => { clearInterval(timer); timers.delete(timer); });
    });
  });
  const base = await listen(server);
  return {
    ...base,
    connections: () => connections,
    close: async () => {
      for (const timer of timers) clearInterval(timer);
      await base.close();
    },
  };
}

/**
 * Answers every request with `head` (an interim or upgrade status line, or the start of an answer) and then keeps
 * the connection open, silent, or closes it (`thenClose`).
 */
export async function startInterimServer(head: string, options: { thenClose?: boolean } = {}): Promise<Closable> {
  const server = createTcpServer((socket) => {
    track(socket);
    socket.once('data', () => (options.thenClose ? socket.end(head) : socket.write(head)));
  });
  return listen(server);
}

export const SWITCHING_PROTOCOLS = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n';
export const PROCESSING = 'HTTP/1.1 102 Processing\r\n\r\n';

/** Accepts connections and reads requests but never answers; counts how many were open at once. */
export async function startSilentServer(): Promise<Closable & { maxOpen: () => number; total: () => number }> {
  let open = 0;
  let maxOpen = 0;
  let total = 0;
  const server = createTcpServer((socket) => {
    track(socket);
    open += 1;
    total += 1;
    maxOpen = Math.max(maxOpen, open);
    socket.once('close', () => { open -= 1; });
    socket.resume();
  });
  return { ...(await listen(server)), maxOpen: () => maxOpen, total: () => total };
}

/**
 * A TCP proxy to `target` (host:port) that holds every chunk `delayMs` in each direction, preserving order:
 * a link with a round trip of 2 × delayMs on loopback.
 */
export async function startDelayingProxy(targetPort: number, delayMs: number, path = '/custodian'): Promise<Closable> {
  const server = createTcpServer((client) => {
    track(client);
    const upstream = connect(targetPort, '127.0.0.1');
    track(upstream);
    const relay = (from: Socket, to: Socket) => {
      from.on('data', (chunk: Buffer) => { setTimeout(() => { if (!to.destroyed) to.write(chunk); }, delayMs); });
      from.on('end', () => setTimeout(() => to.end(), delayMs));
      from.on('close', () => setTimeout(() => to.destroy(), delayMs));
    };
    relay(client, upstream);
    relay(upstream, client);
  });
  return listen(server, path);
}

export interface ReplayingProxy extends Closable {
  /** The last GET /status answer body seen from the receiver. */
  lastStatus: string | null;
  /** When set, GET /status is answered with this body (200) instead of being forwarded. */
  replay: string | null;
}

/** An HTTP man in the middle in front of a receiver that records status answers and can replay one. */
export async function startReplayingProxy(targetBaseUrl: string): Promise<ReplayingProxy> {
  const target = new URL(targetBaseUrl);
  const server = createServer((req, res) => {
    const isStatus = req.method === 'GET' && (req.url ?? '').split('?')[0]!.endsWith('/status');
    if (isStatus && proxy.replay !== null) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(proxy.replay);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const upstream = request({
        host: target.hostname, port: target.port, method: req.method, path: req.url,
        headers: { ...req.headers, host: target.host, 'content-length': String(body.length) },
      }, (answer: IncomingMessage) => {
        const parts: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => parts.push(chunk));
        answer.on('end', () => {
          const text = Buffer.concat(parts).toString();
          if (isStatus && answer.statusCode === 200) proxy.lastStatus = text;
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          res.end(text);
        });
      });
      upstream.on('error', () => { res.writeHead(502); res.end(); });
      upstream.end(body);
    });
  });
  server.on('connection', track);
  const base = await listen(server, target.pathname.replace(/\/+$/, ''));
  const proxy: ReplayingProxy = { ...base, lastStatus: null, replay: null };
  return proxy;
}

/** Pins a server by writing servers.json directly (the home is the test's CUSTODIAN_HOME). */
export function pinDirectly(home: string, server: { name: string; url: string; identity: string; serverId: string }): void {
  const file = join(home, 'servers.json');
  let current: { version: 1; servers: unknown[] } = { version: 1, servers: [] };
  try {
    current = JSON.parse(readFileSync(file, 'utf8')) as typeof current;
  } catch {
    // none yet
  }
  current.servers.push({ ...server, added: new Date().toISOString() });
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(current), { mode: 0o600 });
}

/** A fingerprint no receiver has (for pins of hostile servers, which never get as far as a signature check). */
export const SOME_FINGERPRINT = 'ed25519:_5UpyExPH1LXXwexErrkstZw4Xx0yTXFzwBADjOOKp8';

export type ReceiverKind = 'node' | 'python';

/**
 * How to start each real receiver: the Node demo server, or the Python one from THIS checkout's
 * receivers/python/src (the shared venv has an installed copy that may be older than the branch under test).
 */
export function receiverLaunch(kind: ReceiverKind): { command: string[]; env: Record<string, string> } {
  if (kind === 'node') return { command: nodeReceiverCommand(), env: {} };
  return { command: pythonReceiverCommand(), env: { PYTHONPATH: join(repoRoot(), 'receivers', 'python', 'src'), PYTHONDONTWRITEBYTECODE: '1' } };
}

/** GET {base}/status straight from a receiver (not through the CLI): its state as it really is. */
export function receiverState(baseUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(`${baseUrl}/status`, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => {
        try {
          const token = (JSON.parse(text) as { status: string }).status;
          resolve((JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { state: string }).state);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    }).on('error', reject).end();
  });
}

/**
 * Another client flooding GET {base}/status at `perSecond` until stopped (at most `maxMs`): the attack of issue
 * 10 §5 that evicted the custodian's challenge. Returns how many requests were answered 200.
 */
export function startStatusFlood(baseUrl: string, perSecond = 100, maxMs = 10_000): { stop(): Promise<{ sent: number; answered: number }> } {
  let sent = 0;
  let answered = 0;
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  const timer = setInterval(() => {
    if (Date.now() - started > maxMs) {
      clearInterval(timer);
      return;
    }
    sent += 1;
    const one = new Promise<void>((resolve) => {
      const req = request(`${baseUrl}/status`, { agent: false }, (res) => {
        if (res.statusCode === 200) answered += 1;
        res.resume();
        res.on('end', resolve);
        res.on('error', () => resolve());
      });
      req.setTimeout(5000, () => req.destroy());
      req.on('error', () => resolve());
      req.end();
    });
    inFlight.add(one);
    void one.then(() => inFlight.delete(one));
  }, 1000 / perSecond);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all([...inFlight]);
      return { sent, answered };
    },
  };
}
