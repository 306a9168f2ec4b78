import { reportError } from './io.js';
import { runCli } from './main.js';

const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };

// A reader that stops early (`custodian --help | head`) is not an error: exit quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// A crash must not print a stack trace that could quote input or key material.
process.on('uncaughtException', (error) => {
  process.exitCode = reportError(io, error, process.argv.includes('--json'));
  process.exit();
});
process.on('unhandledRejection', (error) => {
  process.exitCode = reportError(io, error, process.argv.includes('--json'));
  process.exit();
});

process.exitCode = await runCli(process.argv.slice(2), io);
