import type { Command } from 'commander';
import type { ReadStream } from 'node:fs';
import { joinTokens, singleToken, tokenLines } from '../../core/token-file.js';
import { withFernets } from '../../core/crypto/index.js';
import { CustodianError } from '../../core/errors.js';
import type { KeyStore } from '../../core/keystore/index.js';
import { commandHelp as help, readAll } from '../io.js';
import type { CommandContext } from '../main.js';
import { openCliKeyStore } from './key.js';
import { ProgressLine } from '../progress-line.js';

/**
 * `custodian fernet ...`: the operator's tools to check tokens and re-encrypt data during a rotation.
 * stdin to stdout, binary-safe (rotate also takes --in/--out files and streams: core/fernet-stream/). Tokens are written with a trailing newline; one trailing LF or CRLF is ignored
 * on input, anything else around a token makes it invalid.
 */
export function registerFernetCommands(program: Command, context: CommandContext): void {
  const fernet = program
    .command('fernet')
    .description('encrypt, decrypt and rotate Fernet tokens with keys from the OS keychain (stdin to stdout)')
    .addHelpText('after', help(['printf secret | custodian fernet encrypt --key orders-db > token.txt']));
  const store = (): KeyStore => openCliKeyStore(context);

  fernet
    .command('encrypt')
    .description('encrypt stdin (any bytes) into one Fernet token on stdout')
    .requiredOption('--key <key>', 'key id, unique id prefix, or unique name')
    .addHelpText('after', help(['custodian fernet encrypt --key K1-7Q2M-0X4A-9R1D-BB3T < report.pdf > report.token']))
    .action(async (options: { key: string }) => {
      const output = context.output();
      if (context.io.stdin.isTTY) output.note('Reading the plaintext from the terminal; end it with Ctrl-D.');
      const plaintext = await readAll(context.io.stdin);
      try {
        const token = await store().withKey(options.key, (raw) => withFernets([raw], ([f]) => f!.encrypt(plaintext)), { purpose: 'fernet.encrypt' });
        if (output.json) output.result({ token: token.toString('latin1') });
        else await output.bytes(joinTokens([token]));
      } finally {
        plaintext.fill(0);
      }
    });

  fernet
    .command('decrypt')
    .description('decrypt one Fernet token from stdin; the plaintext bytes go to stdout unchanged')
    .requiredOption('--key <key>', 'key id, unique id prefix, or unique name')
    .option('--ttl <seconds>', 'reject tokens older than this many seconds', parseTtl)
    .addHelpText('after', help(['custodian fernet decrypt --key orders-db < report.token > report.pdf', 'custodian fernet decrypt --key orders-db --ttl 3600 < token.txt']))
    .action(async (options: { key: string; ttl?: number }) => {
      const output = context.output();
      if (context.io.stdin.isTTY) output.note('Paste the token, then press Enter and Ctrl-D.');
      const input = await readAll(context.io.stdin);
      const token = singleToken(input);
      let plaintext: Buffer | undefined;
      try {
        const opened = await store().withKey(options.key, (raw) => withFernets([raw], ([f]) => ({
          plaintext: f!.decrypt(token, options.ttl === undefined ? {} : { ttl: options.ttl }),
          created: f!.extractTimestamp(token),
        })), { purpose: 'fernet.decrypt' });
        plaintext = opened.plaintext;
        // --json is the one place the plaintext must become text: base64, as the caller asked for it.
        if (output.json) output.result({ plaintextBase64: plaintext.toString('base64'), created: new Date(opened.created * 1000).toISOString() });
        else await output.bytes(plaintext);
      } finally {
        input.fill(0);
        plaintext?.fill(0);
      }
    });

  fernet
    .command('rotate')
    .description('re-encrypt tokens (one per line) under --key, keeping their timestamps; streams with every core, and writes nothing unless every line rotates')
    .requiredOption('--key <key>', 'the new key, which encrypts')
    .requiredOption('--previous <key...>', 'the old key(s) the tokens may be under')
    .option('--in <file>', 'read the tokens from this file instead of stdin')
    .option('--out <file>', 'write the rotated tokens to this file (replaced atomically, mode 0600) instead of stdout')
    .option('--workers <n>', 'worker threads (default: one per core)', parseWorkers)
    .addHelpText('after', help([
      'custodian fernet rotate --key orders-db-2026 --previous orders-db-2025 < tokens.txt > tokens.new',
      'custodian fernet rotate --key orders-db-2026 --previous orders-db-2025 --in tokens.txt --out tokens.txt',
    ], 'Memory stays bounded whatever the input size. Output goes out only once every line has rotated: --out is\nwritten under a temporary name and renamed; stdout is held meanwhile (beyond 8 MiB in an unlinked\ntemporary file). Progress is shown on stderr when it is a terminal. --json prints {count, tokens}, or\n{count, out} with --out (without --out, --json holds every token in memory).'))
    .action(async (options: { key: string; previous: string[]; in?: string; out?: string; workers?: number }) => {
      const output = context.output();
      if (!options.in && context.io.stdin.isTTY) output.note('Paste the tokens, one per line, then press Ctrl-D.');
      const stream = await import('../../core/fernet-stream/rotate-stream.js');
      const input = options.in ? await openInput(options.in) : undefined;
      const sink = options.out
        ? await stream.AtomicFileSink.open(options.out)
        : output.json ? new stream.CollectSink() : new stream.SpoolSink((data) => output.bytes(data));
      const progress = context.io.stderr.isTTY && !output.json ? new ProgressLine(context.io.stderr, input?.size) : undefined;
      const refs = [options.key, ...options.previous];
      let count: number;
      try {
        ({ count } = await store().withKeys(refs, (rawKeys) => stream.rotateTokenStream({
          input: input?.stream ?? context.io.stdin as AsyncIterable<Buffer>,
          rawKeys,
          sink,
          ...(options.workers ? { workers: options.workers } : {}),
          ...(progress ? { onProgress: (p: { tokens: number; bytes: number }) => progress.update(p.tokens, p.bytes) } : {}),
        }), { purpose: 'fernet.rotate' }));
      } catch (error) {
        await sink.abort(); // e.g. an unknown key: the run never started, so the temporary --out file goes here
        throw error;
      } finally {
        progress?.clear();
        input?.stream.destroy();
      }
      if (!output.json) return;
      if (options.out) output.result({ count, out: options.out });
      else {
        const all = Buffer.concat((sink as InstanceType<typeof stream.CollectSink>).chunks);
        output.result({ count, tokens: tokenLines(all).map((token) => token.toString('latin1')) });
      }
    });
}

async function openInput(path: string): Promise<{ stream: ReadStream; size: number }> {
  const { createReadStream, promises } = await import('node:fs');
  try {
    const stats = await promises.stat(path);
    if (!stats.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    return { stream: createReadStream(path, { highWaterMark: 256 * 1024 }), size: stats.size };
  } catch (error) {
    throw new CustodianError('INVALID_INPUT', `Cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, {
      hint: 'Pass an existing file of tokens, one per line, or leave out --in to read stdin.',
    });
  }
}

function parseWorkers(value: string): number {
  if (!/^[1-9][0-9]?$/.test(value) || Number(value) > 64) {
    throw new CustodianError('USAGE', '--workers must be a whole number from 1 to 64.', { hint: 'Leave it out to use one worker per core.' });
  }
  return Number(value);
}

function parseTtl(value: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(value)) {
    throw new CustodianError('USAGE', '--ttl must be a whole number of seconds greater than 0.', { hint: 'For example --ttl 3600 for one hour.' });
  }
  return Number(value);
}
