/**
 * The host key agent's client for Node applications (docs/agent.md, protocol `custodian-agent/1`): a Node app
 * (cluster workers, PM2 instances, queue workers) gets the keys that one push gave the host's agent
 * (`python -m custodian_receiver agent`).
 *
 *   const agent = new AgentClient(process.env.CUSTODIAN_AGENT_SOCKET!);   // a path, not a secret
 *   await agent.ready(2000);                         // first answer from the agent (locked or the keys)
 *   const token = agent.fernet().encrypt(data);      // throws AgentLockedError (code LOCKED) while locked
 *
 * Keys arrive raw over the Unix socket into Buffers of their own (never the shared pool) and are zeroed the moment
 * the agent says "locked" or the connection ends (the agent locked, stopped or died); the client then reconnects
 * with back-off and waits for the next push. Node never forks a running process (cluster workers start fresh), so
 * each process has its own connection by construction. There is no Node agent: Node has no API for a Unix
 * socket's peer credentials (SO_PEERCRED) and no maintained npm package provides one, so the agent, which must
 * check who connects, is the Python one.
 */
import { EventEmitter } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { ReceiverFernet } from './fernet.js';

export const AGENT_PROTOCOL = 'custodian-agent/1';
export const AGENT_SOCKET_ENV = 'CUSTODIAN_AGENT_SOCKET';
const HELLO = 0x48; // 'H'
const LOCKED = 0x4c; // 'L'
const KEYS = 0x4b; // 'K'
const ERROR = 0x45; // 'E'
const HEADER_BYTES = 5;
const MAX_PAYLOAD = 16 * 1024;
const KEY_BYTES = 32;
const BACKOFF_FIRST_MS = 50;
const BACKOFF_MAX_MS = 1000;
const BACKOFF_REFUSED_MS = 5000;

export type AgentClientState = 'connecting' | 'locked' | 'unlocked' | 'unavailable' | 'refused';

const REASONS: Record<AgentClientState, string> = {
  locked: 'locked: waiting for the data key from Key Custodian',
  connecting: 'locked: no answer from the host key agent yet',
  unavailable: 'locked: the host key agent is not running or not reachable',
  refused: 'locked: the host key agent refused this process (its uid/gid is not allowed)',
  unlocked: 'unlocked',
};

/** No keys in this process: answer 503 "locked". `reason` says why (the host is locked, the agent is gone, ...). */
export class AgentLockedError extends Error {
  readonly code = 'LOCKED';
  constructor(readonly reason: AgentClientState) {
    super(REASONS[reason]);
    this.name = 'AgentLockedError';
  }
}

/** Events: 'unlocked' (keyIds), 'locked' (state). */
export class AgentClient extends EventEmitter {
  private socket: Socket | undefined;
  private keys: Buffer[] = [];
  private ids: string[] = [];
  private current: AgentClientState = 'connecting';
  private closed = false;
  private backoffMs = BACKOFF_FIRST_MS;
  private retry: NodeJS.Timeout | undefined;
  private readonly inbox = Buffer.alloc(HEADER_BYTES + MAX_PAYLOAD);
  private filled = 0;
  private readonly application: ReceiverFernet;

  constructor(readonly socketPath: string) {
    super();
    this.application = new ReceiverFernet(() => this.keys, () => Math.floor(Date.now() / 1000));
    this.connect();
  }

  get state(): AgentClientState { return this.current; }
  get keyIds(): readonly string[] { return this.ids; }

  /** Fernet/MultiFernet over the host's keys (current first); throws AgentLockedError without keys. */
  fernet(): ReceiverFernet {
    if (this.current !== 'unlocked' || this.keys.length === 0) throw new AgentLockedError(this.current === 'unlocked' ? 'locked' : this.current);
    return this.application;
  }

  /** Resolves once the agent has answered (true when unlocked), or false after timeoutMs. */
  ready(timeoutMs = 2000): Promise<boolean> {
    return this.until((state) => state !== 'connecting', timeoutMs).then(() => this.current === 'unlocked');
  }

  /** Resolves true once this process holds the keys, false after timeoutMs. */
  waitUnlocked(timeoutMs: number): Promise<boolean> {
    return this.until((state) => state === 'unlocked', timeoutMs);
  }

  /** Ends the subscription and zeroes the keys. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.wipe();
    this.socket?.destroy();
    this.socket = undefined;
  }

  private until(done: (state: AgentClientState) => boolean, timeoutMs: number): Promise<boolean> {
    if (done(this.current)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!done(this.current)) return;
        cleanup();
        resolve(true);
      };
      const timer = setTimeout(() => { cleanup(); resolve(false); }, timeoutMs);
      const cleanup = () => { clearTimeout(timer); this.off('state', check); };
      this.on('state', check);
    });
  }

  private connect(): void {
    if (this.closed) return;
    const socket = createConnection({ path: this.socketPath });
    this.socket = socket;
    this.filled = 0;
    let refused = false;
    let answered = false;
    socket.unref(); // the subscription alone does not keep the process alive
    socket.on('connect', () => {
      const payload = Buffer.from(JSON.stringify({ protocol: AGENT_PROTOCOL }));
      const header = Buffer.alloc(HEADER_BYTES);
      header.writeUInt8(HELLO, 0);
      header.writeUInt32BE(payload.length, 1);
      socket.write(Buffer.concat([header, payload]));
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        if (this.filled + chunk.length > this.inbox.length) throw new Error('frame too large');
        chunk.copy(this.inbox, this.filled);
        this.filled += chunk.length;
        chunk.fill(0); // may hold key bytes
        let frame: { kind: number; end: number } | undefined;
        while ((frame = this.nextFrame()) !== undefined) {
          answered = true;
          const outcome = this.handle(frame.kind, this.inbox.subarray(HEADER_BYTES, frame.end));
          this.consume(frame.end);
          if (outcome === 'refused') refused = true;
          if (outcome !== 'ok') { socket.destroy(); return; }
        }
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.inbox.fill(0);
      this.filled = 0;
      if (answered) this.backoffMs = BACKOFF_FIRST_MS;
      this.setState(refused ? 'refused' : 'unavailable'); // EOF: the agent locked, stopped or died
      if (this.closed) return;
      const delay = refused ? BACKOFF_REFUSED_MS : this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
      this.retry = setTimeout(() => this.connect(), delay);
      this.retry.unref();
    });
  }

  private nextFrame(): { kind: number; end: number } | undefined {
    if (this.filled < HEADER_BYTES) return undefined;
    const kind = this.inbox.readUInt8(0);
    const length = this.inbox.readUInt32BE(1);
    if (![LOCKED, KEYS, ERROR].includes(kind) || length > MAX_PAYLOAD) throw new Error('not a custodian-agent/1 frame');
    const end = HEADER_BYTES + length;
    return this.filled >= end ? { kind, end } : undefined;
  }

  private consume(end: number): void {
    this.inbox.copy(this.inbox, 0, end, this.filled); // in place
    this.inbox.fill(0, this.filled - end, this.filled);
    this.filled -= end;
  }

  private handle(kind: number, payload: Buffer): 'ok' | 'refused' | 'error' {
    if (kind === LOCKED) {
      parseMessage(payload);
      this.setState('locked');
      return 'ok';
    }
    if (kind === ERROR) {
      const error = parseMessage(payload)['error'];
      return error === 'PEER_NOT_ALLOWED' ? 'refused' : 'error';
    }
    const metaLength = payload.readUInt16BE(0);
    const meta = parseMessage(payload.subarray(2, 2 + metaLength));
    const keyIds = meta['key_ids'];
    if (!Array.isArray(keyIds) || keyIds.length === 0 || !keyIds.every((id) => typeof id === 'string')) throw new Error('keys frame without key ids');
    const raw = payload.subarray(2 + metaLength);
    if (raw.length !== KEY_BYTES * keyIds.length) throw new Error('keys frame length does not match its key ids');
    this.wipe();
    this.keys = keyIds.map((_id, index) => {
      const key = Buffer.alloc(KEY_BYTES); // its own memory, not a slice of the pool
      raw.copy(key, 0, index * KEY_BYTES, (index + 1) * KEY_BYTES);
      return key;
    });
    this.ids = keyIds as string[];
    this.setState('unlocked');
    return 'ok';
  }

  private setState(state: AgentClientState): void {
    if (state !== 'unlocked') this.wipe();
    const changed = state !== this.current;
    this.current = state;
    this.emit('state', state);
    if (changed) {
      if (state === 'unlocked') this.emit('unlocked', this.ids);
      else if (state !== 'connecting') this.emit('locked', state);
    }
  }

  private wipe(): void {
    for (const key of this.keys) key.fill(0);
    this.keys = [];
    this.ids = [];
  }
}

function parseMessage(payload: Buffer): Record<string, unknown> {
  const value: unknown = JSON.parse(payload.toString('utf8'));
  if (typeof value !== 'object' || value === null || (value as { protocol?: unknown }).protocol !== AGENT_PROTOCOL) {
    throw new Error('not a custodian-agent/1 message');
  }
  return value as Record<string, unknown>;
}
