/**
 * `custodian backup split|restore` as a user runs it: child processes of `node bin/custodian.js` against a real
 * gnome-keyring on a private D-Bus session, and a real pseudo-terminal (util-linux `script`) for the holder-by-holder
 * hand-out and the hidden share prompts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeFernetKey } from '../../src-main/core/crypto/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { CLI, type CliRun, failed, jsonError, jsonOf, ok, runCustodian } from '../support/run-cli.js';

let session: KeyringSession;
let env: Record<string, string | undefined>;
let home: string;

before(async () => {
  session = await startKeyring();
  env = { ...process.env, ...session.env };
  home = session.env['CUSTODIAN_HOME'] as string;
});
after(async () => {
  await session?.stop();
});

const custodian = (args: string[], input?: Uint8Array | string): Promise<CliRun> =>
  runCustodian(args, { env, ...(input === undefined ? {} : { input }) });



async function generate(name: string): Promise<string> {
  return jsonOf(ok(await custodian(['--json', 'key', 'generate', '--name', name])))['id'] as string;
}

async function exportRaw(ref: string): Promise<Buffer> {
  return decodeFernetKey(ok(await custodian(['key', 'export', ref, '--reveal'])).stdout.subarray(0, 44));
}

interface Revealed { id: string; threshold: number; shares: Array<{ index: number; holder: string; mnemonic: string }> }

async function splitReveal(ref: string, args: string[], input?: string): Promise<Revealed> {
  return jsonOf(ok(await custodian(['--json', 'backup', 'split', ref, ...args, '--reveal'], input))) as unknown as Revealed;
}

async function auditEvents(): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(join(home, 'audit.log'), 'utf8').catch(() => '');
  // The event's own fields: the log's bookkeeping (seq, prev link, who acted) is checked in audit-cli.test.ts.
  return text.split('\n').filter(Boolean).map((line) => {
    const entry = JSON.parse(line) as Record<string, unknown>;
    for (const field of ['seq', 'prev', 'by']) delete entry[field];
    return entry;
  });
}

async function keyRecord(ref: string): Promise<Record<string, unknown>> {
  return jsonOf(ok(await custodian(['--json', 'key', 'show', ref])));
}

const lines = (...mnemonics: string[]): string => `${mnemonics.join('\n')}\n`;

describe('split and restore without a terminal', () => {
  test('split --json --reveal prints exactly {id, threshold, shares[{index, holder, mnemonic}]}; restore --name gives the same id, origin restored', async () => {
    const id = await generate('orders-db');
    const raw = await exportRaw(id);
    const split = await splitReveal(id, ['--shares', '3', '--threshold', '2', '--holder', 'Ana', '--holder', 'Ben']);
    assert.deepEqual(Object.keys(split).sort(), ['id', 'shares', 'threshold']);
    assert.equal(split.id, id);
    assert.equal(split.threshold, 2);
    assert.deepEqual(split.shares.map((share) => [share.index, share.holder, Object.keys(share).sort().join()]),
      [[1, 'Ana', 'holder,index,mnemonic'], [2, 'Ben', 'holder,index,mnemonic'], [3, 'Holder 3', 'holder,index,mnemonic']]);
    assert.ok(split.shares.every((share) => share.mnemonic.split(' ').length === 33));

    const event = (await auditEvents()).find((entry) => entry['action'] === 'backup.split');
    assert.deepEqual({ ...event, time: undefined }, {
      time: undefined, action: 'backup.split', outcome: 'ok', keyId: id, keyName: 'orders-db', holders: ['Ana', 'Ben', 'Holder 3'],
      threshold: 2, shares: 3, passphrase: false, pdf: false,
    });
    const shown = await keyRecord(id);
    assert.equal((shown['lastBackup'] as { kind: string }).kind, 'slip39');
    assert.equal(shown['backedUp'], true);

    ok(await custodian(['key', 'delete', id, '--yes']));
    const restored = jsonOf(ok(await custodian(['--json', 'backup', 'restore', '--name', 'orders-db'], lines(split.shares[2]!.mnemonic, split.shares[0]!.mnemonic))));
    assert.deepEqual(restored, { id, name: 'orders-db', origin: 'restored' });
    assert.ok((await exportRaw(id)).equals(raw), 'the keychain holds exactly the original key again');
    assert.equal((await keyRecord(id))['origin'], 'restored');
    assert.ok((await auditEvents()).some((entry) => entry['action'] === 'backup.restore' && entry['keyId'] === id && entry['outcome'] === 'ok'));

    // Human --reveal output pipes straight into restore (comment lines are skipped).
    const human = ok(await custodian(['backup', 'split', id, '--shares', '2', '--threshold', '2', '--reveal'])).stdout.toString();
    assert.match(human, /^# Key "orders-db" \(K1-[-0-9A-Z]+\): any 2 of these 2 SLIP-39 shares restore it\.\n# Share 1 of 2: Holder 1\n/);
    ok(await custodian(['key', 'delete', id, '--yes']));
    const again = ok(await custodian(['backup', 'restore', '--name', 'orders-db', '--expect', id], human));
    assert.match(again.stdout.toString(), new RegExp(`Restored key "orders-db"\\.\\nid:\\s+${id}`));
    ok(await custodian(['key', 'delete', id, '--yes']));
  });

  test('a drill: match records the drill; a wrong passphrase is RESTORE_MISMATCH that says why, and is recorded too', async () => {
    const id = await generate('drilled');
    const passphraseFile = join(home, '..', 'pass.txt');
    await writeFile(passphraseFile, 'open sesame\n', { mode: 0o600 });
    const split = await splitReveal(id, ['--shares', '3', '--threshold', '2', '--passphrase-file', passphraseFile]);
    const two = lines(split.shares[1]!.mnemonic, split.shares[2]!.mnemonic);
    assert.deepEqual(jsonOf(ok(await custodian(['--json', 'backup', 'restore', '--check', 'drilled', '--passphrase-file', passphraseFile], two))), { id, match: true });
    assert.equal((await keyRecord(id))['lastDrill'] && ((await keyRecord(id))['lastDrill'] as { outcome: string }).outcome, 'match');
    const shownHuman = ok(await custodian(['key', 'show', id])).stdout.toString();
    assert.match(shownHuman, /backup:\s+\d{4}-\d\d-\d\dT.* \(slip39\)\ndrill:\s+\d{4}-.* \(match\)/);

    await writeFile(passphraseFile, 'open sesame!\n');
    const mismatch = failed(await custodian(['backup', 'restore', '--check', id, '--passphrase-file', passphraseFile], two), 5, 'RESTORE_MISMATCH');
    assert.match(mismatch.stderr, /wrong SLIP-39 passphrase does not fail: by design it silently gives another key/);
    assert.equal(((await keyRecord(id))['lastDrill'] as { outcome: string }).outcome, 'mismatch');
    const drills = (await auditEvents()).filter((entry) => entry['action'] === 'backup.drill');
    assert.deepEqual(drills.map((entry) => [entry['result'], entry['outcome']]), [['match', 'ok'], ['mismatch', 'error']]);

    // Without the passphrase: also another key; the message says the key may have been split with one.
    const noPassphrase = jsonError(await custodian(['--json', 'backup', 'restore', '--check', id], two));
    assert.equal(noPassphrase.code, 'RESTORE_MISMATCH');
    assert.match(noPassphrase.message, /split with a passphrase/);

    // --expect on a restore: a mismatch imports nothing.
    const before = jsonOf(ok(await custodian(['--json', 'key', 'list'])))['keys'];
    failed(await custodian(['backup', 'restore', '--name', 'elsewhere', '--expect', id], two), 5, 'RESTORE_MISMATCH');
    assert.deepEqual(jsonOf(ok(await custodian(['--json', 'key', 'list'])))['keys'], before, 'nothing was imported');

    // A drill against an id this custodian does not hold (from a sheet) works and records nothing on a key.
    const otherId = await generate('other');
    const other = await splitReveal(otherId, ['--shares', '2', '--threshold', '2']);
    ok(await custodian(['key', 'delete', otherId, '--yes']));
    const foreign = ok(await custodian(['backup', 'restore', '--check', otherId], lines(other.shares[0]!.mnemonic, other.shares[1]!.mnemonic)));
    assert.match(foreign.stdout.toString(), new RegExp(`^match: the shares restore ${otherId}\\. Nothing was imported\\.`));
    ok(await custodian(['key', 'delete', id, '--yes']));
  });

  test('each bad share is reported with its line and what is wrong; nothing is imported', async () => {
    const id = await generate('checked');
    const split = await splitReveal(id, ['--shares', '3', '--threshold', '2']);
    const [a, b] = split.shares.map((share) => share.mnemonic) as [string, string, string];
    const otherSet = await splitReveal(id, ['--shares', '3', '--threshold', '2']);
    ok(await custodian(['key', 'delete', id, '--yes']));
    const words = b.split(' ');
    const typo = `${words[9]!}zq`;
    const wrongWord = [...words.slice(0, 9), typo, ...words.slice(10)].join(' ');
    const cases: Array<[string, string, RegExp]> = [
      [lines(a, wrongWord), 'MNEMONIC_INVALID', /^error \[MNEMONIC_INVALID\]: Line 2: A word is not in the SLIP-39 word list: word 10 \(nearest: [a-z, ]+\)\.$/m],
      [lines(a, words.slice(0, 31).join(' ')), 'MNEMONIC_INVALID', /Line 2: The share has 31 words; a key share has 33 \(2 missing\)/],
      [lines(a, [...words.slice(0, 5), words[6], words[5], ...words.slice(7)].join(' ')), 'MNEMONIC_INVALID', /Line 2: The share's checksum does not match/],
      [lines('# from the sheets', '', a, otherSet.shares[1]!.mnemonic), 'MNEMONIC_SET_MISMATCH', /Line 4: This share is from another split/],
      [lines(a, a), 'MNEMONIC_DUPLICATE', /Line 2: Share 1 was already given\./],
      [lines(a), 'MNEMONIC_INSUFFICIENT', /1 share\(s\) given; 1 more needed/],
      ['', 'MNEMONIC_INSUFFICIENT', /No share was given/],
    ];
    for (const [input, code, message] of cases) {
      const run = failed(await custodian(['backup', 'restore', '--name', 'checked'], input), 5, code);
      assert.match(run.stderr, message);
      assert.ok(!run.stderr.includes(typo), 'the typed word is not echoed');
    }
    assert.equal(words[9] !== undefined && words.length, 33);
    assert.deepEqual((jsonOf(ok(await custodian(['--json', 'key', 'list'])))['keys'] as Array<{ name: string }>).filter((key) => key.name === 'checked'), [], 'nothing imported');
    const failures = (await auditEvents()).filter((entry) => entry['action'] === 'backup.restore' && entry['outcome'] === 'error');
    assert.ok(failures.length >= cases.length, 'failed restores are in the audit log');
  });

  test('refusals: no terminal and no --reveal, --json without --reveal, 1-of-N, a passphrase as a value, --passphrase without a terminal', async () => {
    const id = await generate('refused');
    const before = await auditEvents();
    const refusal = failed(await custodian(['backup', 'split', id, '--shares', '3', '--threshold', '2']), 2, 'CONFIRMATION_REQUIRED');
    assert.match(refusal.stderr, /Not on a terminal.*nothing was split/);
    assert.match(refusal.stderr, /--reveal/);
    assert.equal(jsonError(await custodian(['--json', 'backup', 'split', id, '--shares', '3', '--threshold', '2'])).code, 'CONFIRMATION_REQUIRED');
    failed(await custodian(['backup', 'split', id, '--shares', '3', '--threshold', '1', '--reveal']), 2, 'INVALID_INPUT');
    failed(await custodian(['backup', 'split', id, '--shares', '17', '--threshold', '2', '--reveal']), 2, 'INVALID_INPUT');
    failed(await custodian(['backup', 'split', id, '--shares', '2', '--threshold', '2', '--holder', 'A', '--holder', 'B', '--holder', 'C', '--reveal']), 2, 'USAGE');
    const asValue = failed(await custodian(['backup', 'split', id, '--shares', '2', '--threshold', '2', '--reveal', '--passphrase', 'hunter2-secret']), 2, 'USAGE');
    assert.ok(!asValue.stderr.includes('hunter2-secret'), 'a passphrase given as a value is not echoed');
    failed(await custodian(['backup', 'split', id, '--shares', '2', '--threshold', '2', '--reveal', '--passphrase']), 2, 'USAGE');
    failed(await custodian(['backup', 'split', id, '--shares', '2', '--threshold', '2', '--reveal', '--passphrase-file', '/nonexistent/pass']), 2, 'INVALID_INPUT');
    failed(await custodian(['backup', 'restore', '--name', 'x', '--check', id], ''), 2, 'USAGE');
    failed(await custodian(['backup', 'restore'], ''), 2, 'USAGE');
    failed(await custodian(['backup', 'restore', '--name', 'x', '--passphrase-file', '-'], 'a\n'), 2, 'USAGE');
    failed(await custodian(['backup', 'restore', '--check', 'no-such-key'], ''), 4, 'KEY_NOT_FOUND');
    assert.deepEqual(await auditEvents(), before, 'no refused command wrote an audit entry');
    assert.equal((await keyRecord(id))['lastBackup'], undefined, 'and none marked the key as backed up');
    ok(await custodian(['key', 'delete', id, '--yes']));
  });

  test('key list warns about keys without a backup, also in --json', async () => {
    const bare = await generate('never-backed-up');
    const saved = await generate('backed-up');
    await splitReveal(saved, ['--shares', '2', '--threshold', '2']);
    const listed = jsonOf(ok(await custodian(['--json', 'key', 'list'])));
    assert.ok((listed['withoutBackup'] as string[]).includes(bare));
    assert.ok(!(listed['withoutBackup'] as string[]).includes(saved));
    const human = ok(await custodian(['key', 'list']));
    assert.match(human.stdout.toString(), new RegExp(`${bare} .* backup: NONE\\s+drill: never\\s+never-backed-up`));
    assert.match(human.stdout.toString(), new RegExp(`${saved} .* backup: \\d{4}-\\d\\d-\\d\\d \\(slip39\\)\\s+drill: never\\s+backed-up`));
    assert.match(human.stderr, /warning: \d+ key\(s\) have no backup: .*"never-backed-up"/);
    assert.match(ok(await custodian(['key', 'show', bare])).stderr, /warning: this key has no backup/);
    ok(await custodian(['key', 'delete', bare, '--yes']));
    ok(await custodian(['key', 'delete', saved, '--yes']));
  });

  test('help: split and restore have examples and the exit statuses', async () => {
    for (const command of ['split', 'restore']) {
      const help = ok(await custodian(['backup', command, '--help'])).stdout.toString();
      assert.match(help, /Examples?:\n\s+custodian backup /, command);
      assert.match(help, /Exit status:/, command);
    }
  });
});

describe('on a terminal', () => {
  test('the hand-out: one holder at a time, two typed-back words, the screen cleared between holders; the words restore the key', async () => {
    const id = await generate('handed-out');
    const passphrase = 'pass phrase 7';
    const screens: string[] = [];
    let wrongOnce = false;
    const session = await runInTerminal(['backup', 'split', id, '--shares', '2', '--threshold', '2', '--holder', 'Ana', '--holder', 'Ben', '--passphrase'], (output) => {
      if (/SLIP-39 passphrase \(input hidden\): $/.test(output)) return passphrase;
      if (/The same passphrase again \(input hidden\): $/.test(output)) return passphrase;
      if (/Press Enter when ready\. $/.test(output)) return '';
      if (/Press Enter when done\. $/.test(output)) {
        screens.push(output.slice(output.lastIndexOf('Holder: ')));
        return '';
      }
      const ask = /type word (\d+) of your share \(input hidden\): $/.exec(output);
      if (ask) {
        if (!wrongOnce) {
          wrongOnce = true;
          return 'notaword';
        }
        return wordsOf(screens.at(-1) as string)[Number(ask[1]) - 1]!.toUpperCase();
      }
      return undefined;
    });
    assert.equal(session.status, 0, session.output);
    const out = session.output;
    assert.ok(!out.includes('notaword'), 'the typed check word is not echoed');
    assert.ok(!out.includes(passphrase), 'the passphrase is not echoed');
    assert.match(out, /That does not match what you were shown for word \d+ or \d+\. Your words are shown again\./);
    assert.equal(screens.length, 3, 'Ana saw her words twice (one wrong check), Ben once');
    assert.match(screens[0]!, /^Holder: Ana\nKey: "handed-out" \(K1-[-0-9A-Z]+\)\nShare 1 of 2; any 2 shares restore the key\. The SLIP-39 passphrase is also needed/);
    assert.match(screens[2]!, /^Holder: Ben\n[\s\S]*Share 2 of 2;/);
    const ana = wordsOf(screens[0]!);
    const ben = wordsOf(screens[2]!);
    assert.deepEqual([ana.length, ben.length], [33, 33]);
    // Between Ana's words and Ben's screen the screen and scrollback are cleared; Ben's part never shows Ana's words.
    const anaRow = screens[0]!.split('\n').find((line) => /^\s+1\. /.test(line))!;
    const benStart = out.indexOf('Holder: Ben');
    const lastAna = out.lastIndexOf(anaRow);
    assert.ok(lastAna >= 0 && lastAna < benStart, 'Ana\'s words come before Ben\'s screen');
    const clear = out.indexOf('\x1b[2J\x1b[3J\x1b[H', lastAna);
    assert.ok(clear > lastAna && clear < benStart, 'the screen was cleared after Ana');
    assert.ok(!out.slice(benStart).includes(anaRow), 'Ben never sees Ana\'s words');
    const check = out.indexOf('type word', lastAna);
    assert.ok(check > lastAna && out.lastIndexOf('\x1b[2J\x1b[3J\x1b[H', check) > lastAna, 'the words are cleared before Ana types the check words');
    assert.match(out, /All 2 holders have their shares\./);

    const event = (await auditEvents()).filter((entry) => entry['action'] === 'backup.split').at(-1);
    assert.deepEqual([event?.['keyId'], event?.['holders'], event?.['passphrase'], event?.['outcome']], [id, ['Ana', 'Ben'], true, 'ok']);
    // What the holders wrote down (the shown words) restores the key, with the passphrase.
    const passphraseFile = join(home, '..', 'handout-pass.txt');
    await writeFile(passphraseFile, passphrase);
    const drill = ok(await custodian(['--json', 'backup', 'restore', '--check', id, '--passphrase-file', passphraseFile], lines(ana.join(' '), ben.join(' '))));
    assert.deepEqual(jsonOf(drill), { id, match: true });
    ok(await custodian(['key', 'delete', id, '--yes']));
  });

  test('a hand-out cancelled midway (Ctrl-C) is not recorded as a backup, and says what to do with shares already out', async () => {
    const id = await generate('cancelled');
    let holders = 0;
    const session = await runInTerminal(['backup', 'split', id, '--shares', '2', '--threshold', '2'], (output) => {
      if (/Press Enter when (ready|done)\. $/.test(output)) return '';
      if (/type word \d+ of your share \(input hidden\): $/.test(output)) return ++holders === 1 ? '\x03' : undefined;
      return undefined;
    });
    assert.equal(session.status, 2, session.output);
    assert.match(session.output, /error \[CONFIRMATION_REQUIRED\]: The hand-out was cancelled\. The hand-out stopped after 0 of 2 holders: destroy the shares already written down and split again\./);
    assert.equal((await keyRecord(id))['lastBackup'], undefined, 'not marked as backed up');
    const event = (await auditEvents()).filter((entry) => entry['action'] === 'backup.split').at(-1);
    assert.deepEqual([event?.['keyId'], event?.['outcome'], event?.['code']], [id, 'error', 'CONFIRMATION_REQUIRED']);
    ok(await custodian(['key', 'delete', id, '--yes']));
  });

  test('the restore prompts each holder (hidden), explains a bad share and lets the same holder retry', async () => {
    const id = await generate('typed');
    const split = await splitReveal(id, ['--shares', '3', '--threshold', '2']);
    const [first, , third] = split.shares.map((share) => share.mnemonic) as [string, string, string];
    const words = first.split(' ');
    const typo = `${words[3]!}qx`;
    const answers = [[...words.slice(0, 3), typo, ...words.slice(4)].join(' '), first, first, third];
    const session = await runInTerminal(['backup', 'restore', '--check', id], (output) => (/your share \(input hidden; empty line to stop\): $/.test(output) ? answers.shift() : undefined));
    assert.equal(session.status, 0, session.output);
    const out = session.output;
    assert.match(out, /=== Holder 1: take the keyboard\. Others, please look away\. ===/);
    assert.match(out, /error \[MNEMONIC_INVALID\]: A word is not in the SLIP-39 word list: word 4 \(nearest: [^)]+\)\.[\s\S]*Please try again, holder 1\./);
    assert.match(out, /Share accepted \(1 of 2\)\. Thank you, holder 1/);
    assert.match(out, /error \[MNEMONIC_DUPLICATE\]: Share 1 was already given\.[\s\S]*Please try again, holder 2\./);
    assert.match(out, new RegExp(`match: the shares restore ${id} \\("typed"\\)\\. Nothing was imported\\.`));
    assert.ok(!out.includes(typo) && !out.includes(words.slice(0, 3).join(' ')), 'nothing typed is echoed');
    assert.equal(answers.length, 0);
    ok(await custodian(['key', 'delete', id, '--yes']));
  });
});

/** The numbered words of a hand-out screen, in order. */
function wordsOf(screen: string): string[] {
  const found = new Map<number, string>();
  for (const match of screen.matchAll(/(\d+)\. ([a-z]+)/g)) found.set(Number(match[1]), match[2]!);
  return [...found.entries()].sort((x, y) => x[0] - y[0]).map(([, word]) => word);
}

/**
 * Runs the CLI on a real pseudo-terminal (util-linux `script`). `respond` sees everything printed since the last
 * answer and returns the next line to type (sent with Enter) once a prompt it knows is shown.
 */
function runInTerminal(args: string[], respond: (output: string) => string | undefined): Promise<{ status: number | null; output: string }> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { env: { ...env, TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let seen = 0;
  let answers = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`terminal session timed out after ${answers} answers; output:\n${output}`)); }, 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const answer = respond(output.slice(seen).replace(/\r\n/g, '\n'));
      if (answer === undefined) return;
      seen = output.length;
      if (++answers > 50) { child.kill('SIGKILL'); return; }
      child.stdin.write(`${answer}\r`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('close', (status) => { clearTimeout(timer); resolve({ status, output: output.replace(/\r\n/g, '\n') }); });
  });
}
