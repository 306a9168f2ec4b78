import { request } from 'node:http';

/** A plain GET on loopback (an app's own routes, a receiver's status): status code and body text. */
export function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    }).on('error', reject).end();
  });
}
