/** C2SP signed notes and checkpoints: round trip, verifier key format, and refusal of another key or an edited text. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { checkpointText, parseCheckpointText } from '../../../src-main/core/audit/checkpoint.js';
import { openNote, parseVerifierKey, signNote } from '../../../src-main/core/audit/note.js';
import { auditSignerFromSeed } from '../../../src-main/core/audit/signing-key.js';

const signer = auditSignerFromSeed(randomBytes(32));
const other = auditSignerFromSeed(randomBytes(32));

test('a signed checkpoint opens with its verifier key and reads back', () => {
  const root = randomBytes(32);
  const note = signNote(checkpointText({ origin: signer.name, size: 7, root }), signer);
  assert.match(note, new RegExp(`^${signer.name}\\n7\\n[A-Za-z0-9+/=]{44}\\n\\n\u2014 ${signer.name} [A-Za-z0-9+/=]+\\n$`));
  const key = parseVerifierKey(signer.verifierKey);
  assert.ok(key);
  const opened = openNote(note, key);
  assert.ok(opened?.verified);
  assert.deepEqual(parseCheckpointText(opened.text), { origin: signer.name, size: 7, root });
});

test('verifier key: name+hex8+base64(0x01||key); a wrong hash is refused', () => {
  assert.match(signer.verifierKey, /^key-custodian\/audit-[0-9a-f]{16}\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
  const [name, hash, key] = signer.verifierKey.split('+');
  assert.equal(parseVerifierKey(`${name}+${hash === '00000000' ? '00000001' : '00000000'}+${key}`), null);
});

test('another key, an edited text or a malformed note does not verify', () => {
  const note = signNote(checkpointText({ origin: signer.name, size: 1, root: randomBytes(32) }), signer);
  assert.equal(openNote(note, parseVerifierKey(other.verifierKey))?.verified, false);
  assert.equal(openNote(note.replace('\n1\n', '\n2\n'), parseVerifierKey(signer.verifierKey))?.verified, false);
  assert.equal(openNote('no signatures\n', parseVerifierKey(signer.verifierKey)), null);
  assert.equal(parseCheckpointText('origin\n01\nAAAA\n'), null);
});
