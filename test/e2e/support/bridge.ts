/**
 * Starts the test bridge (bridge-server.ts) as a child process with the given environment, and builds the
 * script that gives a test page its `window.custodian`: one named function per contract action, as the
 * Electron preload does, forwarding to the bridge.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ACTIONS, channelOf } from '../../../src-shared/actions.js';

export interface Bridge {
  url: string;
  /** The script to run in the page before its own scripts (Playwright addInitScript). */
  clientScript: string;
  /** What the app last put on its (in-memory) clipboard. */
  clipboard(): Promise<string>;
  /** The concealed formats written with it (see src-main/app/clipboard.ts). */
  clipboardFormats(): Promise<string[]>;
  notifications(): Promise<Array<{ title: string; body: string }>>;
  /** The dialogs main opened (kind, title, what the test dialog answered). */
  dialogs(): Promise<Array<{ kind: 'directory' | 'save' | 'open'; title: string; answer: string | null }>>;
  /** The file the next open dialog chooses (undefined: the person cancels). */
  queueOpenFile(path: string | undefined): Promise<void>;
  /** Everything the bridge process wrote on stderr (to check no secret was logged). */
  stderr(): string;
  stop(): Promise<void>;
}

export interface BridgeOptions {
  /**
   * The local unlock passphrase to set before the page opens (as the first-run screen would), so specs that
   * are not about the lock start where an officer's second day would; null leaves it unset. Default: set.
   */
  unlockPassphrase?: string | null;
}

/** The passphrase startBridge sets unless told otherwise (answer presence dialogs with it). */
export const DEFAULT_UNLOCK_PASSPHRASE = 'e2e unlock passphrase 7';

export async function startBridge(env: Record<string, string | undefined>, options: BridgeOptions = {}): Promise<Bridge> {
  const script = fileURLToPath(new URL('./bridge-server.js', import.meta.url));
  const child = spawn(process.execPath, [script], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const { url, token } = await firstJsonLine(child, () => stderr);
  const testGet = async (path: string): Promise<unknown> => {
    const response = await fetch(`${url}${path}`, { headers: { 'x-custodian-bridge': token } });
    return response.json();
  };
  const passphrase = options.unlockPassphrase === undefined ? DEFAULT_UNLOCK_PASSPHRASE : options.unlockPassphrase;
  if (passphrase !== null) {
    // Through the same RPC path and sender check as the page (Origin = the bridge's own origin, plus the token).
    const response = await fetch(`${url}/rpc/${encodeURIComponent(channelOf('setUnlockPassphrase'))}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-custodian-bridge': token, origin: url },
      body: JSON.stringify({ passphrase }),
    });
    const result = await response.json() as { ok: boolean; error?: { code: string } };
    if (!result.ok) throw new Error(`could not set the unlock passphrase: ${result.error?.code}`);
  }
  return {
    url,
    clientScript: clientScript(token),
    clipboard: async () => ((await testGet('/__test/clipboard')) as { text: string }).text,
    clipboardFormats: async () => ((await testGet('/__test/clipboard')) as { formats: string[] }).formats,
    notifications: async () => (await testGet('/__test/notifications')) as Array<{ title: string; body: string }>,
    dialogs: async () => (await testGet('/__test/dialogs')) as Array<{ kind: 'directory' | 'save' | 'open'; title: string; answer: string | null }>,
    queueOpenFile: async (path) => {
      await fetch(`${url}/__test/open-file`, { method: 'POST', headers: { 'x-custodian-bridge': token }, body: JSON.stringify({ path: path ?? null }) });
    },
    stderr: () => stderr,
    stop: () => stopChild(child),
  };
}

/** The page-side half of the bridge: plays the preload's part, with the same names. */
function clientScript(token: string): string {
  const channels = Object.fromEntries(ACTIONS.map((action) => [action, channelOf(action)]));
  return `(() => {
    const channels = ${JSON.stringify(channels)};
    const api = {};
    for (const [action, channel] of Object.entries(channels)) {
      api[action] = async (request) => {
        const response = await fetch('/rpc/' + encodeURIComponent(channel), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-custodian-bridge': ${JSON.stringify(token)} },
          body: JSON.stringify(request === undefined ? null : request),
        });
        return response.json();
      };
    }
    Object.defineProperty(window, 'custodian', { value: Object.freeze(api), enumerable: true });
  })();`;
}

function firstJsonLine(child: ChildProcess, stderr: () => string): Promise<{ url: string; token: string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`the test bridge did not start within 15 s: ${stderr()}`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const end = text.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(text.slice(0, end)) as { url: string; token: string });
      }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the test bridge exited (${code}): ${stderr()}`)); });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  });
}
