import type { Command } from 'commander';
import { joinTokens, singleToken, tokenLines } from '../../core/token-file.js';
import { MultiFernet, withFernets } from '../../core/crypto/index.js';
import { CustodianError } from '../../core/errors.js';
import type { KeyStore } from '../../core/keystore/index.js';
import { commandHelp as help, readAll } from '../io.js';
import type { CommandContext } from '../main.js';
import { openCliKeyStore } from './key.js';

/**
 * `custodian fernet ...`: the operator's tools to check tokens and re-encrypt data during a rotation.
 * stdin to stdout, binary-safe. Tokens are written with a trailing newline; one trailing LF or CRLF is ignored
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
    .description('re-encrypt tokens (one per line on stdin) under --key, keeping their timestamps; all lines are checked before any is written')
    .requiredOption('--key <key>', 'the new key, which encrypts')
    .requiredOption('--previous <key...>', 'the old key(s) the tokens may be under')
    .addHelpText('after', help(['custodian fernet rotate --key orders-db-2026 --previous orders-db-2025 < tokens.txt > tokens.new']))
    .action(async (options: { key: string; previous: string[] }) => {
      const output = context.output();
      if (context.io.stdin.isTTY) output.note('Paste the tokens, one per line, then press Ctrl-D.');
      const input = await readAll(context.io.stdin);
      const lines = tokenLines(input);
      const refs = [options.key, ...options.previous];
      const rotated = await store().withKeys(refs, (raws) => withFernets(raws, (fernets) => {
        const multi = new MultiFernet(fernets);
        const out: Buffer[] = [];
        for (const [index, line] of lines.entries()) {
          try {
            out.push(multi.rotate(line));
          } catch (error) {
            // Say which line, nothing more: the token itself is not echoed.
            if (error instanceof CustodianError && (error.code === 'INVALID_TOKEN' || error.code === 'TOKEN_EXPIRED')) {
              throw new CustodianError(error.code, `invalid token on line ${index + 1}; nothing was written`, {
                hint: 'Check that the line holds one token made with one of the --previous keys (or --key); remove it to rotate the rest.',
                details: { line: index + 1 },
              });
            }
            throw error;
          }
        }
        return out;
      }), { purpose: 'fernet.rotate' });
      if (output.json) output.result({ count: rotated.length, tokens: rotated.map((token) => token.toString('latin1')) });
      else await output.bytes(joinTokens(rotated));
      input.fill(0);
    });
}

function parseTtl(value: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(value)) {
    throw new CustodianError('USAGE', '--ttl must be a whole number of seconds greater than 0.', { hint: 'For example --ttl 3600 for one hour.' });
  }
  return Number(value);
}
