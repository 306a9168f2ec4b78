/**
 * Receiver identity hand-overs (docs/protocol.md §12.6): when a receiver replaces its identity key, the old key
 * signs a statement naming the new one, and `GET {base}/identity` serves the chain so that the custodian can
 * re-pin with proof (`custodian server accept-identity`). `custodian-receiver rotate-identity` makes a link; the
 * receiver checks its whole chain at start, so it never serves a chain that does not lead to itself.
 */
import type { KeyObject } from 'node:crypto';
import { ed25519PublicRaw } from './config-files.js';
import { PROTOCOL, fingerprintOf, hasExactly, isFingerprint, isTime, parseJsonObject } from './encoding.js';
import { ReceiverConfigError } from './errors.js';
import { parseJws, signJws, verifyJws } from './jws.js';

const MEMBERS = ['protocol', 'type', 'server_id', 'old_identity', 'new_identity', 'issued_at'] as const;

/** One link, signed by the old key: what `rotate-identity` prints. */
export function createReceiverHandover(oldKey: KeyObject, newKey: KeyObject, serverId: string, issuedAt: number): string {
  const oldPublic = ed25519PublicRaw(oldKey);
  const newIdentity = fingerprintOf(ed25519PublicRaw(newKey));
  const oldIdentity = fingerprintOf(oldPublic);
  if (oldIdentity === newIdentity) throw new ReceiverConfigError('INVALID_CONFIG', 'the new identity key is the old one');
  return signJws('custodian-receiver-handover+jws', {
    protocol: PROTOCOL,
    type: 'receiver_handover',
    server_id: serverId,
    old_identity: oldIdentity,
    new_identity: newIdentity,
    issued_at: issuedAt,
  }, oldKey, oldPublic);
}

/**
 * Checks an --identity-handovers file (one JWS per line, oldest first, blank lines ignored): every link verifies,
 * names this server, is signed by its old identity, follows the previous link, and the last one ends at this
 * receiver's identity. Returns the links in order. Errors name the line, never its content.
 */
export function checkIdentityHandovers(text: string, serverId: string, identity: string): string[] {
  const links: string[] = [];
  let previous: string | null = null;
  let lastLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    lastLine = index + 1;
    const problem = () => new ReceiverConfigError('INVALID_CONFIG', `identity hand-overs file line ${index + 1} is not a valid hand-over for this server (run rotate-identity again, or restore the file)`);
    let payload: Record<string, unknown> | null;
    let signer: string;
    try {
      const jws = parseJws(line, 'custodian-receiver-handover+jws');
      if (!verifyJws(jws)) throw problem();
      payload = parseJsonObject(jws.payloadBytes);
      signer = jws.signer;
    } catch {
      throw problem();
    }
    if (!payload || !hasExactly(payload, MEMBERS) || payload['protocol'] !== PROTOCOL || payload['type'] !== 'receiver_handover'
      || payload['server_id'] !== serverId || payload['old_identity'] !== signer || !isFingerprint(payload['new_identity'])
      || !isTime(payload['issued_at']) || (previous !== null && previous !== signer)) throw problem();
    previous = payload['new_identity'] as string;
    links.push(line);
  });
  if (previous !== null && previous !== identity) {
    throw new ReceiverConfigError('INVALID_CONFIG', `identity hand-overs file line ${lastLine} does not end at this receiver's identity (is --identity-key the new key?)`);
  }
  return links;
}
