import { request } from 'node:http';

/** A plain GET on loopback (an app's own routes, a receiver's status): status code and body text; bounded at 15 s. */
export function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject).end();
  });
}

/** httpGet for routes that answer JSON objects. */
export async function httpGetJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const { status, body } = await httpGet(url);
  return { status, body: JSON.parse(body) as Record<string, unknown> };
}
