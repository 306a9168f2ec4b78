/** Loads the wire test vectors of docs/protocol.md (test/vectors/protocol/unlock-v1.json) and builds their keys. */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type VectorEndpoint = 'unlock' | 'lock' | 'custodians' | 'rekey';
export interface VectorRequest {
  endpoint: VectorEndpoint; now: number; content_type: string; body: string; expect_status: number; expect_error: string | null;
  /** Statement requests: the answer's "applied" for a 200, else null. */
  expect_applied?: boolean | null;
}
export interface VectorReceiverOverrides {
  boot_id?: string; ephemeral_private_key?: string; challenge_secret?: string; spent?: string[];
  allow_older_current_key?: boolean; authorized_custodians?: string; statements_enabled?: boolean;
}
export interface VectorCase {
  name: string;
  description: string;
  receiver?: VectorReceiverOverrides;
  requests: VectorRequest[];
}
export interface LockVectorCase extends VectorCase { expect_state: 'locked' | 'unlocked'; expect_new_boot: boolean }
export interface StatementVectorCase extends VectorCase { expect_effective_custodians: string[] }
export interface StatementFileCase {
  name: string; description: string; authorized_custodians: string; lines: string[];
  expect_error_line: number | null; expect_effective_custodians: string[] | null;
}
export interface ReceiverHandoverCase {
  name: string; description: string; identity_body: string; status_body: string; expect_error: string | null; expect_identity: string | null;
}
export interface ClientReceiptCase { name: string; description?: string; receipt_body: string; expect_error: string | null }
type Identity = { seed: string; public_key: string; fingerprint: string };
type Signed = { payload: Record<string, unknown>; jws: string; body: string };
export interface ProtocolVectors {
  protocol: string;
  revision: number;
  identities: Record<'receiver' | 'other_receiver' | 'receiver_rotated' | 'receiver_rotated_twice' | 'custodian'
    | 'unauthorized_custodian' | 'second_custodian' | 'new_custodian', Identity>;
  keys: Record<'current' | 'previous' | 'attacker', { raw: string; fernet_key: string; key_id: string }>;
  limits: { max_body_bytes: number; max_keys: number; challenge_ttl_seconds: number; request_deadline_seconds: number; max_connections_per_address: number };
  receiver: {
    server_id: string; identity_seed: string; identity: string; boot_id: string; ephemeral_private_key: string;
    ephemeral_public_key: string; challenge_secret: string; spent: string[]; allow_older_current_key: boolean;
    rekey_ephemeral_private_keys: string[];
    key_checks: string[]; authorized_custodians: string; statements_enabled: boolean; state: string;
  };
  challenges: Record<'valid' | 'second' | 'unlocked_status', { issued_at: number; nonce: string; challenge: string }>
    & { boot_2: { boot_id: string; challenge_secret: string; issued_at: number; nonce: string; challenge: string } };
  status: {
    now: number; challenge_nonce: string; payload: Record<string, unknown>; jws: string; body: string;
    with_nonce: { query: string; client_nonce: string } & Signed;
    unlocked_now: number; unlocked_challenge_nonce: string; unlocked_payload: Record<string, unknown>; unlocked_jws: string;
  };
  status_query_cases: { name: string; query: string; expect_status: number; expect_error: string | null; expect_client_nonce: string | null }[];
  request: { hpke_info_hex: string; plaintext_hex: string; hpke_ikm_e: string; hpke_enc: string; hpke_ciphertext: string; payload: Record<string, unknown>; jws: string; body: string };
  receipt: { now: number } & Signed;
  request_cases: VectorCase[];
  client_status_cases: { name: string; status_body: string; pinned_identity: string; pinned_server_id: string; client_nonce: string; expect_error: string | null }[];
  client_receipt_cases: ClientReceiptCase[];
  lock: { request: Signed; receipt: { now: number } & Signed; cases: LockVectorCase[]; client_receipt_cases: ClientReceiptCase[] };
  rekey: {
    request: Signed & { hpke_info_hex: string; ikm_e: string }; receipt: { now: number } & Signed;
    cases: (VectorCase & { expect_installed_key_ids: string[] })[]; client_receipt_cases: ClientReceiptCase[];
  };
  statements: {
    handover: Signed; revocation: Signed; applied_body: string; cases: StatementVectorCase[]; file_cases: StatementFileCase[];
  };
  receiver_handover: {
    handover: { payload: Record<string, unknown>; jws: string }; identity_body: string; pinned_identity: string;
    pinned_server_id: string; client_nonce: string; cases: ReceiverHandoverCase[];
  };
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
