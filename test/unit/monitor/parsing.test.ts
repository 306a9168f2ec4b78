/** The small parsers of `custodian server watch`: durations, hook command lines, and the shared "turns" rule. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CustodianError } from '../../../src-main/core/errors.js';
import { StateTurns, formatDuration, parseDuration, splitCommand } from '../../../src-main/core/monitor/index.js';

const usage = (error: unknown) => error instanceof CustodianError && error.code === 'USAGE' && !/banana/.test(error.message);

test('durations: 90s, 5m, 1.5h, 500ms, bare seconds; nothing else', () => {
  assert.equal(parseDuration('90s', '--timeout'), 90_000);
  assert.equal(parseDuration('5m', '--timeout'), 300_000);
  assert.equal(parseDuration('1.5h', '--timeout'), 5_400_000);
  assert.equal(parseDuration('500ms', '--timeout'), 500);
  assert.equal(parseDuration('12', '--timeout'), 12_000);
  for (const bad of ['', '0', '0s', '-5s', '5 minutes', '1e3', 'banana', '5d', '169h']) assert.throws(() => parseDuration(bad, '--timeout'), usage, bad);
  assert.equal(formatDuration(120_000), '2m');
  assert.equal(formatDuration(90_000), '90s');
  assert.equal(formatDuration(1500), '1500ms');
});

test('hook command lines split like shell words, without any shell expansion', () => {
  assert.deepEqual(splitCommand('notify-send "Server locked"', '--on-locked'), ['notify-send', 'Server locked']);
  assert.deepEqual(splitCommand(`sh -c 'echo "$CUSTODIAN_SERVER" >> /tmp/x'`, '--on-locked'), ['sh', '-c', 'echo "$CUSTODIAN_SERVER" >> /tmp/x']);
  assert.deepEqual(splitCommand('a\\ b "c\\"d" \'\' e*', '--on-locked'), ['a b', 'c"d', '', 'e*']);
  assert.deepEqual(splitCommand('  /usr/bin/page   $HOME ; rm  ', '--on-locked'), ['/usr/bin/page', '$HOME', ';', 'rm']);
  assert.throws(() => splitCommand('say "banana', '--on-locked'), usage);
  assert.throws(() => splitCommand('   ', '--on-locked'), usage);
});

test('StateTurns: the first state is no turn, a change is, the same state again is not; retain forgets', () => {
  const turns = new StateTurns<'locked' | 'unlocked'>();
  assert.equal(turns.see('a', 'locked'), undefined);
  assert.equal(turns.see('a', 'unlocked'), 'unlocked');
  assert.equal(turns.see('a', 'unlocked'), undefined);
  assert.equal(turns.see('a', 'locked'), 'locked');
  turns.retain(['b']);
  assert.equal(turns.last('a'), undefined);
  assert.equal(turns.see('a', 'unlocked'), undefined, 'a server removed and added again starts fresh');
});
