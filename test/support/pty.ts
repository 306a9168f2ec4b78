/**
 * Runs a command on a pseudo-terminal (Python's pty module), answering prompts: for programs that read a secret
 * from the terminal only, such as `age -p`, and for the CLI's own hidden prompts. The answers travel on the
 * helper's stdin, never in argv. Bounded: the child is killed after `timeoutMs`.
 */
import { spawnSync } from 'node:child_process';

const HELPER = `
import json, os, pty, re, select, signal, sys, time
spec = json.loads(sys.stdin.read())
pid, fd = pty.fork()
if pid == 0:
    os.execvpe(spec["argv"][0], spec["argv"], os.environ)
out = b""
steps = spec["steps"]
step = 0
seen = 0
deadline = time.time() + spec["timeout"]
timed_out = False
while True:
    if time.time() > deadline:
        timed_out = True
        os.kill(pid, signal.SIGKILL)
        break
    ready, _, _ = select.select([fd], [], [], 0.05)
    if ready:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    if step < len(steps) and re.search(steps[step][0].encode(), out[seen:]):
        seen = len(out)
        time.sleep(0.05)
        os.write(fd, steps[step][1].encode() + b"\\r")
        step += 1
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.stdout.write(json.dumps({"status": code, "timedOut": timed_out, "answered": step, "transcript": out.decode("latin1")}))
`;

export interface PtyRun {
  status: number;
  timedOut: boolean;
  /** How many prompts were answered. */
  answered: number;
  /** Everything the program wrote to the terminal. */
  transcript: string;
}

/** `steps`: [prompt regex (Python syntax), answer] pairs, answered in order as each prompt appears. */
export function runInPty(python: string, argv: string[], steps: Array<[string, string]>, env: Record<string, string | undefined>, timeoutMs = 60_000): PtyRun {
  const run = spawnSync(python, ['-c', HELPER], {
    input: JSON.stringify({ argv, steps, timeout: timeoutMs / 1000 }),
    env: env as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: timeoutMs + 10_000,
  });
  if (run.status !== 0) throw new Error(`pty helper failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as PtyRun;
}
