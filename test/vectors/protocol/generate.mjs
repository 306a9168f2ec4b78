// Regenerates unlock-v1.json, the wire test vectors of docs/protocol.md ("custodian-unlock/1"), and
// vault-login-v1.json, those of the Vault login delivered by push (§12.13):
//   node test/vectors/protocol/generate.mjs > test/vectors/protocol/unlock-v1.json
//   node test/vectors/protocol/generate.mjs vault-login > test/vectors/protocol/vault-login-v1.json
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
  return jwsText(signer, JSON.stringify(header), JSON.stringify(payload));
}
/** Signs exact header and payload texts: the strict-JSON cases need bytes JSON.stringify never writes. */
function jwsText(signer, headerText, payloadText) {
  const signingInput = `${b64u(Buffer.from(headerText))}.${b64u(Buffer.from(payloadText))}`;
  return `${signingInput}.${b64u(sign(null, Buffer.from(signingInput), signer.privateKey))}`;
}
const headerText = (signer, typ) => JSON.stringify({ alg: 'EdDSA', typ, jwk: { kty: 'OKP', crv: 'Ed25519', x: b64u(signer.publicRaw) } });
/** Revision 2 challenge (protocol §12.1): issued_at (8 bytes BE) || nonce (8) || first 16 bytes of the HMAC tag. */
function makeChallenge(secret, boot, issuedAt, nonce) {
  const head = Buffer.alloc(16);
  head.writeBigUInt64BE(BigInt(issuedAt), 0);
  Buffer.from(nonce).copy(head, 8);
  const tag = createHmac('sha256', secret).update(Buffer.concat([Buffer.from('custodian-challenge/1\0' + boot + '\0', 'ascii'), head])).digest().subarray(0, 16);
  return b64u(Buffer.concat([head, tag]));
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
const receiverIdentity2 = ed25519('receiver identity after rotation');
const receiverIdentity3 = ed25519('receiver identity after second rotation');
const custodian = ed25519('custodian identity');
const stranger = ed25519('unauthorized custodian identity');
const secondCustodian = ed25519('second custodian identity');
const newCustodian = ed25519('new custodian identity');
const ephemeral = x25519('receiver ephemeral boot 1');
const ephemeralBoot2 = x25519('receiver ephemeral boot 2');
// §12.12: the rekey keys the receiver draws, in order: at the valid unlock, then after each accepted rekey.
const rekeyKey1 = x25519('receiver rekey key 1');
const rekeyKey2 = x25519('receiver rekey key 2');
const serverId = 'app-1';
const bootId = b64u(fixed('boot id 1', 16));
const bootId2 = b64u(fixed('boot id 2', 16));
const challengeSecret = fixed('challenge secret boot 1');
const challengeSecret2 = fixed('challenge secret boot 2');
const otherSecret = fixed('challenge secret of nobody');
const nonce1 = fixed('challenge nonce 1', 8);
const nonce2 = fixed('challenge nonce 2', 8);
const nonceUnlocked = fixed('challenge nonce unlocked', 8);
// Challenges as the receiver issues them (§12.1): the valid one at NOW, a second one at NOW, one of boot 2.
const challenge = makeChallenge(challengeSecret, bootId, NOW, nonce1);
const challenge2 = makeChallenge(challengeSecret, bootId, NOW, nonce2);
const challengeBoot2 = makeChallenge(challengeSecret2, bootId2, NOW, nonce1);
const challengeUnlocked = makeChallenge(challengeSecret, bootId, NOW + 6, nonceUnlocked);
const clientNonce = b64u(fixed('client nonce 1', 16));
const clientNonceOld = b64u(fixed('client nonce of an earlier request', 16));
const currentKey = fixed('fernet key current');
const previousKey = fixed('fernet key previous');
const attackerKey = fixed('fernet key chosen by an attacker');
const currentId = keyId(currentKey);
const previousId = keyId(previousKey);
const attackerId = keyId(attackerKey);

const authorizedFile = `# authorized custodians of app-1: one fingerprint per line, then a name\n${custodian.fingerprint} alice (security officer)\n`;
const twoCustodiansFile = `# two custodians\n${custodian.fingerprint} alice (security officer)\n${secondCustodian.fingerprint} bob (deputy)\n`;

function statusPayload({ identity = receiverIdentity, state = 'locked', ch = challenge, boot = bootId, eph = ephemeral, rekeyEph = rekeyKey1, issuedAt = NOW, nonce = null } = {}) {
  return {
    protocol: PROTOCOL,
    type: 'status',
    server_id: serverId,
    identity: identity.fingerprint,
    boot_id: boot,
    state,
    issued_at: issuedAt,
    client_nonce: nonce,
    challenge: ch,
    challenge_expires_at: issuedAt + TTL,
    ephemeral_key: b64u((state === 'locked' ? eph : rekeyEph).publicRaw),
    key_checks: [currentId, previousId],
    installed_key_ids: state === 'locked' ? [] : [currentId, previousId],
    tokens_under_previous: null,
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
  const typ = options.typ ?? 'custodian-unlock+jws';
  const token = options.payloadText
    ? jwsText(signer, headerText(signer, typ), options.payloadText(JSON.stringify(payload)))
    : jws(signer, typ, options.payloadOverride ?? payload, options.header?.(signer));
  return { payload, info, plaintext, sealed, token };
}
function lockRequest(options = {}) {
  const signer = options.signer ?? custodian;
  const payload = {
    protocol: PROTOCOL,
    type: options.type ?? 'lock',
    server_id: options.serverId ?? serverId,
    receiver_identity: options.receiverIdentity ?? receiverIdentity.fingerprint,
    boot_id: options.bootId ?? bootId,
    challenge: options.challenge ?? challenge,
    custodian: options.custodian ?? signer.fingerprint,
    issued_at: NOW + 1,
    ...(options.extraPayload ?? {}),
  };
  const typ = options.typ ?? 'custodian-lock+jws';
  const token = options.payloadText
    ? jwsText(signer, headerText(signer, typ), options.payloadText(JSON.stringify(payload)))
    : jws(signer, typ, payload);
  return { payload, token };
}
function handover(options = {}) {
  const signer = options.signer ?? custodian;
  const payload = {
    protocol: PROTOCOL,
    type: 'handover',
    custodian: options.custodian ?? signer.fingerprint,
    new_custodian: (options.to ?? newCustodian).fingerprint,
    label: options.label ?? 'carol (security officer from 2026)',
    issued_at: options.issuedAt ?? NOW + 2,
    ...(options.extraPayload ?? {}),
  };
  const typ = options.typ ?? 'custodian-statement+jws';
  const token = options.payloadText
    ? jwsText(signer, headerText(signer, typ), options.payloadText(JSON.stringify(payload)))
    : jws(signer, typ, payload);
  return { payload, token };
}
function revocation(options = {}) {
  const signer = options.signer ?? custodian;
  const payload = { protocol: PROTOCOL, type: 'revocation', custodian: signer.fingerprint, revoked: options.revoked.fingerprint, issued_at: options.issuedAt ?? NOW + 3 };
  return { payload, token: jws(signer, 'custodian-statement+jws', payload) };
}
const envelope = (request, protocol = PROTOCOL) => JSON.stringify({ protocol, request });
const statementBody = (statement) => JSON.stringify({ protocol: PROTOCOL, statement });
const ok = (body, now = NOW + 5, endpoint = 'unlock') => ({ endpoint, now, content_type: 'application/json', body, expect_status: 200, expect_error: null });
const fail = (body, status, error, now = NOW + 5, contentType = 'application/json', endpoint = 'unlock') => ({ endpoint, now, content_type: contentType, body, expect_status: status, expect_error: error });
const lockOk = (body, now = NOW + 5) => ok(body, now, 'lock');
const lockFail = (body, status, error, now = NOW + 5) => fail(body, status, error, now, 'application/json', 'lock');
const stOk = (statement, applied, now = NOW + 5) => ({ ...ok(statementBody(statement), now, 'custodians'), expect_applied: applied });
const stFail = (statement, status, error, now = NOW + 5) => ({ ...fail(statementBody(statement), status, error, now, 'application/json', 'custodians'), expect_applied: null });

// ---- the happy path ----------------------------------------------------------------------------------------
const status = statusPayload();
const statusJws = jws(receiverIdentity, 'custodian-status+jws', status);
const statusWithNonce = statusPayload({ nonce: clientNonce });
const statusWithNonceJws = jws(receiverIdentity, 'custodian-status+jws', statusWithNonce);
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
const unlockedStatus = statusPayload({ state: 'unlocked', ch: challengeUnlocked, issuedAt: NOW + 6 });
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
/** A stranger's key in the header with a signature that does not verify: revision 2 checks the signature first. */
const strangerForged = (() => {
  const input = `${b64u(headerText(stranger, 'custodian-unlock+jws'))}.${b64u(JSON.stringify({ ...valid.payload, custodian: stranger.fingerprint }))}`;
  return `${input}.${b64u(Buffer.alloc(64, 7))}`;
})();
/** Replaces the first occurrence of `from` in a JSON text (for hand-made strict-JSON cases); fails loudly if absent. */
const edit = (from, to) => (text) => { if (!text.includes(from)) throw new Error(`no ${from} in ${text}`); return text.replace(from, to); };

const cases = [];
const add = (name, description, requests, receiver = undefined) => cases.push({ name, description, ...(receiver ? { receiver } : {}), requests });

add('valid-unlock', 'Current and previous key, authorized custodian, fresh challenge: accepted; the receipt is receipt.jws.', [ok(envelope(valid.token))]);
const currentOnly = await unlockRequest({ keys: [currentKey], ikmLabel: 'hpke ikmE request current only' });
add('valid-unlock-current-key-only', 'Only the current key: accepted.', [ok(envelope(currentOnly.token))]);
add('replay-after-unlock', 'The same request again after it unlocked the receiver.', [ok(envelope(valid.token)), fail(envelope(valid.token), 409, 'ALREADY_UNLOCKED', NOW + 6)]);
const keyIdsLie = await unlockRequest({ keys: [attackerKey, previousKey], keyIds: [currentId, previousId] });
add('replay-consumed-challenge', 'A request refused after step 11 spends its challenge: a valid request with the same challenge is refused afterwards.', [fail(envelope(keyIdsLie.token), 422, 'KEY_CHECK_FAILED'), fail(envelope(valid.token), 409, 'UNKNOWN_CHALLENGE', NOW + 6)]);
add('replay-other-boot', 'A request recorded before a restart (the receiver now has boot id 2, a new ephemeral key and a new challenge secret).', [fail(envelope(valid.token), 409, 'WRONG_BOOT')],
  { boot_id: bootId2, ephemeral_private_key: b64u(ephemeralBoot2.secret), challenge_secret: b64u(challengeSecret2) });
add('cross-server-id', 'Signed for another server id.', [fail(envelope((await unlockRequest({ serverId: 'app-2' })).token), 403, 'WRONG_SERVER')]);
add('cross-server-identity', 'Signed for another receiver identity (a request captured at another server).', [fail(envelope((await unlockRequest({ receiverIdentity: otherReceiver.fingerprint })).token), 403, 'WRONG_SERVER')]);
add('unknown-custodian', 'Well-formed and validly signed, but by a custodian that is not in the authorized-custodians file.', [fail(envelope((await unlockRequest({ signer: stranger })).token), 403, 'UNKNOWN_CUSTODIAN')]);
add('unknown-custodian-forged-signature', 'An unknown key in the header and a signature that does not verify: the signature is checked first (§12.3), so nobody learns whether the key is authorized.', [fail(envelope(strangerForged), 401, 'BAD_SIGNATURE')]);
add('tampered-signature', 'One bit of the signature flipped.', [fail(envelope(tamperSignature(valid.token)), 401, 'BAD_SIGNATURE')]);
add('tampered-payload', 'The payload changed (key_ids) under the original signature.', [fail(envelope(swapPayload(valid.token, { ...valid.payload, key_ids: [currentId] })), 401, 'BAD_SIGNATURE')]);
add('tampered-ciphertext', 'One bit of the HPKE ciphertext flipped, then signed by the authorized custodian.', [fail(envelope((await unlockRequest({ tamperCiphertext: true })).token), 400, 'DECRYPT_FAILED')]);
add('hpke-info-other-challenge', 'The keys were sealed with info bound to another (valid) challenge than the one in the signed payload.', [fail(envelope((await unlockRequest({ infoOverride: { challenge: challenge2 } })).token), 400, 'DECRYPT_FAILED')]);
add('hpke-other-ephemeral-key', 'Sealed to the ephemeral key of another boot.', [fail(envelope((await unlockRequest({ recipient: ephemeralBoot2.publicRaw })).token), 400, 'DECRYPT_FAILED')]);
const wrongKeyFirst = await unlockRequest({ keys: [attackerKey], ikmLabel: 'hpke ikmE attacker key' });
add('wrong-key', 'An attacker-chosen key with its true key id, properly signed: its id is not the newest configured key check, so step 10a refuses it before the challenge is spent.', [fail(envelope(wrongKeyFirst.token), 422, 'KEY_ORDER_REFUSED'), ok(envelope(valid.token), NOW + 6)]);
add('wrong-key-allowed-order', 'The same with --allow-older-current-key: it reaches the key check.', [fail(envelope(wrongKeyFirst.token), 422, 'KEY_CHECK_FAILED')], { allow_older_current_key: true });
const wrongSecond = await unlockRequest({ keys: [currentKey, attackerKey], ikmLabel: 'hpke ikmE attacker key second' });
add('wrong-key-second', 'The current key first, then an attacker-chosen key: not a configured key check.', [fail(envelope(wrongSecond.token), 422, 'KEY_CHECK_FAILED')]);
add('key-ids-lie', 'key_ids name the expected keys but the sealed keys are different.', [fail(envelope(keyIdsLie.token), 422, 'KEY_CHECK_FAILED')]);
const swapped = await unlockRequest({ keys: [previousKey, currentKey], ikmLabel: 'hpke ikmE swapped order' });
const previousOnly = await unlockRequest({ keys: [previousKey], ikmLabel: 'hpke ikmE previous only' });
add('key-order-swapped', 'Previous key first, then the current key (issue 10 §5 rotation order): refused before the challenge is spent; the valid request then succeeds with the same challenge.', [fail(envelope(swapped.token), 422, 'KEY_ORDER_REFUSED'), ok(envelope(valid.token), NOW + 6)]);
add('key-order-previous-only', 'Only the previous key.', [fail(envelope(previousOnly.token), 422, 'KEY_ORDER_REFUSED')]);
add('key-order-allowed', 'Previous key first on a receiver started with --allow-older-current-key: accepted.', [ok(envelope(swapped.token))], { allow_older_current_key: true });
add('plaintext-not-whole-keys', 'The sealed plaintext is 33 bytes.', [fail(envelope((await unlockRequest({ keys: [currentKey], plaintext: Buffer.concat([currentKey, Buffer.from([0])]) })).token), 400, 'BAD_PAYLOAD')]);
add('plaintext-fewer-keys-than-ids', 'Two key ids, one sealed key.', [fail(envelope((await unlockRequest({ keys: [currentKey, previousKey], plaintext: currentKey })).token), 400, 'BAD_PAYLOAD')]);
add('challenge-expired', 'Sent after challenge_expires_at.', [fail(envelope(valid.token), 409, 'CHALLENGE_EXPIRED', NOW + TTL + 1)]);
add('challenge-expired-twice', 'Expiry is checked before the spent set (§12.1): an expired challenge stays expired.', [fail(envelope(valid.token), 409, 'CHALLENGE_EXPIRED', NOW + TTL + 1), fail(envelope(valid.token), 409, 'CHALLENGE_EXPIRED', NOW + TTL + 2)]);
add('challenge-spent-then-expired', 'A spent challenge after its expiry answers CHALLENGE_EXPIRED (expiry first).', [fail(envelope(keyIdsLie.token), 422, 'KEY_CHECK_FAILED'), fail(envelope(valid.token), 409, 'CHALLENGE_EXPIRED', NOW + TTL + 1)]);
add('challenge-at-expiry', 'Sent exactly at challenge_expires_at: still valid.', [ok(envelope(valid.token), NOW + TTL)]);
add('challenge-never-issued', '32 random bytes: the tag does not verify.', [fail(envelope((await unlockRequest({ challenge: b64u(fixed('challenge never issued')) })).token), 409, 'UNKNOWN_CHALLENGE')]);
add('challenge-other-secret', 'Well formed, but tagged under another secret (another receiver, or an earlier boot of this one).', [fail(envelope((await unlockRequest({ challenge: makeChallenge(otherSecret, bootId, NOW, nonce1) })).token), 409, 'UNKNOWN_CHALLENGE')]);
add('challenge-other-boot-id', 'Tagged under this secret but for another boot id (the tag binds the boot).', [fail(envelope((await unlockRequest({ challenge: makeChallenge(challengeSecret, bootId2, NOW, nonce1) })).token), 409, 'UNKNOWN_CHALLENGE')]);
add('challenge-from-the-future', 'A validly tagged challenge whose issued_at is after now.', [fail(envelope((await unlockRequest({ challenge: makeChallenge(challengeSecret, bootId, NOW + 30, nonce1) })).token), 409, 'UNKNOWN_CHALLENGE')]);
add('challenge-already-spent', 'The receiver starts with the challenge in its spent set.', [fail(envelope(valid.token), 409, 'UNKNOWN_CHALLENGE')], { spent: [challenge] });
add('challenge-other-spent', 'Another challenge is spent; this one is still good.', [ok(envelope(valid.token))], { spent: [challenge2] });
add('downgrade-envelope-protocol', 'The envelope names an older protocol.', [fail(envelope(valid.token, 'custodian-unlock/0'), 400, 'UNSUPPORTED_PROTOCOL')]);
add('downgrade-payload-protocol', 'The signed payload names an older protocol.', [fail(envelope((await unlockRequest({ protocol: 'custodian-unlock/0' })).token), 400, 'UNSUPPORTED_PROTOCOL')]);
add('downgrade-alg-none', 'Unsigned JWS (alg "none").', [fail(envelope(algNone), 400, 'UNSUPPORTED_PROTOCOL')]);
add('downgrade-alg-hs256', 'HS256 with the custodian public key as the HMAC secret (algorithm confusion).', [fail(envelope(hs256), 400, 'UNSUPPORTED_PROTOCOL')]);
add('reflection-status', 'The receiver\'s own signed status sent back as an unlock request.', [fail(envelope(statusJws), 400, 'WRONG_MESSAGE_TYPE')]);
add('reflection-receipt', 'A receipt sent back as an unlock request.', [fail(envelope(receiptJws), 400, 'WRONG_MESSAGE_TYPE')]);
add('reflection-lock', 'A signed lock request sent to /unlock.', [fail(envelope(lockRequest().token), 400, 'WRONG_MESSAGE_TYPE')]);
add('payload-type-status', 'typ is right, but the signed payload says type "status".', [fail(envelope((await unlockRequest({ type: 'status' })).token), 400, 'WRONG_MESSAGE_TYPE')]);
add('custodian-field-mismatch', 'The payload names another custodian than the signer.', [fail(envelope((await unlockRequest({ custodian: stranger.fingerprint })).token), 400, 'BAD_REQUEST')]);
add('duplicate-key-ids', 'The same key twice.', [fail(envelope((await unlockRequest({ keys: [currentKey, currentKey] })).token), 400, 'BAD_REQUEST')]);
add('too-many-keys', 'Ten keys (at most 1 current + 8 previous).', [fail(envelope((await unlockRequest({ keys: [currentKey, ...Array.from({ length: 9 }, (_, i) => fixed(`many ${i}`))] })).token), 400, 'BAD_REQUEST')]);
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
// Strict JSON (§12.3): texts JSON.parse would accept (last duplicate wins, 1e3 is 1000) but revision 2 refuses.
add('strict-envelope-duplicate-request', 'The envelope has "request" twice (a garbage one, then the valid one).', [fail(`{"protocol":"${PROTOCOL}","request":"x","request":"${valid.token}"}`, 400, 'BAD_REQUEST')]);
add('strict-envelope-duplicate-same', 'The envelope has "protocol" twice with the same value.', [fail(`{"protocol":"${PROTOCOL}","protocol":"${PROTOCOL}","request":"${valid.token}"}`, 400, 'BAD_REQUEST')]);
const dupHeader = (text) => jwsText(custodian, text, JSON.stringify(valid.payload));
const x = b64u(custodian.publicRaw);
add('strict-header-duplicate-alg', 'Header {"alg":"none","alg":"EdDSA",...}, validly signed: last-wins parsers see EdDSA.', [fail(envelope(dupHeader(`{"alg":"none","alg":"EdDSA","typ":"custodian-unlock+jws","jwk":{"kty":"OKP","crv":"Ed25519","x":"${x}"}}`)), 400, 'BAD_REQUEST')]);
add('strict-header-duplicate-escaped', 'Header with "alg" and "\\u0061lg" (the same name once unescaped).', [fail(envelope(dupHeader(`{"alg":"none","\\u0061lg":"EdDSA","typ":"custodian-unlock+jws","jwk":{"kty":"OKP","crv":"Ed25519","x":"${x}"}}`)), 400, 'BAD_REQUEST')]);
add('strict-header-duplicate-jwk-x', 'The header jwk has "x" twice (an unauthorized key, then the custodian\'s).', [fail(envelope(dupHeader(`{"alg":"EdDSA","typ":"custodian-unlock+jws","jwk":{"kty":"OKP","crv":"Ed25519","x":"${b64u(stranger.publicRaw)}","x":"${x}"}}`)), 400, 'BAD_REQUEST')]);
add('strict-payload-duplicate-key-ids', 'The signed payload has "key_ids" twice.', [fail(envelope((await unlockRequest({ payloadText: edit('"key_ids":', `"key_ids":["${attackerId}"],"key_ids":`) })).token), 400, 'BAD_REQUEST')]);
add('strict-payload-exponent', 'issued_at written 1.767225601e9.', [fail(envelope((await unlockRequest({ payloadText: edit(`"issued_at":${NOW + 1}`, '"issued_at":1.767225601e9') })).token), 400, 'BAD_REQUEST')]);
add('strict-payload-1e3', 'issued_at written 1e3.', [fail(envelope((await unlockRequest({ payloadText: edit(`"issued_at":${NOW + 1}`, '"issued_at":1e3') })).token), 400, 'BAD_REQUEST')]);
add('strict-payload-fraction', 'issued_at written 1000.0.', [fail(envelope((await unlockRequest({ payloadText: edit(`"issued_at":${NOW + 1}`, '"issued_at":1000.0') })).token), 400, 'BAD_REQUEST')]);
add('strict-payload-minus-zero', 'issued_at written -0.', [fail(envelope((await unlockRequest({ payloadText: edit(`"issued_at":${NOW + 1}`, '"issued_at":-0') })).token), 400, 'BAD_REQUEST')]);
add('strict-payload-too-big', 'issued_at is 2^53 (outside 0 ... 2^53-1).', [fail(envelope((await unlockRequest({ payloadText: edit(`"issued_at":${NOW + 1}`, '"issued_at":9007199254740992') })).token), 400, 'BAD_REQUEST')]);
add('strict-payload-leading-zero', 'issued_at written 01767225601 (not JSON).', [fail(envelope((await unlockRequest({ payloadText: edit(`"issued_at":${NOW + 1}`, '"issued_at":01767225601') })).token), 400, 'BAD_REQUEST')]);
add('strict-payload-trailing-text', 'The payload is a JSON object followed by more text.', [fail(envelope((await unlockRequest({ payloadText: (t) => `${t} {}` })).token), 400, 'BAD_REQUEST')]);
add('strict-payload-whitespace', 'Insignificant whitespace is still JSON: accepted.', [ok(envelope((await unlockRequest({ payloadText: (t) => ` ${t.replace('"type":', '"type" : ')}\n` })).token))]);
for (const c of cases) for (const r of c.requests) if (r.expect_error === 'BODY_TOO_LARGE' && Buffer.byteLength(r.body) !== 16385) throw new Error(`oversized body is ${Buffer.byteLength(r.body)} bytes`);

// ---- status requests with and without a client nonce (§12.2) ------------------------------------------------
const statusQueryCases = [
  { name: 'no-query', query: '', expect_status: 200, expect_error: null, expect_client_nonce: null },
  { name: 'nonce', query: `nonce=${clientNonce}`, expect_status: 200, expect_error: null, expect_client_nonce: clientNonce },
  { name: 'nonce-and-other-parameters', query: `a=1&nonce=${clientNonce}&b`, expect_status: 200, expect_error: null, expect_client_nonce: clientNonce },
  { name: 'other-parameters-only', query: 'x=1&y', expect_status: 200, expect_error: null, expect_client_nonce: null },
  { name: 'nonce-twice', query: `nonce=${clientNonce}&nonce=${clientNonce}`, expect_status: 400, expect_error: 'BAD_REQUEST', expect_client_nonce: null },
  { name: 'nonce-empty', query: 'nonce=', expect_status: 400, expect_error: 'BAD_REQUEST', expect_client_nonce: null },
  { name: 'nonce-no-value', query: 'nonce', expect_status: 400, expect_error: 'BAD_REQUEST', expect_client_nonce: null },
  { name: 'nonce-15-bytes', query: `nonce=${b64u(fixed('client nonce 1', 15))}`, expect_status: 400, expect_error: 'BAD_REQUEST', expect_client_nonce: null },
  { name: 'nonce-17-bytes', query: `nonce=${b64u(fixed('client nonce 1', 17))}`, expect_status: 400, expect_error: 'BAD_REQUEST', expect_client_nonce: null },
  { name: 'nonce-padded', query: `nonce=${clientNonce}==`, expect_status: 400, expect_error: 'BAD_REQUEST', expect_client_nonce: null },
  { name: 'nonce-percent-encoded', query: `nonce=${clientNonce.slice(0, -1)}%${Buffer.from(clientNonce.slice(-1)).toString('hex').toUpperCase()}`, expect_status: 400, expect_error: 'BAD_REQUEST', expect_client_nonce: null },
  { name: 'nonce-standard-base64', query: `nonce=${Buffer.from(fixed('client nonce 1', 16)).toString('base64').replace(/=+$/, '')}`, expect_status: 400, expect_error: 'BAD_REQUEST', expect_client_nonce: null },
];
if (!statusQueryCases.find((c) => c.name === 'nonce-standard-base64').query.match(/[+/]/)) throw new Error('the standard-base64 nonce needs a + or /');

// ---- client-side cases (what `custodian push` must refuse before or after sending) --------------------------
const pinned = { pinned_identity: receiverIdentity.fingerprint, pinned_server_id: serverId, client_nonce: clientNonce };
const statusBody = (token, protocol = PROTOCOL) => JSON.stringify({ protocol, status: token });
const signedStatus = (payload, signer = receiverIdentity) => jws(signer, 'custodian-status+jws', payload);
const previousBootUnlocked = signedStatus(statusPayload({ state: 'unlocked', boot: bootId2, ch: challengeBoot2, issuedAt: NOW - 3600, nonce: clientNonceOld }));
const statusJsonText = JSON.stringify(statusWithNonce);
const clientStatusCases = [
  { name: 'status-valid', description: 'The status answering this client\'s nonce.', status_body: statusBody(statusWithNonceJws), ...pinned, expect_error: null },
  { name: 'status-identity-mismatch', description: 'Signed by another receiver identity than the pinned one: send nothing.', status_body: statusBody(signedStatus(statusPayload({ identity: otherReceiver, nonce: clientNonce }), otherReceiver)), ...pinned, expect_error: 'IDENTITY_MISMATCH' },
  { name: 'status-server-id-mismatch', description: 'Right identity, but the pinned server id differs.', status_body: statusBody(statusWithNonceJws), ...pinned, pinned_server_id: 'app-2', expect_error: 'IDENTITY_MISMATCH' },
  { name: 'status-bad-signature', status_body: statusBody(tamperSignature(statusWithNonceJws)), ...pinned, expect_error: 'BAD_SIGNATURE' },
  { name: 'status-downgrade', status_body: statusBody(statusWithNonceJws, 'custodian-unlock/0'), ...pinned, expect_error: 'UNSUPPORTED_PROTOCOL' },
  { name: 'status-reflected-request', description: 'An unlock request presented as a status.', status_body: statusBody(valid.token), ...pinned, pinned_identity: custodian.fingerprint, expect_error: 'WRONG_MESSAGE_TYPE' },
  { name: 'status-identity-field-lies', description: 'Signed by the pinned key, but the payload names another identity.', status_body: statusBody(signedStatus({ ...statusWithNonce, identity: otherReceiver.fingerprint })), ...pinned, expect_error: 'BAD_REQUEST' },
  { name: 'status-stale-no-nonce', description: 'A validly signed status without client_nonce (null), though the client sent one.', status_body: statusBody(statusJws), ...pinned, expect_error: 'STALE_STATUS' },
  { name: 'status-stale-other-nonce', description: 'A validly signed status answering another request\'s nonce.', status_body: statusBody(signedStatus(statusPayload({ nonce: clientNonceOld }))), ...pinned, expect_error: 'STALE_STATUS' },
  { name: 'status-replayed-unlocked-previous-boot', description: 'Issue 10 §5: the previous boot\'s "unlocked" status replayed by a man in the middle after a restart.', status_body: statusBody(previousBootUnlocked), ...pinned, expect_error: 'STALE_STATUS' },
  { name: 'status-missing-client-nonce', description: 'A status payload without the client_nonce member (revision 1).', status_body: statusBody(signedStatus(Object.fromEntries(Object.entries(statusWithNonce).filter(([k]) => k !== 'client_nonce')))), ...pinned, expect_error: 'BAD_REQUEST' },
  { name: 'status-duplicate-state', description: 'The signed payload has "state" twice ("unlocked", then "locked").', status_body: statusBody(jwsText(receiverIdentity, headerText(receiverIdentity, 'custodian-status+jws'), statusJsonText.replace('"state":"locked"', '"state":"unlocked","state":"locked"'))), ...pinned, expect_error: 'BAD_REQUEST' },
  { name: 'status-exponent', description: 'issued_at written with an exponent.', status_body: statusBody(jwsText(receiverIdentity, headerText(receiverIdentity, 'custodian-status+jws'), statusJsonText.replace(`"issued_at":${NOW}`, '"issued_at":1.7672256e9'))), ...pinned, expect_error: 'BAD_REQUEST' },
  { name: 'status-envelope-duplicate', description: 'The envelope has "status" twice.', status_body: `{"protocol":"${PROTOCOL}","status":"x","status":"${statusWithNonceJws}"}`, ...pinned, expect_error: 'BAD_REQUEST' },
];
const clientReceiptCases = [
  { name: 'receipt-valid', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: receiptJws }), expect_error: null },
  { name: 'receipt-bad-signature', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: tamperSignature(receiptJws) }), expect_error: 'BAD_SIGNATURE' },
  { name: 'receipt-other-identity', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: jws(otherReceiver, 'custodian-receipt+jws', { ...receiptPayload, identity: otherReceiver.fingerprint }) }), expect_error: 'IDENTITY_MISMATCH' },
  { name: 'receipt-other-challenge', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: jws(receiverIdentity, 'custodian-receipt+jws', { ...receiptPayload, challenge: challenge2 }) }), expect_error: 'RECEIPT_MISMATCH' },
  { name: 'receipt-other-request', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: jws(receiverIdentity, 'custodian-receipt+jws', { ...receiptPayload, request_hash: b64u(fixed('other request')) }) }), expect_error: 'RECEIPT_MISMATCH' },
  { name: 'receipt-fewer-keys', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: jws(receiverIdentity, 'custodian-receipt+jws', { ...receiptPayload, key_ids: [currentId] }) }), expect_error: 'RECEIPT_MISMATCH' },
  { name: 'receipt-reflected-status', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: statusJws }), expect_error: 'WRONG_MESSAGE_TYPE' },
  { name: 'receipt-duplicate-member', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: jwsText(receiverIdentity, headerText(receiverIdentity, 'custodian-receipt+jws'), JSON.stringify(receiptPayload).replace('"key_ids":', `"key_ids":["${attackerId}"],"key_ids":`)) }), expect_error: 'BAD_REQUEST' },
];

// ---- remote lock (§12.4) -----------------------------------------------------------------------------------
const validLock = lockRequest();
const lockReceiptPayload = {
  protocol: PROTOCOL,
  type: 'lock_receipt',
  server_id: serverId,
  identity: receiverIdentity.fingerprint,
  boot_id: bootId,
  challenge,
  custodian: custodian.fingerprint,
  locked_at: NOW + 5,
  request_hash: b64u(createHash('sha256').update(validLock.token).digest()),
};
const lockReceiptJws = jws(receiverIdentity, 'custodian-lock-receipt+jws', lockReceiptPayload);
const lockAfterUnlock = lockRequest({ challenge: challengeUnlocked });
const lockCases = [];
const addLock = (name, description, requests, receiver = undefined, expect = {}) => lockCases.push({ name, description, ...(receiver ? { receiver } : {}), requests, ...expect });
addLock('lock-valid-locked', 'Locking a locked receiver is allowed: 200 with lock.receipt.jws, and a new boot starts.', [lockOk(envelope(validLock.token))], undefined, { expect_state: 'locked', expect_new_boot: true });
addLock('lock-valid-unlocked', 'Unlock, then lock with the challenge of the unlocked status (issued at now+6): the keys are wiped and a new boot starts.', [ok(envelope(valid.token)), lockOk(envelope(lockAfterUnlock.token), NOW + 7)], undefined, { expect_state: 'locked', expect_new_boot: true });
addLock('lock-replayed', 'The same lock twice: the second names the boot that no longer exists.', [lockOk(envelope(validLock.token)), lockFail(envelope(validLock.token), 409, 'WRONG_BOOT', NOW + 6)], undefined, { expect_state: 'locked', expect_new_boot: true });
addLock('lock-then-old-unlock', 'A lock, then the unlock request of the old boot.', [lockOk(envelope(validLock.token)), fail(envelope(valid.token), 409, 'WRONG_BOOT', NOW + 6)], undefined, { expect_state: 'locked', expect_new_boot: true });
addLock('lock-unknown-custodian', 'Validly signed by an unauthorized custodian.', [lockFail(envelope(lockRequest({ signer: stranger }).token), 403, 'UNKNOWN_CUSTODIAN')], undefined, { expect_state: 'locked', expect_new_boot: false });
addLock('lock-bad-signature', 'One bit of the signature flipped.', [lockFail(envelope(tamperSignature(validLock.token)), 401, 'BAD_SIGNATURE')], undefined, { expect_state: 'locked', expect_new_boot: false });
addLock('lock-reflected-unlock', 'An unlock request sent to /lock.', [lockFail(envelope(valid.token), 400, 'WRONG_MESSAGE_TYPE')], undefined, { expect_state: 'locked', expect_new_boot: false });
addLock('lock-payload-type-unlock', 'typ custodian-lock+jws, payload type "unlock".', [lockFail(envelope(lockRequest({ type: 'unlock' }).token), 400, 'WRONG_MESSAGE_TYPE')], undefined, { expect_state: 'locked', expect_new_boot: false });
addLock('lock-other-server', 'Signed for another server id.', [lockFail(envelope(lockRequest({ serverId: 'app-2' }).token), 403, 'WRONG_SERVER')], undefined, { expect_state: 'locked', expect_new_boot: false });
addLock('lock-other-boot', 'Signed for boot 2.', [lockFail(envelope(lockRequest({ bootId: bootId2 }).token), 409, 'WRONG_BOOT')], undefined, { expect_state: 'locked', expect_new_boot: false });
addLock('lock-spent-challenge', 'The challenge was spent by a refused unlock.', [fail(envelope(keyIdsLie.token), 422, 'KEY_CHECK_FAILED'), lockFail(envelope(validLock.token), 409, 'UNKNOWN_CHALLENGE', NOW + 6)], undefined, { expect_state: 'locked', expect_new_boot: false });
addLock('lock-challenge-expired', 'Sent after challenge_expires_at.', [lockFail(envelope(validLock.token), 409, 'CHALLENGE_EXPIRED', NOW + TTL + 1)], undefined, { expect_state: 'locked', expect_new_boot: false });
addLock('lock-forged-challenge', 'A challenge tagged under another secret.', [lockFail(envelope(lockRequest({ challenge: makeChallenge(otherSecret, bootId, NOW, nonce1) }).token), 409, 'UNKNOWN_CHALLENGE')], undefined, { expect_state: 'locked', expect_new_boot: false });
addLock('lock-extra-member', 'An unknown member in the signed payload.', [lockFail(envelope(lockRequest({ extraPayload: { key_ids: [] } }).token), 400, 'BAD_REQUEST')], undefined, { expect_state: 'locked', expect_new_boot: false });
addLock('lock-duplicate-member', 'The signed payload has "boot_id" twice.', [lockFail(envelope(lockRequest({ payloadText: edit('"boot_id":', `"boot_id":"${bootId2}","boot_id":`) }).token), 400, 'BAD_REQUEST')], undefined, { expect_state: 'locked', expect_new_boot: false });
addLock('lock-custodian-mismatch', 'The payload names another custodian than the signer.', [lockFail(envelope(lockRequest({ custodian: secondCustodian.fingerprint }).token), 400, 'BAD_REQUEST')], undefined, { expect_state: 'locked', expect_new_boot: false });
// ---- rekey of an unlocked receiver (§12.12) ---------------------------------------------------------------
async function rekeyRequest(options = {}) {
  const signer = options.signer ?? custodian;
  const keys = options.keys ?? [currentKey];
  const ch = options.challenge ?? challengeUnlocked;
  const domain = options.unlockInfo ? [PROTOCOL] : [PROTOCOL, 'rekey'];
  const info = Buffer.from([...domain, serverId, receiverIdentity.fingerprint, bootId, ch, signer.fingerprint].join('\0'), 'utf8');
  const plaintext = Buffer.concat(keys);
  const sealed = await seal(rekeyKey1.publicRaw, info, plaintext, 'hpke ikmE rekey 1');
  const payload = {
    protocol: PROTOCOL,
    type: 'rekey',
    server_id: serverId,
    receiver_identity: receiverIdentity.fingerprint,
    boot_id: bootId,
    challenge: ch,
    custodian: signer.fingerprint,
    key_ids: options.keyIds ?? keys.map((k) => keyId(k)),
    retire: options.retire ?? [previousId],
    issued_at: NOW + 7,
    sealed: b64u(sealed.sealed),
  };
  return { payload, token: jws(signer, options.typ ?? 'custodian-rekey+jws', payload), info, ikmE: sealed.ikmE };
}
const validRekey = await rekeyRequest();
const rekeyReceiptPayload = {
  protocol: PROTOCOL,
  type: 'rekey_receipt',
  server_id: serverId,
  identity: receiverIdentity.fingerprint,
  boot_id: bootId,
  challenge: challengeUnlocked,
  custodian: custodian.fingerprint,
  key_ids: [currentId],
  replaced_key_ids: [currentId, previousId],
  retired: [previousId],
  installed_at: NOW + 7,
  request_hash: b64u(createHash('sha256').update(validRekey.token).digest()),
};
const rekeyReceiptJws = jws(receiverIdentity, 'custodian-rekey-receipt+jws', rekeyReceiptPayload);
const rekeyOk = (body, now = NOW + 7) => ok(body, now, 'rekey');
const rekeyFail = (body, status, error, now = NOW + 7) => fail(body, status, error, now, 'application/json', 'rekey');
const unlockFirst = ok(envelope(valid.token));
const rekeyCases = [
  { name: 'rekey-valid', description: 'Unlock with [current, previous], then rekey to [current] retiring previous (challenge of the unlocked status): 200 with rekey.receipt.jws.', requests: [unlockFirst, rekeyOk(envelope(validRekey.token))], expect_installed_key_ids: [currentId] },
  { name: 'rekey-retire-missing', description: 'Drops previous without naming it in retire.', requests: [unlockFirst, rekeyFail(envelope((await rekeyRequest({ retire: [] })).token), 409, 'RETIRE_MISMATCH')], expect_installed_key_ids: [currentId, previousId] },
  { name: 'rekey-retire-kept-key', description: 'retire names a key the new set keeps.', requests: [unlockFirst, rekeyFail(envelope((await rekeyRequest({ keys: [currentKey, previousKey], retire: [previousId] })).token), 409, 'RETIRE_MISMATCH')], expect_installed_key_ids: [currentId, previousId] },
  { name: 'rekey-locked', description: 'A rekey of a locked receiver (nothing to replace).', requests: [rekeyFail(envelope((await rekeyRequest({ challenge })).token), 409, 'NOT_UNLOCKED', NOW + 5)], expect_installed_key_ids: [] },
  { name: 'rekey-reflected-unlock', description: 'The unlock request sent to /rekey.', requests: [unlockFirst, rekeyFail(envelope(valid.token), 400, 'WRONG_MESSAGE_TYPE')], expect_installed_key_ids: [currentId, previousId] },
  { name: 'rekey-unlock-info', description: 'Sealed with the unlock\'s HPKE info (no "rekey" domain): the challenge is spent.', requests: [unlockFirst, rekeyFail(envelope((await rekeyRequest({ unlockInfo: true })).token), 400, 'DECRYPT_FAILED')], expect_installed_key_ids: [currentId, previousId] },
  { name: 'rekey-key-order', description: 'The new set puts previous first.', requests: [unlockFirst, rekeyFail(envelope((await rekeyRequest({ keys: [previousKey], retire: [currentId] })).token), 422, 'KEY_ORDER_REFUSED')], expect_installed_key_ids: [currentId, previousId] },
  { name: 'rekey-unknown-custodian', description: 'Validly signed by an unauthorized custodian.', requests: [unlockFirst, rekeyFail(envelope((await rekeyRequest({ signer: stranger })).token), 403, 'UNKNOWN_CUSTODIAN')], expect_installed_key_ids: [currentId, previousId] },
  { name: 'rekey-replayed', description: 'The valid rekey twice: the second no longer matches what is installed.', requests: [unlockFirst, rekeyOk(envelope(validRekey.token)), rekeyFail(envelope(validRekey.token), 409, 'RETIRE_MISMATCH', NOW + 8)], expect_installed_key_ids: [currentId] },
];
const clientRekeyReceiptCases = [
  { name: 'rekey-receipt-valid', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: rekeyReceiptJws }), expect_error: null },
  { name: 'rekey-receipt-bad-signature', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: tamperSignature(rekeyReceiptJws) }), expect_error: 'BAD_SIGNATURE' },
  { name: 'rekey-receipt-other-keys', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: jws(receiverIdentity, 'custodian-rekey-receipt+jws', { ...rekeyReceiptPayload, key_ids: [currentId, previousId], retired: [] }) }), expect_error: 'RECEIPT_MISMATCH' },
  { name: 'rekey-receipt-as-unlock-receipt', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: receiptJws }), expect_error: 'WRONG_MESSAGE_TYPE' },
];

const clientLockReceiptCases = [
  { name: 'lock-receipt-valid', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: lockReceiptJws }), expect_error: null },
  { name: 'lock-receipt-bad-signature', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: tamperSignature(lockReceiptJws) }), expect_error: 'BAD_SIGNATURE' },
  { name: 'lock-receipt-other-identity', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: jws(otherReceiver, 'custodian-lock-receipt+jws', { ...lockReceiptPayload, identity: otherReceiver.fingerprint }) }), expect_error: 'IDENTITY_MISMATCH' },
  { name: 'lock-receipt-other-boot', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: jws(receiverIdentity, 'custodian-lock-receipt+jws', { ...lockReceiptPayload, boot_id: bootId2 }) }), expect_error: 'RECEIPT_MISMATCH' },
  { name: 'lock-receipt-other-request', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: jws(receiverIdentity, 'custodian-lock-receipt+jws', { ...lockReceiptPayload, request_hash: b64u(fixed('other request')) }) }), expect_error: 'RECEIPT_MISMATCH' },
  { name: 'lock-receipt-is-unlock-receipt', description: 'An unlock receipt presented as a lock receipt.', receipt_body: JSON.stringify({ protocol: PROTOCOL, receipt: receiptJws }), expect_error: 'WRONG_MESSAGE_TYPE' },
];

// ---- custodian statements (§12.5) --------------------------------------------------------------------------
const aliceToCarol = handover();
const bobRevokesAlice = revocation({ signer: secondCustodian, revoked: custodian });
const aliceRevokesAlice = revocation({ revoked: custodian });
const bobRevokesBob = revocation({ signer: secondCustodian, revoked: secondCustodian, issuedAt: NOW + 4 });
const aliceRevokesAliceAlone = revocation({ revoked: custodian, issuedAt: NOW + 4 });
const bobRevokesCarol = revocation({ signer: secondCustodian, revoked: newCustodian });
const bobRevokesAliceAgain = revocation({ signer: secondCustodian, revoked: custodian, issuedAt: NOW + 9 });
const carolUnlock = await unlockRequest({ signer: newCustodian, ikmLabel: 'hpke ikmE new custodian' });
const aliceUnlock = valid;
const two = { authorized_custodians: twoCustodiansFile, statements_enabled: true };
const sorted = (...ids) => ids.map((i) => i.fingerprint).sort();
const statementCases = [];
const addSt = (name, description, requests, receiver, effective) => statementCases.push({ name, description, receiver, requests, expect_effective_custodians: effective });
addSt('handover-valid', 'Alice hands over to carol: carol is effective, alice is revoked; alice\'s unlock is refused, carol\'s accepted.',
  [stOk(aliceToCarol.token, true), fail(envelope(aliceUnlock.token), 403, 'UNKNOWN_CUSTODIAN', NOW + 6), ok(envelope(carolUnlock.token), NOW + 7)], two, sorted(secondCustodian, newCustodian));
addSt('handover-single-custodian', 'The only custodian hands over (the file lists alice alone).', [stOk(aliceToCarol.token, true)], { statements_enabled: true }, sorted(newCustodian));
addSt('handover-replayed', 'The same hand-over twice: the second changes nothing (applied false), although its signer is now revoked.', [stOk(aliceToCarol.token, true), stOk(aliceToCarol.token, false, NOW + 6)], two, sorted(secondCustodian, newCustodian));
addSt('revocation-valid', 'Bob revokes alice; alice\'s unlock is refused afterwards.', [stOk(bobRevokesAlice.token, true), fail(envelope(aliceUnlock.token), 403, 'UNKNOWN_CUSTODIAN', NOW + 6)], two, sorted(secondCustodian));
addSt('revocation-self', 'Alice revokes herself (a lost laptop, reported by alice).', [stOk(aliceRevokesAlice.token, true)], two, sorted(secondCustodian));
addSt('revocation-already-revoked', 'Another statement revoking a fingerprint that is already revoked: applied false.', [stOk(bobRevokesAlice.token, true), stOk(bobRevokesAliceAgain.token, false, NOW + 6)], two, sorted(secondCustodian));
addSt('revocation-last-custodian', 'The only custodian revokes herself: refused.', [stFail(aliceRevokesAliceAlone.token, 409, 'LAST_CUSTODIAN')], { statements_enabled: true }, sorted(custodian));
addSt('revocation-last-after-one', 'Bob revokes alice, then bob revokes bob: the second would leave nobody.', [stOk(bobRevokesAlice.token, true), stFail(bobRevokesBob.token, 409, 'LAST_CUSTODIAN', NOW + 6)], two, sorted(secondCustodian));
addSt('revocation-unknown-fingerprint', 'Revoking a fingerprint nobody has listed yet is allowed (it can then never be handed over to).', [stOk(bobRevokesCarol.token, true)], two, sorted(custodian, secondCustodian));
addSt('handover-to-revoked', 'Carol was revoked; a hand-over to carol is refused.', [stOk(bobRevokesCarol.token, true), stFail(aliceToCarol.token, 409, 'CUSTODIAN_REVOKED', NOW + 6)], two, sorted(custodian, secondCustodian));
addSt('revoked-signer', 'Bob revokes alice; then alice\'s (never applied) hand-over is refused: alice is no longer effective.', [stOk(bobRevokesAlice.token, true), stFail(aliceToCarol.token, 403, 'UNKNOWN_CUSTODIAN', NOW + 6)], two, sorted(secondCustodian));
addSt('unknown-signer', 'A hand-over signed by an unauthorized key.', [stFail(handover({ signer: stranger }).token, 403, 'UNKNOWN_CUSTODIAN')], two, sorted(custodian, secondCustodian));
addSt('bad-signature', 'One bit of the signature flipped.', [stFail(tamperSignature(aliceToCarol.token), 401, 'BAD_SIGNATURE')], two, sorted(custodian, secondCustodian));
addSt('unknown-signer-forged', 'An unknown key with a signature that does not verify: BAD_SIGNATURE, not UNKNOWN_CUSTODIAN.', [stFail(tamperSignature(handover({ signer: stranger }).token), 401, 'BAD_SIGNATURE')], two, sorted(custodian, secondCustodian));
addSt('wrong-typ', 'An unlock request sent to /custodians.', [stFail(valid.token, 400, 'WRONG_MESSAGE_TYPE')], two, sorted(custodian, secondCustodian));
addSt('statements-disabled', 'A receiver started without --custodian-statements.', [stFail(aliceToCarol.token, 409, 'STATEMENTS_DISABLED')], { authorized_custodians: twoCustodiansFile, statements_enabled: false }, sorted(custodian, secondCustodian));
addSt('custodian-mismatch', 'The payload names bob as custodian, signed by alice.', [stFail(handover({ custodian: secondCustodian.fingerprint }).token, 400, 'BAD_REQUEST')], two, sorted(custodian, secondCustodian));
addSt('handover-to-self', 'A hand-over to the signer itself.', [stFail(handover({ to: custodian }).token, 400, 'BAD_REQUEST')], two, sorted(custodian, secondCustodian));
addSt('label-too-long', 'A 65-character label.', [stFail(handover({ label: 'c'.repeat(65) }).token, 400, 'BAD_REQUEST')], two, sorted(custodian, secondCustodian));
addSt('label-not-printable', 'A label with a newline.', [stFail(handover({ label: 'carol\nbob' }).token, 400, 'BAD_REQUEST')], two, sorted(custodian, secondCustodian));
addSt('label-empty', 'An empty label.', [stFail(handover({ label: '' }).token, 400, 'BAD_REQUEST')], two, sorted(custodian, secondCustodian));
addSt('extra-member', 'An unknown member in the signed payload.', [stFail(handover({ extraPayload: { server_id: serverId } }).token, 400, 'BAD_REQUEST')], two, sorted(custodian, secondCustodian));
addSt('duplicate-member', 'The signed payload has "new_custodian" twice.', [stFail(handover({ payloadText: edit('"new_custodian":', `"new_custodian":"${stranger.fingerprint}","new_custodian":`) }).token, 400, 'BAD_REQUEST')], two, sorted(custodian, secondCustodian));
addSt('unknown-type', 'Payload type "promotion".', [stFail(jws(custodian, 'custodian-statement+jws', { ...aliceToCarol.payload, type: 'promotion' }), 400, 'WRONG_MESSAGE_TYPE')], two, sorted(custodian, secondCustodian));
const statementFileCases = [
  { name: 'replay-handover-then-revocation', description: 'Replayed in order at start: alice hands over to carol, then carol revokes bob.', authorized_custodians: twoCustodiansFile,
    lines: [aliceToCarol.token, revocation({ signer: newCustodian, revoked: secondCustodian }).token], expect_error_line: null, expect_effective_custodians: sorted(newCustodian) },
  { name: 'replay-duplicate-line', description: 'The same statement twice is harmless.', authorized_custodians: twoCustodiansFile, lines: [bobRevokesAlice.token, bobRevokesAlice.token], expect_error_line: null, expect_effective_custodians: sorted(secondCustodian) },
  { name: 'replay-bad-signature', description: 'Line 2 no longer verifies: refuse to start, naming line 2.', authorized_custodians: twoCustodiansFile, lines: [bobRevokesCarol.token, tamperSignature(aliceToCarol.token)], expect_error_line: 2, expect_effective_custodians: null },
  { name: 'replay-out-of-order', description: 'Line 1 is signed by carol, who is effective only after line 2: refuse to start, naming line 1.', authorized_custodians: twoCustodiansFile, lines: [revocation({ signer: newCustodian, revoked: secondCustodian }).token, aliceToCarol.token], expect_error_line: 1, expect_effective_custodians: null },
  { name: 'replay-not-a-statement', description: 'Line 1 is an unlock request.', authorized_custodians: twoCustodiansFile, lines: [valid.token], expect_error_line: 1, expect_effective_custodians: null },
];

// ---- receiver identity hand-over (§12.6) -------------------------------------------------------------------
const receiverHandover = (from, to, options = {}) => {
  const payload = { protocol: PROTOCOL, type: 'receiver_handover', server_id: options.serverId ?? serverId, old_identity: from.fingerprint, new_identity: to.fingerprint, issued_at: options.issuedAt ?? NOW - 60 };
  return { payload, token: jws(options.signer ?? from, options.typ ?? 'custodian-receiver-handover+jws', payload) };
};
const link1 = receiverHandover(receiverIdentity, receiverIdentity2);
const link2 = receiverHandover(receiverIdentity2, receiverIdentity3, { issuedAt: NOW - 30 });
const statusBy = (signer) => statusBody(signedStatus(statusPayload({ identity: signer, nonce: clientNonce }), signer));
const identityBody = (links) => JSON.stringify({ protocol: PROTOCOL, handovers: links });
const handoverCases = [
  { name: 'one-link', description: 'Pinned to the old identity; the status is signed by the new one; one hand-over signed by the old key.', identity_body: identityBody([link1.token]), status_body: statusBy(receiverIdentity2), expect_error: null, expect_identity: receiverIdentity2.fingerprint },
  { name: 'two-links', description: 'Two rotations in a row, oldest first.', identity_body: identityBody([link1.token, link2.token]), status_body: statusBy(receiverIdentity3), expect_error: null, expect_identity: receiverIdentity3.fingerprint },
  { name: 'no-handover', description: 'An empty list: no proof.', identity_body: identityBody([]), status_body: statusBy(receiverIdentity2), expect_error: 'IDENTITY_MISMATCH', expect_identity: null },
  { name: 'chain-does-not-reach-status', description: 'The chain ends at identity 2, the status is signed by identity 3.', identity_body: identityBody([link1.token]), status_body: statusBy(receiverIdentity3), expect_error: 'IDENTITY_MISMATCH', expect_identity: null },
  { name: 'chain-skips-a-link', description: 'Only the second link: it does not start at the pinned identity.', identity_body: identityBody([link2.token]), status_body: statusBy(receiverIdentity3), expect_error: 'IDENTITY_MISMATCH', expect_identity: null },
  { name: 'signed-by-new-key', description: 'A hand-over naming the pinned key as old, but signed by the new key itself.', identity_body: identityBody([receiverHandover(receiverIdentity, otherReceiver, { signer: otherReceiver }).token]), status_body: statusBy(otherReceiver), expect_error: 'IDENTITY_MISMATCH', expect_identity: null },
  { name: 'other-server-id', description: 'Signed by the pinned key, but for another server id.', identity_body: identityBody([receiverHandover(receiverIdentity, receiverIdentity2, { serverId: 'app-2' }).token]), status_body: statusBy(receiverIdentity2), expect_error: 'IDENTITY_MISMATCH', expect_identity: null },
  { name: 'bad-signature', description: 'One bit of the hand-over signature flipped.', identity_body: identityBody([tamperSignature(link1.token)]), status_body: statusBy(receiverIdentity2), expect_error: 'IDENTITY_MISMATCH', expect_identity: null },
  { name: 'wrong-typ', description: 'A status presented as a hand-over.', identity_body: identityBody([statusWithNonceJws]), status_body: statusBy(receiverIdentity2), expect_error: 'IDENTITY_MISMATCH', expect_identity: null },
  { name: 'duplicate-member', description: 'The hand-over payload has "new_identity" twice.', identity_body: identityBody([jwsText(receiverIdentity, headerText(receiverIdentity, 'custodian-receiver-handover+jws'), JSON.stringify(link1.payload).replace('"new_identity":', `"new_identity":"${otherReceiver.fingerprint}","new_identity":`))]), status_body: statusBy(receiverIdentity2), expect_error: 'IDENTITY_MISMATCH', expect_identity: null },
  { name: 'status-still-pinned', description: 'The status is still signed by the pinned key: nothing to accept.', identity_body: identityBody([link1.token]), status_body: statusBy(receiverIdentity), expect_error: null, expect_identity: receiverIdentity.fingerprint },
];

const identity = (id) => ({ seed: b64u(id.seed), public_key: b64u(id.publicRaw), fingerprint: id.fingerprint });
const vectors = {
  protocol: PROTOCOL,
  revision: 2,
  description: 'Wire test vectors for docs/protocol.md (revision 2, §12). Generated by generate.mjs in this folder; do not edit by hand. Binary values are base64url without padding unless the name ends in _hex.',
  derivation: `Every fixed key and nonce is SHA-256("${PROTOCOL} test vector: " + label), truncated for shorter values. Challenges are computed as in §12.1.`,
  hpke_suite: { mode: 'base', kem: 'DHKEM(X25519, HKDF-SHA256)', kem_id: 0x0020, kdf: 'HKDF-SHA256', kdf_id: 0x0001, aead: 'AES-256-GCM', aead_id: 0x0002 },
  limits: { max_body_bytes: 16384, max_keys: 9, challenge_ttl_seconds: TTL, request_deadline_seconds: 10, max_connections_per_address: 16 },
  identities: {
    receiver: identity(receiverIdentity),
    other_receiver: identity(otherReceiver),
    receiver_rotated: identity(receiverIdentity2),
    receiver_rotated_twice: identity(receiverIdentity3),
    custodian: identity(custodian),
    unauthorized_custodian: identity(stranger),
    second_custodian: identity(secondCustodian),
    new_custodian: identity(newCustodian),
  },
  keys: {
    current: { raw: b64u(currentKey), fernet_key: fernetText(currentKey), key_id: currentId },
    previous: { raw: b64u(previousKey), fernet_key: fernetText(previousKey), key_id: previousId },
    attacker: { raw: b64u(attackerKey), fernet_key: fernetText(attackerKey), key_id: attackerId },
  },
  receiver: {
    description: 'The receiver state every case starts from (fresh per case), unless the case lists overrides in "receiver" (boot_id, ephemeral_private_key, challenge_secret, spent, allow_older_current_key, authorized_custodians, statements_enabled).',
    server_id: serverId,
    identity_seed: b64u(receiverIdentity.seed),
    identity: receiverIdentity.fingerprint,
    boot_id: bootId,
    ephemeral_private_key: b64u(ephemeral.secret),
    ephemeral_public_key: b64u(ephemeral.publicRaw),
    challenge_secret: b64u(challengeSecret),
    spent: [],
    allow_older_current_key: false,
    rekey_ephemeral_private_keys: [b64u(rekeyKey1.secret), b64u(rekeyKey2.secret)],
    key_checks: [currentId, previousId],
    authorized_custodians: authorizedFile,
    statements_enabled: false,
    state: 'locked',
  },
  challenges: {
    description: 'Challenges computed from receiver.challenge_secret as in §12.1 (issued_at, nonce -> challenge).',
    valid: { issued_at: NOW, nonce: b64u(nonce1), challenge },
    second: { issued_at: NOW, nonce: b64u(nonce2), challenge: challenge2 },
    unlocked_status: { issued_at: NOW + 6, nonce: b64u(nonceUnlocked), challenge: challengeUnlocked },
    boot_2: { boot_id: bootId2, challenge_secret: b64u(challengeSecret2), issued_at: NOW, nonce: b64u(nonce1), challenge: challengeBoot2 },
  },
  status: {
    description: 'GET {base}/status at "now" while locked (the receiver draws challenge_nonce as its 8 random nonce bytes); with_nonce answers ?nonce=client_nonce; unlocked_* is the status after valid-unlock at now+6 (nonce challenges.unlocked_status.nonce, no client nonce).',
    now: NOW,
    challenge_nonce: b64u(nonce1),
    payload: status,
    jws: statusJws,
    body: JSON.stringify({ protocol: PROTOCOL, status: statusJws }),
    with_nonce: { query: `nonce=${clientNonce}`, client_nonce: clientNonce, payload: statusWithNonce, jws: statusWithNonceJws, body: statusBody(statusWithNonceJws) },
    unlocked_now: NOW + 6,
    unlocked_challenge_nonce: b64u(nonceUnlocked),
    unlocked_payload: unlockedStatus,
    unlocked_jws: unlockedStatusJws,
  },
  status_query_cases: statusQueryCases,
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
  lock: {
    description: 'POST {base}/lock (§12.4). request: the valid lock of the locked receiver at now+5 with challenges.valid; receipt: its lock receipt. cases: like request_cases (each request names its endpoint); expect_state and expect_new_boot describe the receiver after the last request.',
    request: { payload: validLock.payload, jws: validLock.token, body: envelope(validLock.token) },
    receipt: { now: NOW + 5, payload: lockReceiptPayload, jws: lockReceiptJws, body: JSON.stringify({ protocol: PROTOCOL, receipt: lockReceiptJws }) },
    cases: lockCases,
    client_receipt_cases: clientLockReceiptCases,
  },
  rekey: {
    description: 'POST {base}/rekey (§12.12). request: after the valid unlock (at now+5), the rekey to [current] retiring previous at now+7 with challenges.unlocked_status, sealed to the first rekey key (receiver.rekey_ephemeral_private_keys[0]) with ikmE; receipt: its rekey receipt. cases: each request names its endpoint (unlock or rekey); expect_installed_key_ids after the last request. client_receipt_cases: against request.',
    request: { hpke_info_hex: validRekey.info.toString('hex'), ikm_e: b64u(validRekey.ikmE), payload: validRekey.payload, jws: validRekey.token, body: envelope(validRekey.token) },
    receipt: { now: NOW + 7, payload: rekeyReceiptPayload, jws: rekeyReceiptJws, body: JSON.stringify({ protocol: PROTOCOL, receipt: rekeyReceiptJws }) },
    cases: rekeyCases,
    client_receipt_cases: clientRekeyReceiptCases,
  },
  statements: {
    description: 'POST {base}/custodians (§12.5). Each case starts from receiver plus its overrides and sends its requests in order (endpoint "custodians" or "unlock"); expect_applied is the answer\'s "applied" for 200s; expect_effective_custodians (sorted fingerprints) is the effective set after the last request. file_cases: a statements file replayed at start (lines in order): expect_error_line names the line that makes the receiver refuse to start.',
    handover: { payload: aliceToCarol.payload, jws: aliceToCarol.token, body: statementBody(aliceToCarol.token) },
    revocation: { payload: bobRevokesAlice.payload, jws: bobRevokesAlice.token, body: statementBody(bobRevokesAlice.token) },
    applied_body: JSON.stringify({ protocol: PROTOCOL, applied: true }),
    cases: statementCases,
    file_cases: statementFileCases,
  },
  receiver_handover: {
    description: 'GET {base}/identity (§12.6) and `custodian server accept-identity`. handover: the receiver identity rotated once, signed by the old key. cases: the client is pinned to identities.receiver and server id app-1 and sent client_nonce; it reads identity_body and status_body and either re-pins to expect_identity or refuses with expect_error.',
    handover: { payload: link1.payload, jws: link1.token },
    identity_body: identityBody([link1.token]),
    pinned_identity: receiverIdentity.fingerprint,
    pinned_server_id: serverId,
    client_nonce: clientNonce,
    cases: handoverCases,
  },
};

// ---- §12.13: a Vault login delivered by push (vault-login-v1.json) -------------------------------------------
// The same fixed world; the receiver is configured for the Vault role VAULT_ROLE. A receiver under test replaces
// its Vault calls with a double that records the wrapping token it was handed and answers "delivered", so the
// receipts are exact without a Vault (the real exchange is tested against OpenBao in test/integration).
const VAULT_ROLE = 'mail-helper';
// A wrapping token as OpenBao writes one ("s." + 24 characters); any 1-1024 bytes of 0x21-0x7E are valid.
const wrapToken = Buffer.from(`s.${b64u(fixed('vault wrapping token', 18))}`, 'ascii');
const vaultStatus = { ...statusPayload(), vault_login: { role: VAULT_ROLE, state: 'awaiting' } };
const vaultStatusJws = jws(receiverIdentity, 'custodian-status+jws', vaultStatus);
const vaultRequest = (options = {}) => unlockRequest({
  plaintext: Buffer.concat([currentKey, previousKey, options.tail ?? wrapToken]),
  ikmLabel: options.ikmLabel ?? 'hpke ikmE vault login request 1',
  extraPayload: options.role === null ? {} : { vault_role: options.role ?? VAULT_ROLE },
  ...(options.keys ? { keys: options.keys } : {}),
});
const vaultValid = await vaultRequest();
const vaultReceiptPayload = (request, state) => ({
  ...receiptPayload, vault_login: state, request_hash: b64u(createHash('sha256').update(request.token).digest()),
});
// vault_login goes after installed_at and before request_hash (the receipt's own fields, then the hash).
const orderedReceipt = (request, state) => {
  const { request_hash: hash, ...rest } = vaultReceiptPayload(request, state);
  return { ...rest, request_hash: hash };
};
const vaultReceipt = orderedReceipt(vaultValid, 'delivered');
const vaultReceiptJws = jws(receiverIdentity, 'custodian-receipt+jws', vaultReceipt);
const vaultOtherRole = await vaultRequest({ role: 'other-app', ikmLabel: 'hpke ikmE vault login other role' });
const vaultOtherRoleReceipt = orderedReceipt(vaultOtherRole, 'VAULT_ROLE_MISMATCH');
const vaultOtherRoleReceiptJws = jws(receiverIdentity, 'custodian-receipt+jws', vaultOtherRoleReceipt);

const vaultCases = [];
const vaultCase = (name, description, request, expect = {}) => vaultCases.push({
  name, description, vault_configured: expect.configured ?? true, requests: [request],
  expect_wrap_token: expect.token === undefined ? null : b64u(expect.token),
  expect_vault_login: expect.state ?? null,
});
const printable = (length, first = 0x21) => Buffer.from(Array.from({ length }, (_, i) => first + (i % 94)));
vaultCase('valid-vault-login', 'Both keys, then the wrapping token: the keys install, the token is handed to the Vault login once, the receipt is receipt.jws.',
  ok(envelope(vaultValid.token)), { token: wrapToken, state: 'delivered' });
const oneByte = Buffer.from('!', 'ascii');
vaultCase('token-one-byte', 'The shortest tail: 1 byte (0x21).', ok(envelope((await vaultRequest({ tail: oneByte, ikmLabel: 'hpke ikmE vault tail 1' })).token)), { token: oneByte, state: 'delivered' });
const longest = printable(1024);
vaultCase('token-1024-bytes', 'The longest tail: 1024 bytes, every byte 0x21-0x7E.', ok(envelope((await vaultRequest({ tail: longest, ikmLabel: 'hpke ikmE vault tail 1024' })).token)), { token: longest, state: 'delivered' });
vaultCase('other-role', 'vault_role names another role than the receiver\'s: the keys install, the token is never unwrapped (expect_wrap_token null), the receipt says VAULT_ROLE_MISMATCH (other_role_receipt).',
  ok(envelope(vaultOtherRole.token)), { state: 'VAULT_ROLE_MISMATCH' });
const bad = async (name, description, tail, label) => vaultCase(name, description, fail(envelope((await vaultRequest({ tail, ikmLabel: label })).token), 400, 'BAD_PAYLOAD'));
await bad('empty-tail', 'vault_role, but the plaintext is only the keys (32·n bytes): BAD_PAYLOAD.', Buffer.alloc(0), 'hpke ikmE vault tail empty');
await bad('tail-1025-bytes', 'A tail of 1025 bytes: BAD_PAYLOAD.', printable(1025), 'hpke ikmE vault tail 1025');
await bad('tail-with-space', 'A tail with a space (0x20): BAD_PAYLOAD.', Buffer.from('s.abc def', 'ascii'), 'hpke ikmE vault tail space');
await bad('tail-with-del', 'A tail with 0x7F: BAD_PAYLOAD.', Buffer.from([0x73, 0x2e, 0x7f, 0x41]), 'hpke ikmE vault tail del');
await bad('tail-with-newline', 'A token followed by a newline (0x0A): BAD_PAYLOAD.', Buffer.concat([wrapToken, Buffer.from('\n')]), 'hpke ikmE vault tail newline');
await bad('tail-not-ascii', 'A tail with UTF-8 (0xC3 0xA9): BAD_PAYLOAD.', Buffer.from('s.caf\u00e9', 'utf8'), 'hpke ikmE vault tail utf8');
vaultCase('token-without-vault-role', 'Keys and a token in the plaintext, but no vault_role in the payload: the plaintext must be exactly 32·n bytes, BAD_PAYLOAD.',
  fail(envelope((await vaultRequest({ role: null, ikmLabel: 'hpke ikmE vault no role' })).token), 400, 'BAD_PAYLOAD'));
vaultCase('not-configured', 'A receiver without a Vault login treats vault_role as an unknown member: BAD_REQUEST at step 9 (before the challenge is spent).',
  fail(envelope(vaultValid.token), 400, 'BAD_REQUEST'), { configured: false });
vaultCase('bad-role-name', 'vault_role that is not a role name (starts with "-"): BAD_REQUEST.',
  fail(envelope((await vaultRequest({ role: '-bad', ikmLabel: 'hpke ikmE vault bad role' })).token), 400, 'BAD_REQUEST'));
vaultCase('role-not-a-string', 'vault_role that is a number: BAD_REQUEST.',
  fail(envelope((await vaultRequest({ role: 7, ikmLabel: 'hpke ikmE vault role number' })).token), 400, 'BAD_REQUEST'));
vaultCase('role-too-long', 'vault_role of 65 characters: BAD_REQUEST.',
  fail(envelope((await vaultRequest({ role: 'a'.repeat(65), ikmLabel: 'hpke ikmE vault role long' })).token), 400, 'BAD_REQUEST'));

const vaultVectors = {
  protocol: PROTOCOL,
  revision: 2,
  section: '12.13',
  description: 'Wire test vectors for the Vault login delivered by push (docs/protocol.md §12.13), in the fixed world of unlock-v1.json (same identities, keys, boot, challenges and clock; see there). Generated by generate.mjs (`node generate.mjs vault-login`); do not edit by hand. The receiver is unlock-v1.json\'s receiver plus a Vault login for vault_role; a receiver under test replaces its Vault calls with a double that records the wrapping token it is handed and answers "delivered".',
  vault_role: VAULT_ROLE,
  wrap_token: b64u(wrapToken),
  wrap_token_ascii: wrapToken.toString('ascii'),
  status: {
    description: 'GET {base}/status at status.now of unlock-v1.json (same challenge nonce), locked, Vault login awaiting: the revision-2 payload plus a last member vault_login.',
    payload: vaultStatus, jws: vaultStatusJws, body: JSON.stringify({ protocol: PROTOCOL, status: vaultStatusJws }),
  },
  request: {
    description: 'The valid request: unlock-v1.json\'s request plus vault_role (last member); plaintext = current key || previous key || wrapping token (no separator, no length prefix).',
    hpke_info_hex: vaultValid.info.toString('hex'),
    plaintext_hex: vaultValid.plaintext.toString('hex'),
    keys_bytes: 64,
    hpke_ikm_e: b64u(vaultValid.sealed.ikmE),
    hpke_enc: b64u(vaultValid.sealed.enc),
    hpke_ciphertext: b64u(vaultValid.sealed.ct),
    payload: vaultValid.payload,
    jws: vaultValid.token,
    body: envelope(vaultValid.token),
  },
  receipt: { now: NOW + 5, payload: vaultReceipt, jws: vaultReceiptJws, body: JSON.stringify({ protocol: PROTOCOL, receipt: vaultReceiptJws }) },
  other_role_receipt: { now: NOW + 5, payload: vaultOtherRoleReceipt, jws: vaultOtherRoleReceiptJws, body: JSON.stringify({ protocol: PROTOCOL, receipt: vaultOtherRoleReceiptJws }) },
  request_cases: vaultCases,
};

process.stdout.write(`${JSON.stringify(process.argv[2] === 'vault-login' ? vaultVectors : vectors, null, 2)}\n`);
