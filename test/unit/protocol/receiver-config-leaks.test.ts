// A receiver configuration error must never quote what the operator typed: the Fernet key pasted as a
// --key-check (or anywhere else) would end up in a terminal, a log or a CI transcript. Checked on the demo server
// (`node bin/custodian-receiver.js`, the real process) and on the library's constructor. A refused start must also
// leave no new identity key file behind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeFernetKey, generateFernetKey, keyId } from '../../../src-main/core/crypto/index.js';
import { fingerprintOf, ReceiverConfigError, ReceiverCore } from '../../../receivers/node/src/index.js';
import { repoRoot } from '../../support/protocol-vectors.js';

/**
 * A key whose text does not start with "-": one that does (1 run in 64) is read by the argument parser as an option,
 * which is refused as USAGE without echoing it, so the INVALID_CONFIG check these tests make would not apply.
 */
function keyTextNotLikeAnOption(): string {
  for (;;) {
    const text = encodeFernetKey(generateFernetKey()).toString('ascii');
    if (!text.startsWith('-')) return text;
  }
}
const keyText = keyTextNotLikeAnOption();
const custodian = fingerprintOf(Buffer.alloc(32, 7));

/** Fails if the key, or any 8-character piece of it, appears in the text. */
function assertNoKeyIn(text: string): void {
  for (let start = 0; start + 8 <= keyText.length; start++) {
    assert.ok(!text.includes(keyText.slice(start, start + 8)), `output quotes part of the key: ${JSON.stringify(text)}`);
  }
}

let dir: string;
let custodiansFile: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'receiver-leaks-'));
  custodiansFile = join(dir, 'custodians');
  await writeFile(custodiansFile, `${custodian} alice\n`);
});
after(() => rm(dir, { recursive: true, force: true }));

function runReceiver(args: string[]) {
  const result = spawnSync(process.execPath, [join(repoRoot(), 'bin', 'custodian-receiver.js'), '--port', '0', ...args], {
    encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'],
  });
  assert.equal(result.error, undefined, 'the receiver process could not run');
  return result;
}

describe('custodian-receiver (Node demo server) configuration errors', () => {
  it('refuses the key text as --key-check without printing it, and creates no identity key file', () => {
    const identity = join(dir, 'id-keycheck.key');
    const result = runReceiver(['--identity-key', identity, '--authorized-custodians', custodiansFile, '--key-check', keyText]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^error \[INVALID_CONFIG\]: a --key-check value is not a key id \(K1-XXXX-XXXX-XXXX-XXXX\); if you passed the key itself, treat it as exposed and rotate it\n$/);
    assertNoKeyIn(result.stderr + result.stdout);
    assert.equal(result.stdout, '');
    assert.equal(existsSync(identity), false, 'a refused start left an identity key file behind');
  });

  it('refuses the key text among valid key checks, as --server-id, or as a stray argument, without printing it', () => {
    const identity = join(dir, 'id-other.key');
    const valid = keyId(generateFernetKey());
    const cases: [string[], RegExp][] = [
      [['--key-check', valid, '--key-check', keyText], /\[INVALID_CONFIG\]: a --key-check value is not a key id/],
      [['--key-check', valid, '--server-id', keyText], /\[INVALID_CONFIG\]: the server id must be/],
      [['--key-check', valid, keyText], /\[USAGE\]: unexpected argument/],
      [['--key-check', valid, `--${keyText}`], /\[USAGE\]: unknown option/],
      [['--key-check', valid, `--bogus=${keyText}`], /\[USAGE\]: Unknown option '--bogus'/],
    ];
    for (const [args, expected] of cases) {
      const result = runReceiver(['--identity-key', identity, '--authorized-custodians', custodiansFile, ...args]);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, expected);
      assertNoKeyIn(result.stderr + result.stdout);
      assert.equal(existsSync(identity), false, 'a refused start left an identity key file behind');
    }
  });

  it('names only the line of a bad authorized-custodians entry, and creates no identity key file', async () => {
    const identity = join(dir, 'id-custodians.key');
    const badCustodians = join(dir, 'bad-custodians');
    await writeFile(badCustodians, `# custodians\n${custodian} alice\n${keyText}\n`);
    const result = runReceiver(['--identity-key', identity, '--authorized-custodians', badCustodians, '--key-check', keyId(generateFernetKey())]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /\[INVALID_CONFIG\]: authorized-custodians line 3 does not start with an ed25519: fingerprint/);
    assertNoKeyIn(result.stderr + result.stdout);
    assert.equal(existsSync(identity), false, 'a refused start left an identity key file behind');
  });

  it('does not quote an identity key file that holds something else', async () => {
    const identity = join(dir, 'id-not-pem.key');
    await writeFile(identity, `${keyText}\n`, { mode: 0o600 });
    const result = runReceiver(['--identity-key', identity, '--authorized-custodians', custodiansFile, '--key-check', keyId(generateFernetKey())]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /\[INVALID_CONFIG\]: the identity key file .* is not an Ed25519 private key in PKCS#8 PEM/);
    assertNoKeyIn(result.stderr + result.stdout);
  });
});

describe('ReceiverCore configuration errors', () => {
  it('refuses the key text as a key check with a message that does not quote it', () => {
    const error = captureConfigError(() => new ReceiverCore({
      serverId: 'app-1',
      identityKey: generateKeyPairSync('ed25519').privateKey,
      authorizedCustodians: [custodian],
      keyChecks: [keyText],
    }));
    assert.equal(error.code, 'INVALID_CONFIG');
    assert.match(error.message, /rotate it/);
    assertNoKeyIn(`${error.message}\n${error.stack ?? ''}`);
  });

  it('refuses the key text as an authorized custodian or server id without quoting it', () => {
    const identityKey = generateKeyPairSync('ed25519').privateKey;
    const keyChecks = [keyId(generateFernetKey())];
    for (const options of [
      { serverId: 'app-1', authorizedCustodians: [keyText] },
      { serverId: 'app-1', authorizedCustodians: `${keyText} alice\n` },
      { serverId: keyText, authorizedCustodians: [custodian] },
    ]) {
      const error = captureConfigError(() => new ReceiverCore({ ...options, identityKey, keyChecks }));
      assert.equal(error.code, 'INVALID_CONFIG');
      assertNoKeyIn(`${error.message}\n${error.stack ?? ''}`);
    }
  });
});

function captureConfigError(action: () => unknown): ReceiverConfigError {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof ReceiverConfigError, `expected a ReceiverConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('the configuration was accepted');
}
