// Interoperability with the reference implementation: Python's `cryptography` Fernet and MultiFernet, run in
// the test venv ($CUSTODIAN_TEST_PYTHON). Keys, tokens and data travel over stdin/stdout as JSON, never argv.
// Also recomputes key ids with Python's hmac module, to show docs/key-id.md is implementable from the text.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { Fernet, MultiFernet, decodeFernetKey, encodeFernetKey, generateFernetKey, keyId } from '../../src-main/core/crypto/index.js';

const PYTHON_HELPER = String.raw`
import base64, hashlib, hmac, json, sys, time
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

def key_id(key_text):
    raw = base64.urlsafe_b64decode(key_text)
    digest = hmac.new(raw, b"key-custodian key-id v1", hashlib.sha256).digest()
    value = int.from_bytes(digest[:10], "big")
    chars = "".join(CROCKFORD[(value >> (5 * (15 - i))) & 31] for i in range(16))
    return "K1-" + "-".join(chars[i:i + 4] for i in range(0, 16, 4))

def fernet_for(keys):
    fernets = [Fernet(k) for k in keys]
    return fernets[0] if len(fernets) == 1 else MultiFernet(fernets)

def run(op):
    kind = op["op"]
    if kind == "generate":
        return {"key": Fernet.generate_key().decode()}
    if kind == "keyid":
        return {"id": key_id(op["key"])}
    if kind == "encrypt":
        f = fernet_for(op["keys"])
        data = base64.b64decode(op["data"])
        if "iv" in op:  # private helper, used only to compare exact bytes with a chosen IV
            token = f._encrypt_from_parts(data, op["time"], base64.b64decode(op["iv"]))
        elif "time" in op:
            token = f.encrypt_at_time(data, op["time"])
        else:
            token = f.encrypt(data)
        return {"token": token.decode()}
    f = fernet_for(op["keys"])
    try:
        if kind == "decrypt":
            if "now" in op:
                data = f.decrypt_at_time(op["token"], op["ttl"], op["now"])
            else:
                data = f.decrypt(op["token"], op.get("ttl"))
            return {"data": base64.b64encode(data).decode()}
        if kind == "rotate":
            return {"token": f.rotate(op["token"]).decode()}
        if kind == "timestamp":
            return {"timestamp": f.extract_timestamp(op["token"])}
    except InvalidToken:
        return {"error": "InvalidToken"}
    raise ValueError("unknown op " + kind)

print(json.dumps([run(op) for op in json.load(sys.stdin)]))
`;

type PythonOp = Record<string, unknown> & { op: string };
interface PythonResult { token?: string; data?: string; error?: string; timestamp?: number; id?: string; key?: string }

function python(): string {
  const path = process.env.CUSTODIAN_TEST_PYTHON;
  if (!path) {
    throw new Error('CUSTODIAN_TEST_PYTHON is not set: run through `npm test`, or export the variables printed by `node scripts/setup.mjs` (a venv with cryptography).');
  }
  return path;
}

/** Runs a batch of operations in one Python process; the JSON job goes through stdin. */
async function runPython(ops: PythonOp[]): Promise<PythonResult[]> {
  const child = spawn(python(), ['-c', PYTHON_HELPER], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  child.stdin.end(JSON.stringify(ops));
  const status = await exited;
  if (status !== 0) throw new Error(`python helper failed (exit ${status}): ${Buffer.concat(stderr).toString()}`);
  return JSON.parse(Buffer.concat(stdout).toString()) as PythonResult[];
}

async function pythonOne(op: PythonOp): Promise<PythonResult> {
  return (await runPython([op]))[0]!;
}

const keyText = (raw: Buffer) => encodeFernetKey(raw).toString('latin1');
const b64 = (data: Buffer) => data.toString('base64');

const payloads: Array<[string, Buffer]> = [
  ['text', Buffer.from('Key Custodian — Grüße, 秘密 🔑\n', 'utf8')],
  ['binary (every byte value, twice)', Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256))],
  ['empty', Buffer.alloc(0)],
  ['1 MiB random', randomBytes(1 << 20)],
];

describe('Fernet: Node and Python read each other’s tokens', () => {
  test('Node encrypts, Python decrypts', async () => {
    const raw = generateFernetKey();
    const fernet = new Fernet(raw);
    const tokens = payloads.map(([, data]) => fernet.encrypt(data).toString('latin1'));
    const results = await runPython(tokens.map((token) => ({ op: 'decrypt', keys: [keyText(raw)], token })));
    for (const [i, [name, data]] of payloads.entries()) {
      assert.equal(results[i]!.error, undefined, name);
      assert.deepEqual(Buffer.from(results[i]!.data!, 'base64'), data, name);
    }
  });

  test('Python encrypts, Node decrypts (and reads the Python key text)', async () => {
    const { key } = await pythonOne({ op: 'generate' });
    const results = await runPython(payloads.map(([, data]) => ({ op: 'encrypt', keys: [key], data: b64(data) })));
    const fernet = new Fernet(decodeFernetKey(key!));
    for (const [i, [name, data]] of payloads.entries()) {
      assert.deepEqual(fernet.decrypt(results[i]!.token!), data, name);
      assert.deepEqual(fernet.decrypt(Buffer.from(results[i]!.token!, 'latin1')), data, name);
    }
  });

  test('the same key, time, IV and plaintext give byte-identical tokens on both sides', async () => {
    const raw = generateFernetKey();
    const cases = payloads.map(([, data], i) => ({ data, time: 1_234_567_890 + i, iv: randomBytes(16) }));
    const results = await runPython(cases.map(({ data, time, iv }) => ({ op: 'encrypt', keys: [keyText(raw)], data: b64(data), time, iv: b64(iv) })));
    const fernet = new Fernet(raw);
    for (const [i, { data, time, iv }] of cases.entries()) {
      assert.equal(fernet.encrypt(data, { time, iv }).toString('latin1'), results[i]!.token, payloads[i]![0]);
      assert.equal(fernet.extractTimestamp(results[i]!.token!), time);
    }
  });
});

describe('MultiFernet: rotation across implementations', () => {
  test('Node MultiFernet encrypts, Python MultiFernet and Fernet decrypt; and the reverse', async () => {
    const [newRaw, oldRaw] = [generateFernetKey(), generateFernetKey()];
    const nodeMulti = new MultiFernet([new Fernet(newRaw), new Fernet(oldRaw)]);
    const fromNode = nodeMulti.encrypt(Buffer.from('multi')).toString('latin1');
    const oldFromNode = new Fernet(oldRaw).encrypt(Buffer.from('old key')).toString('latin1');
    const results = await runPython([
      { op: 'decrypt', keys: [keyText(newRaw), keyText(oldRaw)], token: fromNode },
      { op: 'decrypt', keys: [keyText(newRaw)], token: fromNode },
      { op: 'decrypt', keys: [keyText(oldRaw)], token: fromNode },
      { op: 'decrypt', keys: [keyText(newRaw), keyText(oldRaw)], token: oldFromNode },
      { op: 'encrypt', keys: [keyText(newRaw), keyText(oldRaw)], data: b64(Buffer.from('from python')) },
      { op: 'encrypt', keys: [keyText(oldRaw)], data: b64(Buffer.from('python old')) },
    ]);
    assert.equal(Buffer.from(results[0]!.data!, 'base64').toString(), 'multi');
    assert.equal(Buffer.from(results[1]!.data!, 'base64').toString(), 'multi');
    assert.equal(results[2]!.error, 'InvalidToken');
    assert.equal(Buffer.from(results[3]!.data!, 'base64').toString(), 'old key');
    assert.equal(new Fernet(newRaw).decrypt(results[4]!.token!).toString(), 'from python');
    assert.equal(nodeMulti.decrypt(results[5]!.token!).toString(), 'python old');
    assert.throws(() => new Fernet(newRaw).decrypt(results[5]!.token!), { code: 'INVALID_TOKEN' });
  });

  test('Python rotates a Node token and Node rotates a Python token; both keep the original timestamp', async () => {
    const [newRaw, oldRaw] = [generateFernetKey(), generateFernetKey()];
    const keys = [keyText(newRaw), keyText(oldRaw)];
    const nodeOld = new Fernet(oldRaw).encrypt(Buffer.from('node made'), { time: 1_500_000_000 }).toString('latin1');
    const [pythonRotated, pythonOld] = await runPython([
      { op: 'rotate', keys, token: nodeOld },
      { op: 'encrypt', keys: [keyText(oldRaw)], data: b64(Buffer.from('python made')), time: 1_400_000_000 },
    ]);
    const newFernet = new Fernet(newRaw);
    assert.equal(newFernet.decrypt(pythonRotated!.token!).toString(), 'node made');
    assert.equal(newFernet.extractTimestamp(pythonRotated!.token!), 1_500_000_000);

    const nodeRotated = new MultiFernet([newFernet, new Fernet(oldRaw)]).rotate(pythonOld!.token!).toString('latin1');
    const [decrypted, timestamp, refusedByOld] = await runPython([
      { op: 'decrypt', keys: [keyText(newRaw)], token: nodeRotated },
      { op: 'timestamp', keys: [keyText(newRaw)], token: nodeRotated },
      { op: 'decrypt', keys: [keyText(oldRaw)], token: nodeRotated },
    ]);
    assert.equal(Buffer.from(decrypted!.data!, 'base64').toString(), 'python made');
    assert.equal(timestamp!.timestamp, 1_400_000_000);
    assert.equal(refusedByOld!.error, 'InvalidToken');
  });
});

describe('TTL verdicts agree with Python', () => {
  const NOW = 1_700_000_000;
  const TTL = 60;
  // Offsets from "now" of the token's timestamp: expired, boundaries of TTL and clock skew, far future.
  const offsets = [-100_000, -61, -60, -1, 0, 30, 60, 61, 3600, 100_000];

  test('tokens made by either side, judged by both at the same instant, get the same verdict', async () => {
    const raw = generateFernetKey();
    const nodeTokens = offsets.map((offset) => new Fernet(raw).encrypt(Buffer.from('ttl'), { time: NOW + offset }).toString('latin1'));
    const pythonTokens = (await runPython(offsets.map((offset) => ({ op: 'encrypt', keys: [keyText(raw)], data: b64(Buffer.from('ttl')), time: NOW + offset }))))
      .map((r) => r.token!);
    const tokens = [...nodeTokens, ...pythonTokens];
    const verdicts = await runPython(tokens.map((token) => ({ op: 'decrypt', keys: [keyText(raw)], token, ttl: TTL, now: NOW })));
    const nodeAt = new Fernet(raw, { now: () => NOW * 1000 });
    for (const [i, token] of tokens.entries()) {
      const offset = offsets[i % offsets.length]!;
      const pythonAccepts = verdicts[i]!.error === undefined;
      let nodeVerdict = 'accepted';
      try {
        assert.equal(nodeAt.decrypt(token, { ttl: TTL }).toString(), 'ttl');
      } catch (error) {
        nodeVerdict = (error as { code: string }).code;
      }
      assert.equal(nodeVerdict === 'accepted', pythonAccepts, `offset ${offset}: node ${nodeVerdict}, python ${pythonAccepts ? 'accepted' : 'InvalidToken'}`);
      const expected = offset < -TTL ? 'TOKEN_EXPIRED' : offset > 60 ? 'INVALID_TOKEN' : 'accepted';
      assert.equal(nodeVerdict, expected, `offset ${offset}`);
    }
  });

  test('with real clocks: an hour-old token and one an hour ahead are refused by both sides at ttl 60', async () => {
    const raw = generateFernetKey();
    const now = Math.floor(Date.now() / 1000);
    const old = new Fernet(raw).encrypt(Buffer.from('x'), { time: now - 3600 }).toString('latin1');
    const ahead = new Fernet(raw).encrypt(Buffer.from('x'), { time: now + 3600 }).toString('latin1');
    const fresh = new Fernet(raw).encrypt(Buffer.from('x')).toString('latin1');
    const results = await runPython([old, ahead, fresh].map((token) => ({ op: 'decrypt', keys: [keyText(raw)], token, ttl: 60 })));
    assert.deepEqual(results.map((r) => r.error ?? 'ok'), ['InvalidToken', 'InvalidToken', 'ok']);
    const fernet = new Fernet(raw);
    assert.throws(() => fernet.decrypt(old, { ttl: 60 }), { code: 'TOKEN_EXPIRED' });
    assert.throws(() => fernet.decrypt(ahead, { ttl: 60 }), { code: 'INVALID_TOKEN' });
    assert.equal(fernet.decrypt(fresh, { ttl: 60 }).toString(), 'x');
  });
});

describe('deliberate strictness beyond Python', () => {
  test("Python accepts '+'/'/' spellings and a trailing newline; we refuse them (docs/fernet.md)", async () => {
    const raw = generateFernetKey();
    let token = '';
    while (!/[-_]/.test(token)) token = new Fernet(raw).encrypt(Buffer.from('strict')).toString('latin1');
    const variants = [token.replaceAll('-', '+').replaceAll('_', '/'), `${token}\n`];
    const results = await runPython(variants.map((variant) => ({ op: 'decrypt', keys: [keyText(raw)], token: variant })));
    for (const [i, variant] of variants.entries()) {
      assert.equal(Buffer.from(results[i]!.data!, 'base64').toString(), 'strict', 'Python accepts the variant');
      assert.throws(() => new Fernet(raw).decrypt(variant), { code: 'INVALID_TOKEN' });
    }
  });
});

test('key ids computed by Python from docs/key-id.md match ours', async () => {
  const raws = [decodeFernetKey('cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4='), ...Array.from({ length: 20 }, () => generateFernetKey())];
  const results = await runPython(raws.map((raw) => ({ op: 'keyid', key: keyText(raw) })));
  assert.equal(results[0]!.id, 'K1-A1ZY-MD24-F4RN-YS2V');
  for (const [i, raw] of raws.entries()) assert.equal(results[i]!.id, keyId(raw));
});
