/**
 * `custodian key ...` as a user runs it: child processes of `node bin/custodian.js`, against a real gnome-keyring
 * on a private D-Bus session (test/support/keyring.ts). Never the developer's keychain.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeFernetKey, encodeFernetKey, generateFernetKey, isKeyId, keyId } from '../../src-main/core/crypto/index.js';
import { noSecretServiceEnv, secretTool, startKeyring, type BareSession, type KeyringSession } from '../support/keyring.js';
import { CLI, type CliRun, failed, jsonError, jsonOf, ok, runCustodian } from '../support/run-cli.js';
import { filesLeaking } from '../support/secret-forms.js';

let session: KeyringSession;
let env: Record<string, string | undefined>;

before(async () => {
  session = await startKeyring();
  env = { ...process.env, ...session.env };
});
after(async () => {
  await session?.stop(); // throws if any keyring process is left behind
});

const custodian = (args: string[], input?: Uint8Array | string, extraEnv: Record<string, string> = {}): Promise<CliRun> =>
  runCustodian(args, { env: { ...env, ...extraEnv }, ...(input === undefined ? {} : { input }) });



function keychainItems(): string {
  const run = secretTool(session.env, ['search', '--all', 'service', session.env['CUSTODIAN_KEYCHAIN_SERVICE'] as string]);
  return `${run.stdout}\n${run.stderr}`;
}

describe('the key lifecycle', () => {
  test('generate -> list -> show -> export --reveal -> delete --yes', async () => {
    const generated = jsonOf(ok(await custodian(['key', 'generate', '--name', 'orders-db', '--json'])));
    const id = generated['id'] as string;
    assert.ok(isKeyId(id), `id ${id}`);
    assert.deepEqual(Object.keys(generated).sort(), ['created', 'id', 'name', 'origin']);
    assert.equal(generated['name'], 'orders-db');
    assert.equal(generated['origin'], 'generated');
    assert.match(keychainItems(), new RegExp(`username = ${id}`));

    const human = ok(await custodian(['key', 'generate', '--name', 'second'])).stdout.toString();
    const secondId = /id:\s+(K1-[0-9A-Z-]+)/.exec(human)?.[1];
    assert.ok(secondId && isKeyId(secondId), `human output shows the id: ${human}`);

    const listed = jsonOf(ok(await custodian(['--json', 'key', 'list'])));
    assert.deepEqual((listed['keys'] as Array<{ id: string }>).map((key) => key.id), [id, secondId]);
    const table = ok(await custodian(['key', 'list'])).stdout.toString();
    assert.match(table, new RegExp(`${id}.*orders-db`));

    const shown = jsonOf(ok(await custodian(['key', 'show', 'orders-db', '--json'])));
    assert.equal(shown['id'], id);
    assert.equal(shown['inKeychain'], true);
    assert.match(ok(await custodian(['key', 'show', id.slice(0, 8)])).stdout.toString(), new RegExp(`id:\\s+${id}`));

    const exported = ok(await custodian(['key', 'export', id, '--reveal'])).stdout;
    assert.equal(exported.length, 45, '44 characters and a newline');
    const raw = decodeFernetKey(exported.subarray(0, 44));
    assert.equal(keyId(raw), id, 'the exported key is the one with that id');
    const exportedJson = jsonOf(ok(await custodian(['key', 'export', id, '--reveal', '--json'])));
    assert.deepEqual(exportedJson, { id, name: 'orders-db', key: exported.subarray(0, 44).toString() });

    const deleted = jsonOf(ok(await custodian(['key', 'delete', id, '--yes', '--json'])));
    assert.deepEqual(deleted, { deleted: id, name: 'orders-db' });
    assert.doesNotMatch(keychainItems(), new RegExp(id));
    failed(await custodian(['key', 'show', id]), 4, 'KEY_NOT_FOUND');
    ok(await custodian(['key', 'delete', secondId, '--yes']));
    assert.deepEqual(jsonOf(ok(await custodian(['key', 'list', '--json']))), { keys: [], withoutBackup: [], overdue: [], rotationIntervalDays: 90 });
  });

  test('import reads the key from stdin (trailing newline allowed) and validates it', async () => {
    const namesBefore = (jsonOf(ok(await custodian(['key', 'list', '--json'])))['keys'] as Array<{ name: string }>).map((key) => key.name);
    const raw = generateFernetKey();
    const text = encodeFernetKey(raw);
    const imported = jsonOf(ok(await custodian(['key', 'import', '--name', 'legacy', '--json'], Buffer.concat([text, Buffer.from('\n')]))));
    assert.equal(imported['id'], keyId(raw));
    assert.equal(imported['origin'], 'imported');
    const exported = ok(await custodian(['key', 'export', 'legacy', '--reveal'])).stdout;
    assert.deepEqual(exported, Buffer.concat([text, Buffer.from('\n')]));

    failed(await custodian(['key', 'import', '--name', 'again'], text), 2, 'KEY_EXISTS');
    failed(await custodian(['key', 'import', '--name', 'bad'], 'definitely not a key\n'), 5, 'INVALID_KEY');
    failed(await custodian(['key', 'import', '--name', 'empty'], ''), 5, 'INVALID_KEY');
    failed(await custodian(['key', 'import', '--name', 'huge'], Buffer.alloc(4096, 0x41)), 5, 'INVALID_KEY');
    failed(await custodian(['key', 'import', '--name', ''], text), 2, 'INVALID_INPUT');
    const names = (jsonOf(ok(await custodian(['key', 'list', '--json'])))['keys'] as Array<{ name: string }>).map((key) => key.name);
    assert.deepEqual(names, [...namesBefore, 'legacy'], 'failed imports stored nothing');
    ok(await custodian(['key', 'delete', 'legacy', '--yes']));
  });

  test('export refuses without --reveal; delete refuses without --yes when not on a terminal', async () => {
    const id = jsonOf(ok(await custodian(['--json', 'key', 'generate', '--name', 'guarded'])))['id'] as string;
    failed(await custodian(['key', 'export', id]), 2, 'CONFIRMATION_REQUIRED');
    const refusedJson = await custodian(['key', 'export', id, '--json']);
    assert.equal(refusedJson.status, 2);
    assert.equal(jsonError(refusedJson).code, 'CONFIRMATION_REQUIRED');
    failed(await custodian(['key', 'delete', id]), 2, 'CONFIRMATION_REQUIRED');
    assert.match(keychainItems(), new RegExp(id), 'still there');
    ok(await custodian(['key', 'delete', id, '--yes']));
  });

  test('two keys with the same name: both kept; the name is ambiguous (error lists both ids); ids work', async () => {
    const a = jsonOf(ok(await custodian(['--json', 'key', 'generate', '--name', 'twin'])))['id'] as string;
    const second = ok(await custodian(['--json', 'key', 'generate', '--name', 'twin']));
    const b = jsonOf(second)['id'] as string;
    assert.match(second.stderr, /also named "twin"/, 'generate warns about the repeated name');
    const ambiguous = await custodian(['key', 'show', 'twin', '--json']);
    assert.equal(ambiguous.status, 2);
    const error = jsonError(ambiguous);
    assert.equal(error.code, 'KEY_AMBIGUOUS');
    assert.deepEqual((error.details?.['ids'] as string[]).sort(), [a, b].sort());
    failed(await custodian(['key', 'delete', 'twin', '--yes']), 2, 'KEY_AMBIGUOUS');
    assert.equal(jsonOf(ok(await custodian(['key', 'show', a, '--json'])))['id'], a);
    ok(await custodian(['key', 'delete', a, '--yes']));
    assert.equal(jsonOf(ok(await custodian(['key', 'show', 'twin', '--json'])))['id'], b, 'unique again');
    ok(await custodian(['key', 'delete', b, '--yes']));
  });

  test('an item deleted behind the app\'s back: show says KEY_MISSING_FROM_KEYCHAIN with what to do; delete cleans the listing', async () => {
    const id = jsonOf(ok(await custodian(['--json', 'key', 'generate', '--name', 'vanishing'])))['id'] as string;
    const cleared = secretTool(session.env, ['clear', 'service', session.env['CUSTODIAN_KEYCHAIN_SERVICE'] as string, 'username', id]);
    assert.equal(cleared.status, 0, cleared.stderr);
    const shown = failed(await custodian(['key', 'show', id]), 3, 'KEY_MISSING_FROM_KEYCHAIN');
    assert.match(shown.stderr, /backup/);
    assert.match(shown.stderr, new RegExp(`custodian key delete ${id}`));
    failed(await custodian(['fernet', 'encrypt', '--key', id], 'data'), 3, 'KEY_MISSING_FROM_KEYCHAIN');
    failed(await custodian(['key', 'export', id, '--reveal']), 3, 'KEY_MISSING_FROM_KEYCHAIN');
    ok(await custodian(['key', 'delete', id, '--yes']));
    assert.deepEqual(jsonOf(ok(await custodian(['key', 'list', '--json']))), { keys: [], withoutBackup: [], overdue: [], rotationIntervalDays: 90 });
  });

  test('a corrupt keys.json is reported (exit 8) and left untouched', async () => {
    const path = join(session.env['CUSTODIAN_HOME'] as string, 'keys.json');
    const original = await readFile(path, 'utf8');
    const itemsBefore = keychainItems().match(/username = K1-[0-9A-Z-]+/g)?.sort() ?? [];
    await writeFile(path, '{"version": 1, "keys": [{"id": ');
    try {
      failed(await custodian(['key', 'list']), 8, 'METADATA_CORRUPT');
      failed(await custodian(['key', 'generate', '--name', 'x']), 8, 'METADATA_CORRUPT');
      assert.equal(await readFile(path, 'utf8'), '{"version": 1, "keys": [{"id": ');
      assert.deepEqual(keychainItems().match(/username = K1-[0-9A-Z-]+/g)?.sort() ?? [], itemsBefore, 'generate did not touch the keychain');
    } finally {
      await writeFile(path, original);
    }
  });
});

describe('on a terminal', () => {
  test('delete asks for confirmation; "n" keeps the key, "y" deletes it', async () => {
    const id = jsonOf(ok(await custodian(['--json', 'key', 'generate', '--name', 'asked'])))['id'] as string;
    const declined = await onTerminal(['key', 'delete', id], /\[y\/N\]/, 'n\n');
    assert.equal(declined.status, 2, declined.output);
    assert.match(declined.output, /CONFIRMATION_REQUIRED/);
    assert.match(keychainItems(), new RegExp(id));
    const accepted = await onTerminal(['key', 'delete', id], /\[y\/N\]/, 'y\n');
    assert.equal(accepted.status, 0, accepted.output);
    assert.match(accepted.output, /Deleted key "asked"/);
    assert.doesNotMatch(keychainItems(), new RegExp(id));
  });

  test('import prompts for the key without echoing it', async () => {
    const raw = generateFernetKey();
    const text = encodeFernetKey(raw);
    const run = await onTerminal(['key', 'import', '--name', 'typed'], /input hidden/, `${text.toString()}\r`);
    assert.equal(run.status, 0, run.output);
    assert.ok(!run.output.includes(text.toString()), `the key was echoed to the terminal: ${JSON.stringify(run.output.replace(text.toString(), '<KEY>'))}`);
    assert.match(run.output, new RegExp(keyId(raw)));
    ok(await custodian(['key', 'delete', keyId(raw), '--yes']));
  });
});

describe('without a usable keychain', () => {
  let bare: BareSession;
  before(async () => { bare = await noSecretServiceEnv(); });
  after(async () => { await bare?.stop(); });

  test('no Secret Service: KEYCHAIN_UNAVAILABLE naming what to install, exit 3 quickly, nothing written in plaintext', async () => {
    const bareEnv = { ...process.env, ...bare.env };
    const raw = generateFernetKey();
    const text = encodeFernetKey(raw);
    for (const [args, input] of [[['key', 'generate', '--name', 'x'], undefined], [['key', 'import', '--name', 'x'], text]] as const) {
      const run = failed(await runCustodian([...args], { env: bareEnv, timeoutMs: 15_000, ...(input ? { input } : {}) }), 3, 'KEYCHAIN_UNAVAILABLE');
      assert.match(run.stderr, /Secret Service/);
      assert.match(run.stderr, /gnome-keyring/);
    }
    const listed = await runCustodian(['key', 'list', '--json'], { env: bareEnv });
    assert.deepEqual(jsonOf(ok(listed)), { keys: [], withoutBackup: [], overdue: [], rotationIntervalDays: 90 }, 'no metadata was written for keys that could not be stored');
    assert.deepEqual(filesLeaking(bare.env['HOME'] as string, raw), [], 'the imported key is in no file');
    await assert.rejects(readFile(join(bare.env['CUSTODIAN_HOME'] as string, 'keys.json')), { code: 'ENOENT' });
  });

  test('no session bus at all: KEYCHAIN_UNAVAILABLE, exit 3', async () => {
    const noBus = { ...process.env, ...bare.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(bare.env['HOME'] as string, 'no-such-socket')}` };
    failed(await runCustodian(['key', 'generate', '--name', 'x'], { env: noBus, timeoutMs: 15_000 }), 3, 'KEYCHAIN_UNAVAILABLE');
  });

  test('a locked keyring: KEYCHAIN_LOCKED with a hint to unlock, exit 3, metadata unchanged', async () => {
    const locked = await startKeyring({ unlocked: false });
    try {
      const lockedEnv = { ...process.env, ...locked.env };
      const run = failed(await runCustodian(['key', 'generate', '--name', 'x'], { env: lockedEnv, timeoutMs: 15_000 }), 3, 'KEYCHAIN_LOCKED');
      assert.match(run.stderr, /[Uu]nlock/);
      const json = await runCustodian(['key', 'import', '--name', 'x', '--json'], { env: lockedEnv, input: encodeFernetKey(generateFernetKey()), timeoutMs: 15_000 });
      assert.equal(json.status, 3);
      assert.equal(jsonError(json).code, 'KEYCHAIN_LOCKED');
      await assert.rejects(readFile(join(locked.env['CUSTODIAN_HOME'] as string, 'keys.json')), { code: 'ENOENT' });
    } finally {
      await locked.stop();
    }
  });

  test('a session bus that never answers: KEYCHAIN_UNAVAILABLE within a few seconds, not a hang', async () => {
    // A "bus" that accepts connections and never says a word: the D-Bus handshake waits forever.
    const { createServer } = await import('node:net');
    const socket = join(bare.env['HOME'] as string, 'silent-bus');
    const connections: import('node:net').Socket[] = [];
    const server = createServer((connection) => { connections.push(connection); });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const silentEnv = { ...process.env, ...bare.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${socket}`, CUSTODIAN_KEYCHAIN_TIMEOUT: '2' };
      const run = failed(await runCustodian(['key', 'generate', '--name', 'x'], { env: silentEnv, timeoutMs: 30_000 }), 3, 'KEYCHAIN_UNAVAILABLE');
      assert.match(run.stderr, /D-Bus did not answer/);
    } finally {
      for (const connection of connections) connection.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('help', () => {
  test('every key command has --help with an example and the exit statuses', async () => {
    for (const command of ['generate', 'import', 'list', 'show', 'export', 'delete']) {
      const help = ok(await custodian(['key', command, '--help'])).stdout.toString();
      assert.match(help, /Examples?:\n\s+custodian key /, command);
      assert.match(help, /Exit status:/, command);
      assert.match(help, /3\s+the OS keychain/, command);
    }
  });
});

/** Runs the CLI on a pseudo-terminal (util-linux `script`), typing `typed` once `prompt` appears. */
function onTerminal(args: string[], prompt: RegExp, typed: string): Promise<{ status: number | null; output: string }> {
  const command = [process.execPath, CLI, ...args].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let typedYet = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const onOutput = (chunk: Buffer): void => {
      output += chunk.toString();
      if (!typedYet && prompt.test(output)) {
        typedYet = true;
        child.stdin.write(typed);
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.once('error', reject);
    child.once('close', (status) => { clearTimeout(timer); resolve({ status, output }); });
  });
}
