// Prevents: a share or key pasted in the wrong place on the command line being echoed to stderr (and so into
// terminal scrollback and CI logs) by the argument parser's error messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCustodian } from '../support/run-cli.js';

const pasted = 'c2hhcmUtdGhhdC1zaG91bGQtbmV2ZXItYmUtZWNob2Vk';
const env = { ...process.env, CUSTODIAN_HOME: '/nonexistent/custodian-home' };

for (const args of [
  [pasted],
  ['key', pasted],
  ['key', 'list', `--${pasted}`],
  ['key', 'list', `--x=${pasted}`],
  ['vault', 'unseal', pasted, '--addr', 'https://127.0.0.1:1'],
  ['backup', 'restore', '--name', 'x', pasted],
  ['backup', 'split', 'orders-db', '--shares', '2', '--threshold', '2', '--reveal', '--passphrase', pasted],
  ['backup', 'split', 'orders-db', '--shares', pasted, '--threshold', '2'],
]) {
  test(`a usage error does not echo the input: custodian ${args.map((a) => a.replace(pasted, 'SECRET')).join(' ')}`, async () => {
    const run = await runCustodian(args, { env });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^error \[USAGE\]: .+\nhint: .+\n$/);
    assert.ok(!run.stderr.includes(pasted) && !run.stdout.includes(pasted), 'the pasted value was echoed');
  });
}

test('with --json a usage error is one JSON object on stderr with code USAGE, and stdout stays empty', async () => {
  const run = await runCustodian(['--json', 'key', pasted], { env });
  assert.equal(run.status, 2);
  assert.equal(run.stdout.length, 0);
  const body = JSON.parse(run.stderr) as { error: { code: string; hint: string } };
  assert.equal(body.error.code, 'USAGE');
  assert.ok(body.error.hint.length > 0);
  assert.ok(!run.stderr.includes(pasted));
});
