/**
 * Runs the CLI on a real pseudo-terminal (util-linux `script`), answering each prompt only once it is shown, as
 * a person would (input sent before the prompt switches the terminal to no-echo would be echoed by the tty).
 * A step's answer may be computed when its prompt appears (e.g. read from a sheet the CLI just wrote); `raw`
 * sends it without the Enter key (e.g. "\x04", Ctrl-D).
 */
import { spawn } from 'node:child_process';
import { CLI } from './run-cli.js';

export interface TerminalStep {
  after: RegExp;
  /** The answer, or a function of the session's output so far that gives it. */
  send: string | ((output: string) => string);
  raw?: boolean;
}

export function runInTerminal(args: string[], env: Record<string, string>, steps: TerminalStep[], timeoutMs = 90_000): Promise<{ status: number | null; output: string; stepsDone: number }> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { env: { ...env, TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let seen = 0;
  let step = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`terminal session timed out at step ${step}; output:\n${output}`)); }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('latin1');
      const next = steps[step];
      if (next && next.after.test(output.slice(seen))) {
        seen = output.length;
        step++;
        const text = typeof next.send === 'function' ? next.send(output) : next.send;
        child.stdin.write(next.raw ? text : `${text}\r`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    child.once('close', (status) => { clearTimeout(timer); resolve({ status, output, stepsDone: step }); });
  });
}
