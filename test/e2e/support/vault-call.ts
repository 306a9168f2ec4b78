/** Direct HTTPS calls to an OpenBao node trusting the run's CA, for checks made from the test side. */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { VaultCall } from '../specs/ceremonies.js';

export function vaultCaller(address: string, caCertFile: string): VaultCall {
  const ca = readFileSync(caCertFile);
  return (method, path, token) => new Promise((resolve, reject) => {
    const req = request(new URL(path, address), { method, ca, headers: token ? { 'x-vault-token': token } : {} }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) as Record<string, unknown> : {} }));
    });
    req.on('error', reject);
    req.end();
  });
}
