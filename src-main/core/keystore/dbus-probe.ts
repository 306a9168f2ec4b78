import { createConnection } from 'node:net';

/**
 * Checks that the session D-Bus answers at all, without blocking. @napi-rs/keyring (libdbus underneath) opens its
 * D-Bus connection synchronously on the main thread, with no timeout on the authentication handshake: a bus
 * socket that accepts connections but never answers would freeze the process for good, beyond the reach of any
 * JavaScript timer. So before the first keychain call we open the socket ourselves and wait, with a timeout, for
 * the daemon's reply to the first line of the D-Bus handshake (`AUTH EXTERNAL`), then hang up.
 *
 * 'answered': a daemon replied (whatever it said). 'silent': connected, no reply in time.
 * 'unreachable' / 'unknown': left to the library, which fails fast with its own error in those cases.
 */
export type BusProbe = 'answered' | 'silent' | 'unreachable' | 'unknown';

export function probeSessionBus(address: string | undefined, timeoutMs: number): Promise<BusProbe> {
  const path = socketPath(address);
  if (path === undefined) return Promise.resolve('unknown');
  return new Promise((resolve) => {
    const socket = createConnection({ path });
    const finish = (result: BusProbe): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish('silent'), timeoutMs);
    timer.unref();
    socket.once('connect', () => {
      const uid = typeof process.getuid === 'function' ? String(process.getuid()) : '0';
      socket.write(Buffer.concat([Buffer.from([0]), Buffer.from(`AUTH EXTERNAL ${Buffer.from(uid).toString('hex')}\r\n`)]));
    });
    socket.once('data', () => finish('answered'));
    socket.once('error', () => finish('unreachable'));
    socket.once('close', () => finish('unreachable'));
  });
}

/** The socket of the first unix: address in a D-Bus address list (path= or abstract=), if any. */
export function socketPath(address: string | undefined): string | undefined {
  if (!address) return undefined;
  for (const entry of address.split(';')) {
    const match = /^unix:(.*)$/.exec(entry.trim());
    if (!match) continue;
    const params = new Map((match[1] ?? '').split(',').map((pair) => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at), unescapeValue(pair.slice(at + 1))] as [string, string];
    }));
    const path = params.get('path');
    if (path) return path;
    const abstract = params.get('abstract');
    if (abstract) return `\0${abstract}`;
  }
  return undefined;
}

/** D-Bus address values escape bytes as %XX. */
function unescapeValue(value: string): string {
  return value.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
