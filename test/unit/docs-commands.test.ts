/**
 * Prevents: a runbook step that fails when an officer types it in an incident. Every `custodian …`,
 * `custodian-receiver …` and `python -m custodian_receiver …` command in the fenced code blocks (```sh, ```bash,
 * ```console, ```ini) of SECURITY.md and DEPLOYMENT.md (also inside systemd `ExecStart=` lines, with `\`
 * continuations joined) must parse:
 *   - custodian: with the real commander program (buildProgram), every leaf command's action replaced by a no-op,
 *     so commander itself decides about unknown commands, unknown options, missing arguments and required options;
 *   - the receivers: the subcommand's `--help` must succeed and list every flag used.
 * The "Which test runs each command" tables must name test files that exist.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { buildProgram } from '../../src-main/cli/main.js';
import { splitCommand } from '../../src-main/core/monitor/index.js';
import { repoRoot } from '../support/protocol-vectors.js';

const root = repoRoot();
const DOCS = ['SECURITY.md', 'DEPLOYMENT.md'];

type Kind = 'custodian' | 'custodian-receiver' | 'python -m custodian_receiver';
interface DocCommand { doc: string; line: number; text: string; kind: Kind; argv: string[] }

/** Code blocks whose lines are run: shell sessions and systemd units (ExecStart=). Diagrams are ```text. */
const RUNNABLE = new Set(['sh', 'bash', 'shell', 'console', 'ini']);

/** Tokens that end a command: shell operators, redirections, comments. */
const END = /^(\||\|\||&&|;|&|[0-9]?>>?.*|<.*|#.*)$/;

function extract(doc: string): DocCommand[] {
  const text = readFileSync(join(root, doc), 'utf8');
  const found: DocCommand[] = [];
  const lines = text.split('\n');
  let inBlock = false;
  let runnable = false;
  for (let i = 0; i < lines.length; i++) {
    const fence = /^\s*```\s*([A-Za-z]*)/.exec(lines[i]!);
    if (fence) {
      inBlock = !inBlock;
      runnable = inBlock && RUNNABLE.has(fence[1]!.toLowerCase());
      continue;
    }
    if (!inBlock || !runnable) continue;
    const start = i;
    let logical = lines[i]!;
    while (/\\\s*$/.test(logical) && i + 1 < lines.length) logical = `${logical.replace(/\\\s*$/, ' ')}${lines[++i]!.trim()}`;
    if (!/\bcustodian(-receiver)?\b|custodian_receiver/.test(logical)) continue;
    let tokens: string[];
    try {
      tokens = splitCommand(logical, 'line');
    } catch {
      if (/(^|[\s=/])custodian(-receiver)?\s|-m custodian_receiver\b/.test(logical)) {
        found.push({ doc, line: start + 1, text: logical.trim(), kind: 'custodian', argv: ['<unparsable quotes>'] });
      }
      continue;
    }
    for (let t = 0; t < tokens.length; t++) {
      const base = tokens[t]!.replace(/^[A-Za-z]+=/, '').split('/').pop()!;
      let kind: Kind | undefined;
      let from = t + 1;
      if (base === 'custodian') kind = 'custodian';
      else if (base === 'custodian-receiver') kind = 'custodian-receiver';
      else if (/^python[0-9.]*$/.test(base) && tokens[t + 1] === '-m' && tokens[t + 2] === 'custodian_receiver') {
        kind = 'python -m custodian_receiver';
        from = t + 3;
      }
      if (!kind) continue;
      const argv: string[] = [];
      for (const token of tokens.slice(from)) {
        if (END.test(token)) break;
        argv.push(token);
      }
      found.push({ doc, line: start + 1, text: logical.trim(), kind, argv });
      break;
    }
  }
  return found;
}

class Sink extends Writable {
  override _write(_chunk: unknown, _encoding: string, done: () => void): void { done(); }
}

/** Replaces the action of every leaf command: parsing runs for real, nothing is executed. */
function disarm(command: Command): void {
  for (const sub of command.commands) {
    if (sub.commands.length === 0) sub.action(() => undefined);
    else disarm(sub);
  }
}

async function custodianProblem(argv: string[]): Promise<string | undefined> {
  const sink = new Sink();
  const program = buildProgram({ stdin: process.stdin, stdout: sink, stderr: sink, env: {} });
  disarm(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return undefined;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code)) return undefined;
      return `${error.code}: ${error.message.replace(/^error: /, '')}`;
    }
    return `threw ${error instanceof Error ? error.message : String(error)}`;
  }
}

const helpCache = new Map<string, { status: number | null; text: string }>();

function receiverHelp(kind: Exclude<Kind, 'custodian'>, sub: string | undefined): { status: number | null; text: string } {
  const key = `${kind} ${sub ?? ''}`;
  const cached = helpCache.get(key);
  if (cached) return cached;
  const args = [...(sub ? [sub] : []), '--help'];
  let run;
  if (kind === 'custodian-receiver') {
    run = spawnSync(process.execPath, [join(root, 'bin', 'custodian-receiver.js'), ...args], { encoding: 'utf8', timeout: 20_000 });
  } else {
    const python = process.env['CUSTODIAN_TEST_PYTHON'];
    assert.ok(python, 'CUSTODIAN_TEST_PYTHON is not set: run the tests through `npm test` (scripts/test.mjs sets it)');
    run = spawnSync(python, ['-m', 'custodian_receiver', ...args], {
      encoding: 'utf8', timeout: 20_000, env: { ...process.env, PYTHONPATH: join(root, 'receivers', 'python', 'src') },
    });
  }
  const result = { status: run.status, text: `${run.stdout ?? ''}${run.stderr ?? ''}` };
  helpCache.set(key, result);
  return result;
}

function receiverProblem(kind: Exclude<Kind, 'custodian'>, argv: string[]): string | undefined {
  const sub = argv[0] !== undefined && !argv[0].startsWith('-') ? argv[0] : undefined;
  const help = receiverHelp(kind, sub);
  const where = `\`${kind}${sub ? ` ${sub}` : ''} --help\``;
  if (help.status !== 0) return `${where} failed (exit ${help.status}): unknown subcommand ${sub ?? ''}`.trim();
  const listed = new Set(help.text.match(/--[a-z][a-z0-9-]*/g) ?? []);
  const unknown = argv.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!).filter((flag) => !listed.has(flag));
  return unknown.length ? `flag(s) ${[...new Set(unknown)].join(', ')} not listed by ${where}` : undefined;
}

const commands = DOCS.flatMap(extract);

test('every code block in SECURITY.md and DEPLOYMENT.md names its language (an untagged block would escape this check)', () => {
  for (const doc of DOCS) {
    let open = false;
    readFileSync(join(root, doc), 'utf8').split('\n').forEach((line, index) => {
      const fence = /^\s*```\s*([A-Za-z]*)/.exec(line);
      if (!fence) return;
      if (!open) assert.notEqual(fence[1], '', `${doc}:${index + 1}: a code block without a language (use sh, ini, text, yaml, nginx…)`);
      open = !open;
    });
  }
});

test('SECURITY.md and DEPLOYMENT.md exist and show commands of all three kinds', () => {
  for (const doc of DOCS) assert.ok(commands.some((c) => c.doc === doc), `${doc} has no custodian command in a code block`);
  const kinds = new Set(commands.map((c) => c.kind));
  for (const kind of ['custodian', 'python -m custodian_receiver'] as const) assert.ok(kinds.has(kind), `no ${kind} command found`);
  // the runbook steps the issue asks for are there, as commands
  const all = commands.map((c) => `${c.kind} ${c.argv.join(' ')}`);
  for (const needed of [/^custodian server lock --all/, /^custodian push .*--all/, /^custodian fernet rotate/, /^custodian identity revoke/, /^custodian backup restore/,
    /^custodian server status --watch --until unlocked --timeout 2m$/, /^custodian (--json )?server watch/]) {
    assert.ok(all.some((c) => needed.test(c)), `no command matching ${needed}`);
  }
});

for (const command of commands) {
  test(`${command.doc}:${command.line}: ${command.kind} ${command.argv.join(' ')}`, async () => {
    assert.notDeepEqual(command.argv, ['<unparsable quotes>'], `${command.doc}:${command.line}: the quotes do not close: ${command.text}`);
    const problem = command.kind === 'custodian' ? await custodianProblem(command.argv) : receiverProblem(command.kind, command.argv);
    assert.equal(problem, undefined, `${command.doc}:${command.line}: \`${command.text}\` is not accepted: ${problem}`);
  });
}

test('the "Which test runs each command" tables name test files that exist', () => {
  for (const doc of DOCS) {
    const text = readFileSync(join(root, doc), 'utf8');
    const section = text.slice(text.indexOf('## Which test runs each command'));
    assert.ok(section.length > 40, `${doc} has no "Which test runs each command" section`);
    const files = [...section.matchAll(/`((?:test|receivers)\/[^`*]+\.(?:ts|py))`/g)].map((m) => m[1]!);
    assert.ok(files.length >= 5, `${doc} names too few tests`);
    const missing = files.filter((f) => !existsSync(join(root, f)) && !existsSync(join(root, 'receivers', 'python', 'tests', f)));
    assert.deepEqual(missing, [], `${doc} names test files that do not exist: ${missing.join(', ')}`);
  }
});
