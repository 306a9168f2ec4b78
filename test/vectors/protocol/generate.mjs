// Regenerates unlock-v1.json, the wire test vectors of docs/protocol.md ("custodian-unlock/1").
//   node test/vectors/protocol/generate.mjs > test/vectors/protocol/unlock-v1.json
// Deliberately independent of both receivers and of the push client: it builds every message from the spec
// with node:crypto (Ed25519, SHA-256, HMAC) and @hpke/core (RFC 9180 Seal with a fixed ephemeral key), so the
// implementations are checked against a third one. Every key and nonce is derived from a fixed label, and
// Ed25519 signatures are deterministic, so the output is byte-for-byte reproducible.
import { createHash, createHmac, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';

const PROTOCOL = 'custodian-unlock/1';
const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });

const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
const fixed = (label, length = 32) => createHash('sha256').update(`${PROTOCOL} test vector: ${label}`).digest().subarray(0, length);

function ed25519(label) {
  const seed = fixed(label);
  const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  const publicRaw = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x, 'base64url');
  return { seed, privateKey, publicRaw, fingerprint: fingerprint(publicRaw) };
}
function x25519(label) {
  const secret = fixed(label);
  const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), secret]), format: 'der', type: 'pkcs8' });
  const publicRaw = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x, 'base64url');
  return { secret, publicRaw };
}
function fingerprint(publicRaw) {
  return `ed25519:${b64u(createHash('sha256').update(publicRaw).digest())}`;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function keyId(raw) {
  const mac = createHmac('sha256', raw).update('key-custodian key-id v1').digest();
  let bits = 0n;
  for (const byte of mac.subarray(0, 10)) bits = (bits << 8n) | BigInt(byte);
  let text = '';
  for (let i = 15; i >= 0; i--) text += CROCKFORD[Number((bits >> BigInt(i * 5)) & 31n)];
  return `K1-${text.slice(0, 4)}-${text.slice(4, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}`;
}
const fernetText = (raw) => Buffer.from(raw).toString('base64url').padEnd(44, '=');

function jws(signer, typ, payload, headerOverride) {
  const header = headerOverride ?? { alg: 'EdDSA', typ, jwk: { kty: 'OKP', crv: 'Ed25519', x: b64u(signer.publicRaw) } };
  const signingInput = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${signingInput}.${b64u(sign(null, Buffer.from(signingInput), signer.privateKey))}`;
}
function hpkeInfo({ serverId, receiverIdentity, bootId, challenge, custodian }) {
  return Buffer.from([PROTOCOL, serverId, receiverIdentity, bootId, challenge, custodian].join('\0'), 'utf8');
}
async function seal(recipientRaw, info, plaintext, ikmLabel) {
  const recipientPublicKey = await suite.kem.deserializePublicKey(recipientRaw);
  const ikmE = fixed(ikmLabel);
  const sealed = await suite.seal({ recipientPublicKey, info, ekm: ikmE }, plaintext);
  return { ikmE, enc: Buffer.from(sealed.enc), ct: Buffer.from(sealed.ct), sealed: Buffer.concat([Buffer.from(sealed.enc), Buffer.from(sealed.ct)]) };
}

// ---- fixed world -------------------------------------------------------------------------------------------
const NOW = 1767225600; // 2026-01-01T00:00:00Z
const TTL = 60;
const receiverIdentity = ed25519('receiver identity');
const otherReceiver = ed25519('other receiver identity');
const custodian = ed25519('custodian identity');
const stranger = ed25519('unauthorized custodian identity');
const ephemeral = x25519('receiver ephemeral boot 1');
const ephemeralBoot2 = x25519('receiver ephemeral boot 2');
const serverId = 'app-1';
const bootId = b64u(fixed('boot id 1', 16));
const bootId2 = b64u(fixed('boot id 2', 16));
const challenge = b64u(fixed('challenge 1'));
const challenge2 = b64u(fixed('challenge 2'));
const currentKey = fixed('fernet key current');
const previousKey = fixed('fernet key previous');
const attackerKey = fixed('fernet key chosen by an attacker');
const currentId = keyId(currentKey);
const previousId = keyId(previousKey);
const attackerId = keyId(attackerKey);

const authorizedFile = `# authorized custodians of app-1: one fingerprint per line, then a name\n${custodian.fingerprint} alice (security officer)\n`;

function statusPayload({ identity = receiverIdentity, state = 'locked', ch = challenge, boot = bootId, eph = ephemeral } = {}) {
  return {
    protocol: PROTOCOL,
    type: 'status',
    server_id: serverId,
    identity: identity.fingerprint,
    boot_id: boot,
    state,
    issued_at: NOW,
    challenge: state === 'locked' ? ch : null,
    challenge_expires_at: state === 'locked' ? NOW + TTL : null,
    ephemeral_key: state === 'locked' ? b64u(eph.publicRaw) : null,
    key_checks: [currentId, previousId],
    installed_key_ids: state === 'locked' ? [] : [currentId, previousId],
  };
}

async function unlockRequest(options = {}) {
  const signer = options.signer ?? custodian;
  const bindings = {
    serverId: options.serverId ?? serverId,
    receiverIdentity: options.receiverIdentity ?? receiverIdentity.fingerprint,
    bootId: options.bootId ?? bootId,
    challenge: options.challenge ?? challenge,
    custodian: options.custodian ?? signer.fingerprint,
  };
  const keys = options.keys ?? [currentKey, previousKey];
  const plaintext = options.plaintext ?? Buffer.concat(keys);
  const info = hpkeInfo({ ...bindings, ...(options.infoOverride ?? {}) });
  const sealed = await seal(options.recipient ?? ephemeral.publicRaw, info, plaintext, options.ikmLabel ?? 'hpke ikmE request 1');
  let sealedBytes = sealed.sealed;
  if (options.tamperCiphertext) { sealedBytes = Buffer.from(sealedBytes); sealedBytes[sealedBytes.length - 20] ^= 0x01; }
  const payload = {
    protocol: options.protocol ?? PROTOCOL,
    type: options.type ?? 'unlock',
    server_id: bindings.serverId,
    receiver_identity: bindings.receiverIdentity,
    boot_id: bindings.bootId,
    challenge: bindings.challenge,
    custodian: bindings.custodian,
    key_ids: options.keyIds ?? keys.map(keyId),
    issued_at: NOW + 1,
    sealed: b64u(sealedBytes),
    ...(options.extraPayload ?? {}),
  };
  const token = jws(signer, options.typ ?? 'custodian-unlock+jws', options.payloadOverride ?? payload, options.header?.(signer));
  return { payload, info, plaintext, sealed, token };
}
const envelope = (request, protocol = PROTOCOL) => JSON.stringify({ protocol, request });
const ok = (body, now = NOW + 5) => ({ now, content_type: 'application/json', body, expect_status: 200, expect_error: null });
const fail = (body, status, error, now = NOW + 5, contentType = 'application/json') => ({ now, content_type: contentType, body, expect_status: status, expect_error: error });

// ---- the happy path ----------------------------------------------------------------------------------------
const status = statusPayload();
const statusJws = jws(receiverIdentity, 'custodian-status+jws', status);
const valid = await unlockRequest();
const receiptPayload = {
  protocol: PROTOCOL,
  type: 'receipt',
  server_id: serverId,
  identity: receiverIdentity.fingerprint,
  boot_id: bootId,
  challenge,
  custodian: custodian.fingerprint,
  key_ids: [currentId, previousId],
  installed_at: NOW + 5,
  request_hash: b64u(createHash('sha256').update(valid.token).digest()),
};
const receiptJws = jws(receiverIdentity, 'custodian-receipt+jws', receiptPayload);
const unlockedStatus = { ...statusPayload({ state: 'unlocked' }), issued_at: NOW + 6 };
const unlockedStatusJws = jws(receiverIdentity, 'custodian-status+jws', unlockedStatus);

// ---- request cases -----------------------------------------------------------------------------------------
const tamperSignature = (token) => { const parts = token.split('.'); const sig = Buffer.from(parts[2], 'base64url'); sig[10] ^= 0x04; return `${parts[0]}.${parts[1]}.${b64u(sig)}`; };
const swapPayload = (token, payload) => { const parts = token.split('.'); return `${parts[0]}.${b64u(JSON.stringify(payload))}.${parts[2]}`; };
const hs256 = (() => {
  const header = { alg: 'HS256', typ: 'custodian-unlock+jws', jwk: { kty: 'OKP', crv: 'Ed25519', x: b64u(custodian.publicRaw) } };
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(valid.payload))}`;
  return `${input}.${b64u(createHmac('sha256', custodian.publicRaw).update(input).digest())}`;
})();
const algNone = `${b64u(JSON.stringify({ alg: 'none', typ: 'custodian-unlock+jws', jwk: { kty: 'OKP', crv: 'Ed25519', x: b64u(custodian.publicRaw) } }))}.${b64u(JSON.stringify(valid.payload))}.`;

const cases = [];
const add = (name, description, requests, receiver = undefined) => cases.push({ name, description, ...(receiver ? { receiver } : {}), requests });

add('valid-unlock', 'Current and previous key, authorized custodian, fresh challenge: accepted; the receipt is receipt.jws.', [ok(envelope(valid.token))]);
const currentOnly = await unlockRequest({ keys: [currentKey], ikmLabel: 'hpke ikmE request current only' });
add('valid-unlock-current-key-only', 'Only the current key: accepted.', [ok(envelope(currentOnly.token))]);
add('replay-after-unlock', 'The same request again after it unlocked the receiver.', [ok(envelope(valid.token)), fail(envelope(valid.token), 409, 'ALREADY_UNLOCKED', NOW + 6)]);
const wrongKeyFirst = await unlockRequest({ keys: [attackerKey], ikmLabel: 'hpke ikmE attacker key' });
add('replay-consumed-challenge', 'A refused request consumes its challenge: a valid request with the same challenge is refused afterwards.', [fail(envelope(wrongKeyFirst.token), 422, 'KEY_CHECK_FAILED'), fail(envelope(valid.token), 409, 'UNKNOWN_CHALLENGE', NOW + 6)]);
add('replay-other-boot', 'A request recorded before a restart (the receiver now has boot id 2, a new ephemeral key and a new challenge).', [fail(envelope(valid.token), 409, 'WRONG_BOOT')],
  { boot_id: bootId2, ephemeral_private_key: b64u(ephemeralBoot2.secret), challenges: [{ challenge: challenge2, expires_at: NOW + TTL }] });
add('cross-server-id', 'Signed for another server id.', [fail(envelope((await unlockRequest({ serverId: 'app-2' })).token), 403, 'WRONG_SERVER')]);
add('cross-server-identity', 'Signed for another receiver identity (a request captured at another server).', [fail(envelope((await unlockRequest({ receiverIdentity: otherReceiver.fingerprint })).token), 403, 'WRONG_SERVER')]);
add('unknown-custodian', 'Well-formed and signed, but by a custodian that is not in the authorized-custodians file.', [fail(envelope((await unlockRequest({ signer: stranger })).token), 403, 'UNKNOWN_CUSTODIAN')]);
add('tampered-signature', 'One bit of the signature flipped.', [fail(envelope(tamperSignature(valid.token)), 401, 'BAD_SIGNATURE')]);
add('tampered-payload', 'The payload changed (key_ids) under the original signature.', [fail(envelope(swapPayload(valid.token, { ...valid.payload, key_ids: [currentId] })), 401, 'BAD_SIGNATURE')]);
add('tampered-ciphertext', 'One bit of the HPKE ciphertext flipped, then signed by the authorized custodian.', [fail(envelope((await unlockRequest({ tamperCiphertext: true })).token), 400, 'DECRYPT_FAILED')]);
add('hpke-info-other-challenge', 'The keys were sealed with info bound to another challenge than the one in the signed payload.', [fail(envelope((await unlockRequest({ infoOverride: { challenge: challenge2 } })).token), 400, 'DECRYPT_FAILED')]);
add('hpke-other-ephemeral-key', 'Sealed to the ephemeral key of another boot.', [fail(envelope((await unlockRequest({ recipient: ephemeralBoot2.publicRaw })).token), 400, 'DECRYPT_FAILED')]);
add('wrong-key', 'An attacker-chosen key with its true key id, properly signed: not one of the configured key checks.', [fail(envelope(wrongKeyFirst.token), 422, 'KEY_CHECK_FAILED')]);
add('key-ids-lie', 'key_ids name the expected keys but the sealed keys are different.', [fail(envelope((await unlockRequest({ keys: [attackerKey, previousKey], keyIds: [currentId, previousId] })).token), 422, 'KEY_CHECK_FAILED')]);
add('plaintext-not-whole-keys', 'The sealed plaintext is 33 bytes.', [fail(envelope((await unlockRequest({ keys: [currentKey], plaintext: Buffer.concat([currentKey, Buffer.from([0])]) })).token), 400, 'BAD_PAYLOAD')]);
add('plaintext-fewer-keys-than-ids', 'Two key ids, one sealed key.', [fail(envelope((await unlockRequest({ keys: [currentKey, previousKey], plaintext: currentKey })).token), 400, 'BAD_PAYLOAD')]);
add('challenge-expired', 'Sent after challenge_expires_at.', [fail(envelope(valid.token), 409, 'CHALLENGE_EXPIRED', NOW + TTL + 1)]);
add('challenge-at-expiry', 'Sent exactly at challenge_expires_at: still valid.', [ok(envelope(valid.token), NOW + TTL)]);
add('challenge-never-issued', 'A challenge the receiver never issued.', [fail(envelope((await unlockRequest({ challenge: b64u(fixed('challenge never issued')) })).token), 409, 'UNKNOWN_CHALLENGE')]);
add('downgrade-envelope-protocol', 'The envelope names an older protocol.', [fail(envelope(valid.token, 'custodian-unlock/0'), 400, 'UNSUPPORTED_PROTOCOL')]);
add('downgrade-payload-protocol', 'The signed payload names an older protocol.', [fail(envelope((await unlockRequest({ protocol: 'custodian-unlock/0' })).token), 400, 'UNSUPPORTED_PROTOCOL')]);
add('downgrade-alg-none', 'Unsigned JWS (alg "none").', [fail(envelope(algNone), 400, 'UNSUPPORTED_PROTOCOL')]);
add('downgrade-alg-hs256', 'HS256 with the custodian public key as the HMAC secret (algorithm confusion).', [fail(envelope(hs256), 400, 'UNSUPPORTED_PROTOCOL')]);
add('reflection-status', 'The receiver\'s own signed status sent back as an unlock request.', [fail(envelope(statusJws), 400, 'WRONG_MESSAGE_TYPE')]);
add('reflection-receipt', 'A receipt sent back as an unlock request.', [fail(envelope(receiptJws), 400, 'WRONG_MESSAGE_TYPE')]);
add('payload-type-status', 'typ is right, but the signed payload says type "status".', [fail(envelope((await unlockRequest({ type: 'status' })).token), 400, 'WRONG_MESSAGE_TYPE')]);
add('custodian-field-mismatch', 'The payload names another custodian than the signer.', [fail(envelope((await unlockRequest({ custodian: stranger.fingerprint })).token), 400, 'BAD_REQUEST')]);
add('duplicate-key-ids', 'The same key twice.', [fail(envelope((await unlockRequest({ keys: [currentKey, currentKey] })).token), 400, 'BAD_REQUEST')]);
add('too-many-keys', 'Ten keys (at most 1 current + 8 previous).', [fail(envelope((await unlockRequest({ keys: Array.from({ length: 10 }, (_, i) => fixed(`many ${i}`)) })).token), 400, 'BAD_REQUEST')]);
add('extra-payload-member', 'An unknown member in the signed payload.', [fail(envelope((await unlockRequest({ extraPayload: { note: 'x' } })).token), 400, 'BAD_REQUEST')]);
add('extra-header-member', 'A "crit" member in the protected header.', [fail(envelope((await unlockRequest({ header: (s) => ({ alg: 'EdDSA', typ: 'custodian-unlock+jws', jwk: { kty: 'OKP', crv: 'Ed25519', x: b64u(s.publicRaw) }, crit: ['exp'] }) })).token), 400, 'BAD_REQUEST')]);
add('header-jwk-not-ed25519', 'The header key claims crv X25519.', [fail(envelope((await unlockRequest({ header: (s) => ({ alg: 'EdDSA', typ: 'custodian-unlock+jws', jwk: { kty: 'OKP', crv: 'X25519', x: b64u(s.publicRaw) } }) })).token), 400, 'BAD_REQUEST')]);
add('jws-two-parts', 'Not a compact JWS.', [fail(envelope(valid.token.split('.').slice(0, 2).join('.')), 400, 'BAD_REQUEST')]);
add('jws-padding', 'Base64 padding in the signature part.', [fail(envelope(`${valid.token}==`), 400, 'BAD_REQUEST')]);
add('envelope-extra-member', 'An unknown member in the envelope.', [fail(JSON.stringify({ protocol: PROTOCOL, request: valid.token, keys: [] }), 400, 'BAD_REQUEST')]);
add('envelope-not-json', 'Not JSON.', [fail('{"protocol":"custodian-unlock/1","request":', 400, 'BAD_REQUEST')]);
add('envelope-array', 'JSON, but not an object.', [fail('[]', 400, 'BAD_REQUEST')]);
add('wrong-content-type', 'text/plain.', [fail(envelope(valid.token), 415, 'UNSUPPORTED_MEDIA_TYPE', NOW + 5, 'text/plain')]);
add('body-too-large', '16385 bytes (the limit is 16384).', [fail(JSON.stringify({ protocol: PROTOCOL, request: 'a'.repeat(16385 - 46) }), 413, 'BODY_TOO_LARGE')]);
for (const c of cases) for (const r of c.requests) if (r.expect_error === 'BODY_TOO_LARGE' && Buffer.byteLength(r.body) !== 16385) throw new Error(`oversized body is ${Buffer.byteLength(r.body)} bytes`);

// ---- client-side cases (what `custodian push` must refuse before or after sending) --------------------------
const clientStatusCases = [
  { name: 'status-valid', status_body: JSON.stringify({ protocol: PROTOCOL, status: statusJws }), pinned_identity: receiverIdentity.fingerprint, pinned_server_id: serverId, expect_error: null },
  { name: 'status-identity-mismatch', description: 'Signed by another receiver identity than the pinned one: send nothing.', status_body: JSON.stringify({ protocol: PROTOCOL, status: jws(otherReceiver, 'custodian-status+jws', statusPayload({ identity: otherReceiver })) }), pinned_identity: receiverIdentity.fingerprint, pinned_server_id: serverId, expect_error: 'IDENTITY_MISMATCH' },
  { name: 'status-server-id-mismatch', description: 'Right identity, but the pinned server id differs.', status_body: JSON.stringify({ protocol: PROTOCOL, status: statusJws }), pinned_identity: receiverIdentity.fingerprint, pinned_server_id: 'app-2', expect_error: 'IDENTITY_MISMATCH' },
  { name: 'status-bad-signature', status_body: JSON.stringify({ protocol: PROTOCOL, status: tamperSignature(statusJws) }), pinned_identity: receiverIdentity.fingerprint, pinned_server_id: serverId, expect_error: 'BAD_SIGNATURE' },
  { name: 'status-downgrade', status_body: JSON.stringify({ protocol: 'custodian-unlock/0', status: statusJws }), pinned_identity: receiverIdentity.fingerprint, pinned_server_id: serverId, expect_error: 'UNSUPPORTED_PROTOCOL' },
  { name: 'status-reflected-request', description: 'An unlock request presented as a status.', status_body: JSON.stringify({ protocol: PROTOCOL, status: valid.token }), pinned_identity: custodian.fingerprint, pinned_server_id: serverId, expect_error: 'WRONG_MESSAGE_TYPE' },
  { name: 'status-identity-field-lies', description: 'Signed by the pinned key, but the payload names another identity.', status_body: JSON.stringify({ protocol: PROTOCOL, status: jws(receiverIdentity, 'custodian-status+jws', { ...status, identity: otherReceiver.fingerprint }) }), pinned_identity: receiverIdentity.fingerprint, pinned_server_id: serverId, expect_error: 'BAD_REQUEST' },
];
const clientReceiptCases = [
  { name: 'receipt-valid', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: receiptJws }), expect_error: null },
  { name: 'receipt-bad-signature', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: tamperSignature(receiptJws) }), expect_error: 'BAD_SIGNATURE' },
  { name: 'receipt-other-identity', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: jws(otherReceiver, 'custodian-receipt+jws', { ...receiptPayload, identity: otherReceiver.fingerprint }) }), expect_error: 'IDENTITY_MISMATCH' },
  { name: 'receipt-other-challenge', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: jws(receiverIdentity, 'custodian-receipt+jws', { ...receiptPayload, challenge: challenge2 }) }), expect_error: 'RECEIPT_MISMATCH' },
  { name: 'receipt-other-request', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: jws(receiverIdentity, 'custodian-receipt+jws', { ...receiptPayload, request_hash: b64u(fixed('other request')) }) }), expect_error: 'RECEIPT_MISMATCH' },
  { name: 'receipt-fewer-keys', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: jws(receiverIdentity, 'custodian-receipt+jws', { ...receiptPayload, key_ids: [currentId] }) }), expect_error: 'RECEIPT_MISMATCH' },
  { name: 'receipt-reflected-status', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: statusJws }), expect_error: 'WRONG_MESSAGE_TYPE' },
];

const vectors = {
  protocol: PROTOCOL,
  description: 'Wire test vectors for docs/protocol.md. Generated by generate.mjs in this folder; do not edit by hand. Binary values are base64url without padding unless the name ends in _hex.',
  derivation: `Every fixed key and nonce is SHA-256("${PROTOCOL} test vector: " + label), truncated for 16-byte values.`,
  hpke_suite: { mode: 'base', kem: 'DHKEM(X25519, HKDF-SHA256)', kem_id: 0x0020, kdf: 'HKDF-SHA256', kdf_id: 0x0001, aead: 'AES-256-GCM', aead_id: 0x0002 },
  limits: { max_body_bytes: 16384, max_keys: 9, challenge_ttl_seconds: TTL, max_outstanding_challenges: 32 },
  identities: {
    receiver: { seed: b64u(receiverIdentity.seed), public_key: b64u(receiverIdentity.publicRaw), fingerprint: receiverIdentity.fingerprint },
    other_receiver: { seed: b64u(otherReceiver.seed), public_key: b64u(otherReceiver.publicRaw), fingerprint: otherReceiver.fingerprint },
    custodian: { seed: b64u(custodian.seed), public_key: b64u(custodian.publicRaw), fingerprint: custodian.fingerprint },
    unauthorized_custodian: { seed: b64u(stranger.seed), public_key: b64u(stranger.publicRaw), fingerprint: stranger.fingerprint },
  },
  keys: {
    current: { raw: b64u(currentKey), fernet_key: fernetText(currentKey), key_id: currentId },
    previous: { raw: b64u(previousKey), fernet_key: fernetText(previousKey), key_id: previousId },
    attacker: { raw: b64u(attackerKey), fernet_key: fernetText(attackerKey), key_id: attackerId },
  },
  receiver: {
    description: 'The receiver state every request case starts from (fresh per case), unless the case lists overrides in "receiver".',
    server_id: serverId,
    identity_seed: b64u(receiverIdentity.seed),
    identity: receiverIdentity.fingerprint,
    boot_id: bootId,
    ephemeral_private_key: b64u(ephemeral.secret),
    ephemeral_public_key: b64u(ephemeral.publicRaw),
    key_checks: [currentId, previousId],
    authorized_custodians: authorizedFile,
    state: 'locked',
    challenges: [{ challenge, expires_at: NOW + TTL }],
  },
  status: {
    description: 'GET {base}/status at "now" while locked, issuing the receiver\'s challenge; then after valid-unlock at now+6.',
    now: NOW,
    payload: status,
    jws: statusJws,
    body: JSON.stringify({ protocol: PROTOCOL, status: statusJws }),
    unlocked_payload: unlockedStatus,
    unlocked_jws: unlockedStatusJws,
  },
  request: {
    description: 'The valid unlock request (case valid-unlock), step by step.',
    hpke_info_hex: valid.info.toString('hex'),
    plaintext_hex: valid.plaintext.toString('hex'),
    hpke_ikm_e: b64u(valid.sealed.ikmE),
    hpke_enc: b64u(valid.sealed.enc),
    hpke_ciphertext: b64u(valid.sealed.ct),
    payload: valid.payload,
    jws: valid.token,
    body: envelope(valid.token),
  },
  receipt: { now: NOW + 5, payload: receiptPayload, jws: receiptJws, body: JSON.stringify({ protocol: PROTOCOL, receipt: receiptJws }) },
  request_cases: cases,
  client_status_cases: clientStatusCases,
  client_receipt_cases: clientReceiptCases,
};
process.stdout.write(`${JSON.stringify(vectors, null, 2)}\n`);
