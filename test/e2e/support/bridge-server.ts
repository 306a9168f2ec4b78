/**
 * The end-to-end test bridge: a small HTTP server on 127.0.0.1 that serves the built renderer and forwards each
 * contract call to the same handler table Electron's ipcMain registers (src-main/app/table.ts), with the real
 * core behind it. It plays the part of Electron's main process for tests in Debian's Chromium.
 *
 * Run as its own process (the OS keychain client reads D-Bus settings from the process environment, so it must
 * start with the test keyring's env). Prints one JSON line, {"url","token"}, when ready; stops on SIGTERM.
 *
 * Calls: POST /rpc/<channel> with the JSON payload. The sender check mirrors Electron's: the Origin header must
 * be this server's own origin, and the per-run token (handed to the test page only) must match.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentSecurityPolicy } from '../../../src-shared/csp.js';
import { MemoryClipboard } from '../../../src-main/app/clipboard.js';
import { TestDialogs } from './test-dialogs.js';
import { createDispatcher } from '../../../src-main/app/dispatch.js';
import { createAppCore } from '../../../src-main/app/table.js';

const rendererDir = fileURLToPath(new URL('../../../renderer/', import.meta.url));
const token = randomBytes(24).toString('hex');
const clipboard = new MemoryClipboard();
const notifications: Array<{ title: string; body: string }> = [];
const dialogs = new TestDialogs(process.env['CUSTODIAN_E2E_FILES']);
const core = createAppCore({ env: process.env, clipboard, notify: (title, body) => notifications.push({ title, body }), dialogs });
const MAX_BODY = 256 * 1024;
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png' };

let origin = '';
let dispatcher: ReturnType<typeof createDispatcher>;

const server = createServer((request, response) => {
  handle(request, response).catch(() => send(response, 500, 'text/plain', 'bridge failure'));
});

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', origin);
  if (request.method === 'POST' && url.pathname.startsWith('/rpc/')) {
    const given = Buffer.from(String(request.headers['x-custodian-bridge'] ?? ''));
    const expected = Buffer.from(token);
    const tokenOk = given.length === expected.length && timingSafeEqual(given, expected);
    const body = await readBody(request);
    let payload: unknown;
    try {
      payload = body.length ? JSON.parse(body.toString('utf8')) : undefined;
    } catch {
      payload = undefined;
    } finally {
      body.fill(0);
    }
    const channel = decodeURIComponent(url.pathname.slice('/rpc/'.length));
    const result = await dispatcher.handle(channel, payload, {
      url: tokenOk ? request.headers.origin : undefined,
      isMainFrame: true,
    });
    return send(response, 200, 'application/json', JSON.stringify(result));
  }
  if (request.method === 'GET' && url.pathname.startsWith('/__test/')) {
    if (request.headers['x-custodian-bridge'] !== token) return send(response, 403, 'text/plain', 'forbidden');
    if (url.pathname === '/__test/clipboard') return send(response, 200, 'application/json', JSON.stringify({ text: clipboard.text, formats: clipboard.formats }));
    if (url.pathname === '/__test/notifications') return send(response, 200, 'application/json', JSON.stringify(notifications));
    if (url.pathname === '/__test/dialogs') return send(response, 200, 'application/json', JSON.stringify(dialogs.asked));
  }
  if (request.method === 'POST' && url.pathname === '/__test/open-file') {
    // The file the next open dialog "chooses" (the test decides, as a person would in the real dialog).
    if (request.headers['x-custodian-bridge'] !== token) return send(response, 403, 'text/plain', 'forbidden');
    dialogs.queueOpen((JSON.parse((await readBody(request)).toString('utf8')) as { path: string | null }).path ?? undefined);
    return send(response, 200, 'application/json', '{}');
  }
  if (request.method !== 'GET') return send(response, 405, 'text/plain', 'method not allowed');
  const relative = url.pathname === '/' ? '/index.html' : decodeURIComponent(url.pathname);
  const file = normalize(join(rendererDir, relative));
  if (!file.startsWith(normalize(rendererDir + sep)) || !(extname(file) in TYPES)) return send(response, 404, 'text/plain', 'not found');
  try {
    return send(response, 200, TYPES[extname(file)]!, await readFile(file));
  } catch {
    return send(response, 404, 'text/plain', 'not found');
  }
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'content-security-policy': contentSecurityPolicy({ connectSelf: true }),
    'x-content-type-options': 'nosniff',
  });
  response.end(body);
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  origin = `http://127.0.0.1:${address.port}`;
  dispatcher = createDispatcher(core.table, { origin }, (line) => process.stderr.write(`[bridge] ${line}\n`));
  process.stdout.write(`${JSON.stringify({ url: origin, token })}\n`);
});

const stop = (): void => {
  void core.dispose().finally(() => server.close(() => process.exit(0)));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
