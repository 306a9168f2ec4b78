import { CustodianError, EXIT_STATUS } from '../core/errors.js';

/** The process surface a command may touch; tests and the CLI pass the real one. */
export interface CliIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export interface GlobalOptions {
  json?: boolean;
}

/** Writes results: one JSON object on stdout with --json, human lines otherwise. */
export class Output {
  private wroteJson = false;
  constructor(private readonly io: CliIO, readonly json: boolean) {}

  /** Human text (ignored in --json mode). */
  line(text = ''): void {
    if (!this.json) this.io.stdout.write(`${text}\n`);
  }

  /** Status and progress for humans, on stderr so stdout stays clean for pipes. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  /** The command's result object: printed once in --json mode. */
  result(value: Record<string, unknown>): void {
    if (!this.json) return;
    if (this.wroteJson) throw new Error('a command may write only one JSON result');
    this.wroteJson = true;
    this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** Raw bytes on stdout (fernet encrypt/decrypt). */
  bytes(data: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.io.stdout.write(data, (error) => (error ? reject(error) : resolve()));
    });
  }
}

/**
 * Prints an error without anything secret: CustodianErrors print code, message and hint (all written to be
 * safe); anything else prints only its class name, since its message might quote input.
 */
export function reportError(io: CliIO, error: unknown, json: boolean): number {
  const known = error instanceof CustodianError
    ? error
    : new CustodianError('INTERNAL', `Unexpected failure (${error instanceof Error ? error.name : typeof error}).`, {
      hint: 'This is a bug in Key Custodian; please report it with the command you ran (not its input).',
    });
  if (json) {
    const body: Record<string, unknown> = { code: known.code, message: known.message };
    if (known.hint) body['hint'] = known.hint;
    if (known.details) body['details'] = known.details;
    io.stderr.write(`${JSON.stringify({ error: body })}\n`);
  } else {
    io.stderr.write(`error [${known.code}]: ${known.message}\n`);
    if (known.hint) io.stderr.write(`hint: ${known.hint}\n`);
  }
  return known.exitStatus;
}

/** Reads all of stdin as bytes. The caller owns (and should wipe) the buffer. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk as Buffer);
  const all = Buffer.concat(chunks);
  for (const chunk of chunks) chunk.fill(0);
  return all;
}

export const EXIT_HELP = `
Exit status:
  ${EXIT_STATUS.ok}  success
  ${EXIT_STATUS.failure}  unexpected failure (a bug)
  ${EXIT_STATUS.usage}  usage error, invalid input, or a confirmation that was not given
  ${EXIT_STATUS.keychain}  the OS keychain is unavailable or locked, or a key is missing from it
  ${EXIT_STATUS.notFound}  no such key, profile or server
  ${EXIT_STATUS.crypto}  invalid key, token or PGP data (wrong key, tampered or expired token)
  ${EXIT_STATUS.vault}  Vault/OpenBao unreachable, refused the request, or a ceremony error
  ${EXIT_STATUS.server}  a receiver is unreachable, refused the push, or its identity does not match
  ${EXIT_STATUS.data}  corrupt or unwritable local data (key metadata, profiles, pinned servers, the audit log), or audit verify found tampering
  ${EXIT_STATUS.timeout}  a watch reached its --timeout (servers not in the awaited state), or the audit log stayed locked
Errors go to stderr as "error [CODE]: message" and "hint: ..." (with --json: one {"error": {...}} object on stderr).`;

/** The text after a command's own help: an optional note, its examples, and the exit statuses. */
export function commandHelp(examples: string[], extra = ''): string {
  return `${extra ? `\n${extra}\n` : ''}\nExamples:\n${examples.map((example) => `  ${example}`).join('\n')}\n${EXIT_HELP}`;
}
