import { reportError } from './io.js';
import { runCli } from './main.js';

const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };

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
