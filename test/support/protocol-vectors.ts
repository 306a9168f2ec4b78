/** Loads the wire test vectors of docs/protocol.md (test/vectors/protocol/unlock-v1.json) and builds their keys. */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface VectorRequest { now: number; content_type: string; body: string; expect_status: number; expect_error: string | null }
export interface VectorCase {
  name: string;
  description: string;
  receiver?: { boot_id?: string; ephemeral_private_key?: string; challenges?: { challenge: string; expires_at: number }[] };
  requests: VectorRequest[];
}
export interface ProtocolVectors {
  protocol: string;
  identities: Record<'receiver' | 'other_receiver' | 'custodian' | 'unauthorized_custodian', { seed: string; public_key: string; fingerprint: string }>;
  keys: Record<'current' | 'previous' | 'attacker', { raw: string; fernet_key: string; key_id: string }>;
  receiver: {
    server_id: string; identity_seed: string; identity: string; boot_id: string; ephemeral_private_key: string;
    ephemeral_public_key: string; key_checks: string[]; authorized_custodians: string; state: string;
    challenges: { challenge: string; expires_at: number }[];
  };
  status: { now: number; payload: Record<string, unknown>; jws: string; body: string; unlocked_payload: Record<string, unknown>; unlocked_jws: string };
  request: { hpke_info_hex: string; plaintext_hex: string; hpke_ikm_e: string; hpke_enc: string; hpke_ciphertext: string; payload: Record<string, unknown>; jws: string; body: string };
  receipt: { now: number; payload: Record<string, unknown>; jws: string; body: string };
  request_cases: VectorCase[];
  client_status_cases: { name: string; status_body: string; pinned_identity: string; pinned_server_id: string; expect_error: string | null }[];
  client_receipt_cases: { name: string; receipt_body: string; expect_error: string | null }[];
}

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'test', 'vectors'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('repository root not found above the test files');
    dir = parent;
  }
  return dir;
}

export function loadProtocolVectors(): ProtocolVectors {
  return JSON.parse(readFileSync(join(repoRoot(), 'test', 'vectors', 'protocol', 'unlock-v1.json'), 'utf8')) as ProtocolVectors;
}

export function ed25519FromSeed(seedB64u: string): KeyObject {
  return createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seedB64u, 'base64url')]), format: 'der', type: 'pkcs8' });
}
