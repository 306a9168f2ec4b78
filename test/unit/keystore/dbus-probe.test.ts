import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { probeSessionBus, socketPath } from '../../../src-main/core/keystore/dbus-probe.js';

test('socketPath reads unix path= and abstract= addresses, with %-escapes, and skips other transports', () => {
  assert.equal(socketPath('unix:path=/run/user/1000/bus'), '/run/user/1000/bus');
  assert.equal(socketPath('unix:path=/tmp/dbus-AbC,guid=0123'), '/tmp/dbus-AbC');
  assert.equal(socketPath('unix:abstract=/tmp/dbus-XyZ,guid=0123'), '\0/tmp/dbus-XyZ');
  assert.equal(socketPath('tcp:host=localhost,port=1;unix:path=/a%20b'), '/a b');
  assert.equal(socketPath('tcp:host=localhost,port=1'), undefined);
  assert.equal(socketPath(''), undefined);
  assert.equal(socketPath(undefined), undefined);
});

async function withServer(onConnection: (socket: Socket) => void, use: (address: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'custodian-probe-'));
  const path = join(dir, 'bus');
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => { sockets.push(socket); onConnection(socket); });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  try {
    await use(`unix:path=${path},guid=00`);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
}

test('a bus that answers the AUTH line is "answered"; one that stays silent is "silent"; no socket is "unreachable"', async () => {
  await withServer((socket) => {
    socket.once('data', (line) => {
      assert.match(line.toString('latin1'), /^\0AUTH EXTERNAL [0-9a-f]+\r\n$/);
      socket.write('OK 0123456789abcdef\r\n');
    });
  }, async (address) => {
    assert.equal(await probeSessionBus(address, 2000), 'answered');
  });
  await withServer(() => { /* never answers */ }, async (address) => {
    assert.equal(await probeSessionBus(address, 300), 'silent');
  });
  assert.equal(await probeSessionBus(`unix:path=${join(tmpdir(), 'custodian-no-such-bus')}`, 300), 'unreachable');
  assert.equal(await probeSessionBus('tcp:host=localhost,port=1', 300), 'unknown');
});
