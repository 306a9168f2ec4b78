// Interoperability with Trezor's SLIP-39 reference implementation (PyPI shamir-mnemonic 0.3.0, in the test venv
// $CUSTODIAN_TEST_PYTHON), both ways: shares we make are combined by theirs into exactly the key bytes, and
// shares theirs makes are restored by our core to the same key id; with and without a passphrase. Secrets travel
// over stdin/stdout as JSON, never argv.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { ShareCollector, recoverKey, restoreKey, splitKey } from '../../src-main/core/backup/slip39.js';
import { generateFernetKey, keyId } from '../../src-main/core/crypto/index.js';
import { CustodianError } from '../../src-main/core/errors.js';

const PYTHON_HELPER = String.raw`
import json, sys
import shamir_mnemonic
from shamir_mnemonic import MnemonicError

def run(op):
    passphrase = op.get("passphrase", "").encode("ascii")
    if op["op"] == "combine":
        try:
            return {"secret": shamir_mnemonic.combine_mnemonics(op["mnemonics"], passphrase).hex()}
        except MnemonicError as error:
            return {"error": type(error).__name__}
    if op["op"] == "split":
        groups = shamir_mnemonic.generate_mnemonics(1, [(op["threshold"], op["shares"])], bytes.fromhex(op["secret"]), passphrase,
                                                    extendable=op.get("extendable", True), iteration_exponent=op.get("exponent", 1))
        return {"mnemonics": groups[0]}
    if op["op"] == "version":
        from importlib.metadata import version
        return {"version": version("shamir-mnemonic")}
    raise ValueError("unknown op")

print(json.dumps([run(op) for op in json.load(sys.stdin)]))
`;

interface PyResult { secret?: string; error?: string; mnemonics?: string[]; version?: string }

function python(ops: object[]): Promise<PyResult[]> {
  const interpreter = process.env['CUSTODIAN_TEST_PYTHON'];
  assert.ok(interpreter, 'CUSTODIAN_TEST_PYTHON names the test venv\'s python (scripts/test.mjs sets it)');
  return new Promise((resolve, reject) => {
    const child = spawn(interpreter, ['-c', PYTHON_HELPER], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      if (status !== 0) reject(new Error(`python exited ${status}: ${err}`));
      else resolve(JSON.parse(out) as PyResult[]);
    });
    child.stdin.end(JSON.stringify(ops));
  });
}

describe('SLIP-39 interop with Trezor\'s shamir-mnemonic', () => {
  test('the reference implementation is shamir-mnemonic 0.3.0', async () => {
    const [result] = await python([{ op: 'version' }]);
    assert.equal(result?.version, '0.3.0');
  });

  test('our split -> their combine: every 3 of 5 shares give exactly the 32 key bytes', async () => {
    const key = generateFernetKey();
    const set = splitKey(key, { threshold: 3, shares: 5 });
    const m = set.shares.map((share) => share.mnemonic);
    const subsets = [[0, 1, 2], [4, 2, 0], [1, 3, 4], [3, 0, 2]].map((indices) => indices.map((i) => m[i]!));
    const results = await python([...subsets.map((mnemonics) => ({ op: 'combine', mnemonics })), { op: 'combine', mnemonics: [m[0], m[1]] }]);
    for (const result of results.slice(0, subsets.length)) assert.equal(result.secret, key.toString('hex'));
    assert.equal(results.at(-1)?.error, 'MnemonicError', 'theirs also refuses 2 of a 3-of-5 set');
  });

  test('our split with a passphrase -> their combine: the right passphrase gives the key, a wrong one another secret', async () => {
    const key = generateFernetKey();
    const set = splitKey(key, { threshold: 2, shares: 3, passphrase: 'Tr0ub4dor & 3' });
    const mnemonics = [set.shares[2]!.mnemonic, set.shares[0]!.mnemonic];
    const [right, wrong, none] = await python([
      { op: 'combine', mnemonics, passphrase: 'Tr0ub4dor & 3' },
      { op: 'combine', mnemonics, passphrase: 'Tr0ub4dor & 4' },
      { op: 'combine', mnemonics },
    ]);
    assert.equal(right?.secret, key.toString('hex'));
    assert.ok(wrong?.secret && wrong.secret !== key.toString('hex'), 'no error, just another secret');
    assert.ok(none?.secret && none.secret !== key.toString('hex'));
    // And both implementations agree on what the wrong passphrase gives.
    assert.equal(recoverKey(mnemonics, 'Tr0ub4dor & 4').rawKey.toString('hex'), wrong.secret);
  });

  test('their split -> our restore: same key id, with and without a passphrase, extendable or not', async () => {
    const keys = [generateFernetKey(), generateFernetKey(), generateFernetKey()];
    const [plain, withPassphrase, classic] = await python([
      { op: 'split', secret: keys[0]!.toString('hex'), threshold: 3, shares: 5 },
      { op: 'split', secret: keys[1]!.toString('hex'), threshold: 2, shares: 4, passphrase: 'TREZOR' },
      { op: 'split', secret: keys[2]!.toString('hex'), threshold: 2, shares: 2, extendable: false, exponent: 0 },
    ]);
    const pick = (result: PyResult | undefined, indices: number[]): string[] => indices.map((i) => result!.mnemonics![i]!);
    assert.equal(plain?.mnemonics?.length, 5);
    assert.ok(plain!.mnemonics!.every((mnemonic) => mnemonic.split(' ').length === 33), 'a 32-byte secret gives 33-word shares in theirs too');

    const restored = recoverKey(pick(plain, [4, 1, 3]));
    assert.ok(restored.rawKey.equals(keys[0]!));
    assert.equal(restored.id, keyId(keys[0]!));

    const collector = new ShareCollector();
    for (const mnemonic of pick(withPassphrase, [3, 0])) collector.add(mnemonic);
    assert.equal(restoreKey(collector, 'TREZOR', keyId(keys[1]!)).id, keyId(keys[1]!));
    assert.throws(() => restoreKey(collector, 'trezor', keyId(keys[1]!)), (error: unknown) => error instanceof CustodianError && error.code === 'RESTORE_MISMATCH');

    assert.ok(recoverKey(pick(classic, [1, 0])).rawKey.equals(keys[2]!));
  });

  test('our checker refuses their shares mixed from two sets, and a repeated share of theirs', async () => {
    const key = generateFernetKey();
    const [first, second] = await python([
      { op: 'split', secret: key.toString('hex'), threshold: 2, shares: 3 },
      { op: 'split', secret: key.toString('hex'), threshold: 2, shares: 3 },
    ]);
    const collector = new ShareCollector();
    collector.add(first!.mnemonics![0]!);
    assert.throws(() => collector.add(second!.mnemonics![1]!), (error: unknown) => error instanceof CustodianError && error.code === 'MNEMONIC_SET_MISMATCH');
    assert.throws(() => collector.add(first!.mnemonics![0]!), (error: unknown) => error instanceof CustodianError && error.code === 'MNEMONIC_DUPLICATE');
    collector.add(first!.mnemonics![2]!);
    assert.ok(restoreKey(collector).rawKey.equals(key));
  });
});
