// The 45 official SLIP-39 test vectors (shipped with npm slip39, from satoshilabs/slips), through our core:
// every valid set recovers exactly the expected master secret, length included (the library's own test checks
// only the value); every invalid set is refused with one of our MNEMONIC_* codes, never a raw library error.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { ShareCollector, recoverMasterSecret } from '../../../src-main/core/backup/slip39.js';
import { CustodianError } from '../../../src-main/core/errors.js';

type Vector = [description: string, mnemonics: string[], secretHex: string, xprv: string];

const vectorsPath = createRequire(import.meta.url).resolve('slip39/test/vectors.json');
const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8')) as Vector[];
/** The passphrase every official vector uses. */
const PASSPHRASE = 'TREZOR';

/** What each invalid vector is about, and the code our checker gives it. */
const expectedCode: Array<[RegExp, string]> = [
  [/invalid checksum|invalid padding|greater group threshold than group counts|insufficient length|invalid master secret length/, 'MNEMONIC_INVALID'],
  [/different identifiers|different iteration exponents|mismatching group thresholds|mismatching group counts|mismatching member thresholds|invalid digest/, 'MNEMONIC_SET_MISMATCH'],
  [/duplicate member indices/, 'MNEMONIC_DUPLICATE'],
  [/Basic sharing 2-of-3|Insufficient number of groups|insufficient number of members/, 'MNEMONIC_INSUFFICIENT'],
];

test('the file holds the 45 official vectors', () => {
  assert.equal(vectors.length, 45);
  assert.equal(vectors.filter((vector) => vector[2] !== '').length, 15, '15 valid sets, 30 invalid');
});

for (const [description, mnemonics, secretHex] of vectors) {
  test(`vector ${description}`, () => {
    if (secretHex !== '') {
      const secret = recoverMasterSecret(mnemonics, PASSPHRASE);
      assert.equal(secret.length, secretHex.length / 2, 'exact length');
      assert.equal(secret.toString('hex'), secretHex);
      // The same set, fed share by share as a restore does, reports completion only at the last share.
      const collector = new ShareCollector({ anyLength: true });
      mnemonics.forEach((mnemonic, i) => assert.equal(collector.add(mnemonic).complete, i === mnemonics.length - 1, `complete after share ${i + 1}`));
      return;
    }
    const code = expectedCode.find(([pattern]) => pattern.test(description))?.[1];
    assert.ok(code, `an expected code for "${description}"`);
    assert.throws(() => recoverMasterSecret(mnemonics, PASSPHRASE), (error: unknown) => {
      assert.ok(error instanceof CustodianError, `a CustodianError, not ${String(error)}`);
      assert.equal(error.code, code, error.message);
      // No two consecutive words of any share appear in what a user sees.
      const shown = `${error.message} ${error.hint ?? ''} ${JSON.stringify(error.details ?? {})}`;
      for (const mnemonic of mnemonics) {
        const words = mnemonic.split(' ');
        for (let i = 0; i + 1 < words.length; i++) assert.ok(!shown.includes(`${words[i]} ${words[i + 1]}`), 'the error quotes no part of a share');
      }
      return true;
    });
  });
}
