/**
 * A Vault login delivered by push (docs/protocol.md §12.13): no Vault token on the server's disk or environment.
 *
 * The custodian mints a response-wrapped AppRole SecretID (wrap TTL 60 s, single use) per server at push time and
 * sends the wrapping token inside the HPKE-sealed unlock request, after the data keys. The receiver unwraps it
 * exactly once (`sys/wrapping/unwrap`), logs in with the RoleID from its configuration (not a secret: a RoleID
 * alone logs nobody in), keeps the Vault token in memory only, renews it at two thirds of each lease, and revokes
 * it on lock(). getSecret('postgresql') reads `{mount}/data/{prefix}/postgresql` with that token.
 *
 * A wrapping token Vault no longer knows (already unwrapped, expired, never issued) means somebody else may have
 * unwrapped it: the Vault part is refused (VAULT_WRAP_USED in the receipt and the status) and this boot stays
 * locked for Vault; the data keys of the same request are installed anyway. Tokens are kept in Buffers and wiped
 * when forgotten; node:http takes a header value and JSON bodies only as JS strings, which cannot be wiped: those
 * copies live only for the one request (never in a log, an error message, a file or the environment).
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { KEY_BYTES } from './encoding.js';
import { ReceiverConfigError, ReceiverError } from './errors.js';

/** The states a status or receipt reports (§12.13). */
export const VAULT_STATES = [
  'awaiting', 'delivered', 'VAULT_WRAP_USED', 'VAULT_UNREACHABLE', 'VAULT_LOGIN_FAILED', 'VAULT_ROLE_MISMATCH', 'VAULT_TOKEN_EXPIRED',
] as const;
export type VaultLoginState = typeof VAULT_STATES[number];

export const MAX_WRAP_TOKEN_BYTES = 1024;
export const VAULT_TIMEOUT_MS = 5_000;
const ROLE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SECRET_NAME = /^[A-Za-z0-9_.@-]+(\/[A-Za-z0-9_.@-]+)*$/;

export function isRoleName(value: unknown): value is string {
  return typeof value === 'string' && ROLE.test(value);
}

/** The application asked for a Vault secret while this boot has no Vault login (the state says why). */
export class VaultLockedError extends Error {
  override readonly name = 'VaultLockedError';
  readonly code = 'VAULT_LOCKED';
  constructor(readonly state: VaultLoginState) {
    super(`vault locked (${state}): waiting for the Vault login from Key Custodian`);
  }
}

/** Vault answered a read with something else than 200 (no secret value in the message). */
export class VaultReadError extends Error {
  override readonly name = 'VaultReadError';
  constructor(readonly httpStatus: number) {
    super(httpStatus === 0 ? 'Vault did not answer' : `Vault refused the read (HTTP ${httpStatus})`);
  }
}

/**
 * Where to log in: receiver configuration, never the request (a request naming the Vault address could send this
 * server's RoleID and SecretID to any host, and the CA to trust is the server's decision).
 */
export interface VaultSettings {
  /** http(s)://host[:port], no trailing slash. */
  addr: string;
  /** The AppRole role name the custodian mints for (`push --vault-role`). */
  role: string;
  roleId: string;
  /** KV v2 mount, default "secret". */
  mount?: string;
  /** Secrets live under {mount}/data/{prefix}/...; default the role name. */
  prefix?: string;
  /** PEM text of the CA that signed Vault's certificate (VAULT_CACERT). */
  caCert?: string | Buffer;
  timeoutMs?: number;
}

function checkedSettings(settings: VaultSettings): Required<Omit<VaultSettings, 'caCert'>> & { caCert?: string | Buffer } {
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(settings.addr ?? '')) throw new ReceiverConfigError('INVALID_CONFIG', 'VAULT_ADDR must be an http(s):// URL');
  if (!isRoleName(settings.role)) throw new ReceiverConfigError('INVALID_CONFIG', 'the Vault role name must be 1-64 characters of A-Z a-z 0-9 . _ -');
  if (!/^[A-Za-z0-9-]{1,128}$/.test(settings.roleId ?? '')) {
    throw new ReceiverConfigError('INVALID_CONFIG', 'the Vault RoleID is missing or malformed (see `bao read auth/approle/role/NAME/role-id`)');
  }
  const mount = settings.mount || 'secret';
  if (!/^[A-Za-z0-9_.-]+$/.test(mount)) throw new ReceiverConfigError('INVALID_CONFIG', 'the KV mount must be one path segment');
  const prefix = settings.prefix || settings.role;
  if (!SECRET_NAME.test(prefix)) throw new ReceiverConfigError('INVALID_CONFIG', 'VAULT_SECRET_PREFIX must be path segments of A-Z a-z 0-9 _ . @ -');
  return {
    addr: settings.addr.replace(/\/+$/, ''), role: settings.role, roleId: settings.roleId, mount, prefix,
    timeoutMs: settings.timeoutMs ?? VAULT_TIMEOUT_MS, ...(settings.caCert ? { caCert: settings.caCert } : {}),
  };
}

/**
 * VAULT_ADDR, VAULT_ROLE, VAULT_ROLE_ID (or VAULT_ROLE_ID_FILE), optional VAULT_CACERT (a file), VAULT_KV_MOUNT,
 * VAULT_SECRET_PREFIX. A VAULT_TOKEN in the environment is refused: the point of the pushed login is that no
 * Vault token lives on the server.
 */
export function vaultSettingsFromEnvironment(env: NodeJS.ProcessEnv): VaultSettings {
  if (env['VAULT_TOKEN']) throw new ReceiverConfigError('INVALID_CONFIG', 'VAULT_TOKEN is set: remove it; this server logs in with the Vault login Key Custodian pushes');
  let roleId = env['VAULT_ROLE_ID'] ?? '';
  if (!roleId && env['VAULT_ROLE_ID_FILE']) {
    try {
      roleId = readFileSync(env['VAULT_ROLE_ID_FILE'], 'ascii').trim();
    } catch {
      throw new ReceiverConfigError('INVALID_CONFIG', 'cannot read VAULT_ROLE_ID_FILE');
    }
  }
  const missing = [...['VAULT_ADDR', 'VAULT_ROLE'].filter((name) => !env[name]), ...(roleId ? [] : ['VAULT_ROLE_ID'])];
  if (missing.length) throw new ReceiverConfigError('INVALID_CONFIG', `set ${missing.join(', ')} for the Vault login`);
  let caCert: Buffer | undefined;
  if (env['VAULT_CACERT']) {
    try {
      caCert = readFileSync(env['VAULT_CACERT']);
    } catch {
      throw new ReceiverConfigError('INVALID_CONFIG', 'cannot read the VAULT_CACERT file');
    }
  }
  return {
    addr: env['VAULT_ADDR']!, role: env['VAULT_ROLE']!, roleId,
    ...(env['VAULT_KV_MOUNT'] ? { mount: env['VAULT_KV_MOUNT'] } : {}),
    ...(env['VAULT_SECRET_PREFIX'] ? { prefix: env['VAULT_SECRET_PREFIX'] } : {}),
    ...(caCert ? { caCert } : {}),
  };
}

/** A VaultLogin when VAULT_ENABLED is true/1/yes (the secrets plan's switch), else undefined; VAULT_TOKEN is refused either way. */
export function vaultLoginFromEnvironment(env: NodeJS.ProcessEnv = process.env): VaultLogin | undefined {
  if (!['1', 'true', 'yes'].includes((env['VAULT_ENABLED'] ?? '').trim().toLowerCase())) {
    if (env['VAULT_TOKEN']) throw new ReceiverConfigError('INVALID_CONFIG', 'VAULT_TOKEN is set: remove it; no Vault token belongs on this server');
    return undefined;
  }
  return new VaultLogin(vaultSettingsFromEnvironment(env));
}

/**
 * Step 13 with a Vault login: the plaintext is the keys, then 1-1024 bytes of the wrapping token (0x21-0x7E).
 * Returns a copy of the token's bytes (its own ArrayBuffer) and wipes the tail; anything else is BAD_PAYLOAD
 * with the whole plaintext wiped.
 */
export function takeWrapToken(plaintext: Buffer, keyCount: number): Buffer {
  const start = keyCount * KEY_BYTES;
  const tail = plaintext.length - start;
  if (tail < 1 || tail > MAX_WRAP_TOKEN_BYTES) {
    plaintext.fill(0);
    throw new ReceiverError('BAD_PAYLOAD');
  }
  const token = Buffer.from(new ArrayBuffer(tail));
  plaintext.copy(token, 0, start);
  plaintext.fill(0, start);
  if (!token.every((byte) => byte >= 0x21 && byte <= 0x7e)) {
    token.fill(0);
    plaintext.fill(0);
    throw new ReceiverError('BAD_PAYLOAD');
  }
  return token;
}

export interface VaultAnswer {
  status: number;
  body: Record<string, unknown> | null;
}

/** What a failed call means: 4xx -> refused (the caller's state), anything else (5xx, sealed, no answer) -> unreachable. */
const failureOf = (status: number, refused: VaultLoginState): VaultLoginState => (status >= 400 && status < 500 ? refused : 'VAULT_UNREACHABLE');

/**
 * The Vault login of one receiver: its state, the in-memory token, renewal, getSecret. The receiver core calls
 * generation() at install, deliver() after the keys are installed, forget() at every lock.
 */
export class VaultLogin {
  private readonly settings: ReturnType<typeof checkedSettings>;
  private readonly clock: () => number;
  private token: Buffer | null = null;
  private stateValue: VaultLoginState = 'awaiting';
  private generationValue = 0;
  private expiresAt = 0;
  private renewTimer: NodeJS.Timeout | undefined;
  private readonly revoking = new Set<Promise<void>>();

  /** `now` is monotonic milliseconds (tests pass another clock). */
  constructor(settings: VaultSettings, options: { now?: () => number } = {}) {
    this.settings = checkedSettings(settings);
    this.clock = options.now ?? (() => performance.now());
  }

  get role(): string {
    return this.settings.role;
  }

  get state(): VaultLoginState {
    if (this.stateValue === 'delivered' && this.clock() >= this.expiresAt) {
      this.dropToken();
      this.stateValue = 'VAULT_TOKEN_EXPIRED';
    }
    return this.stateValue;
  }

  /** The status payload's `vault_login` member (§12.13). */
  statusMember(): { role: string; state: VaultLoginState } {
    return { role: this.settings.role, state: this.state };
  }

  /** The boot's generation, taken when the keys are installed: a lock() meanwhile makes a late login useless. */
  generation(): number {
    return this.generationValue;
  }

  /**
   * Unwraps `wrapToken` once (never retried), logs in with the configured RoleID, keeps the token; resolves to the
   * state after this request. The wrapping token's bytes are wiped here whatever happens.
   */
  async deliver(wrapToken: Buffer, role: string, generation: number): Promise<VaultLoginState> {
    let wrap: string;
    try {
      if (role !== this.settings.role) return this.settle('VAULT_ROLE_MISMATCH', generation); // minted for another app: never unwrapped
      wrap = wrapToken.toString('ascii'); // a header value must be a JS string (not wipeable; this request only)
    } finally {
      wrapToken.fill(0);
    }
    const unwrapped = await this.call('POST', '/v1/sys/wrapping/unwrap', wrap, undefined);
    const secretId = (unwrapped.body?.['data'] as Record<string, unknown> | undefined)?.['secret_id'];
    if (unwrapped.status !== 200) return this.settle(failureOf(unwrapped.status, 'VAULT_WRAP_USED'), generation);
    // A wrapping token of something else than a SecretID: refused like a used one.
    if (typeof secretId !== 'string' || !secretId) return this.settle('VAULT_WRAP_USED', generation);
    const login = await this.call('POST', '/v1/auth/approle/login', undefined, { role_id: this.settings.roleId, secret_id: secretId });
    const auth = login.body?.['auth'] as Record<string, unknown> | undefined;
    const clientToken = auth?.['client_token'];
    if (login.status !== 200 || typeof clientToken !== 'string' || !clientToken) {
      return this.settle(login.status === 200 ? 'VAULT_LOGIN_FAILED' : failureOf(login.status, 'VAULT_LOGIN_FAILED'), generation);
    }
    const token = Buffer.from(clientToken, 'ascii');
    const lease = typeof auth?.['lease_duration'] === 'number' ? auth['lease_duration'] : 0;
    if (generation !== this.generationValue) {
      this.revokeLater(token); // a lock() started a new boot while we logged in
      return 'awaiting';
    }
    if (this.token) this.revokeLater(this.token);
    this.token = token;
    this.stateValue = 'delivered';
    this.expiresAt = lease > 0 ? this.clock() + lease * 1000 : Infinity;
    this.scheduleRenewal(auth?.['renewable'] === true ? lease : 0);
    return this.state;
  }

  /**
   * The latest version's fields of `{mount}/data/{prefix}/{name}` (e.g. getSecret('postgresql')). Rejects with
   * VaultLockedError while this boot has no Vault login, VaultReadError when Vault refuses or does not answer.
   * The values are JS strings (JSON from Vault): the application decides how long it keeps them.
   */
  async getSecret(name: string): Promise<Record<string, string>> {
    if (typeof name !== 'string' || !SECRET_NAME.test(name) || name.split('/').includes('..')) throw new RangeError('a secret name is letters, digits, - _ . @ and /');
    const state = this.state;
    const token = this.token;
    if (!token) throw new VaultLockedError(state);
    const answer = await this.call('GET', `/v1/${this.settings.mount}/data/${this.settings.prefix}/${name}`, token.toString('ascii'), undefined);
    const data = (answer.body?.['data'] as Record<string, unknown> | undefined)?.['data'];
    if (answer.status !== 200 || !data || typeof data !== 'object') throw new VaultReadError(answer.status);
    return Object.fromEntries(Object.entries(data as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  }

  /** lock(): forget the token now (getSecret refuses at once) and revoke it in the background. */
  forget(): void {
    this.generationValue++;
    this.stateValue = 'awaiting';
    clearTimeout(this.renewTimer);
    this.renewTimer = undefined;
    const token = this.token;
    this.token = null;
    if (token) this.revokeLater(token);
  }

  /** Resolves when the revocations started by forget() are done, or after timeoutMs (a remote lock waits for it). */
  async waitRevoked(timeoutMs = this.settings.timeoutMs): Promise<void> {
    if (this.revoking.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.revoking), new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); })]);
    clearTimeout(timer);
  }

  // ---- internals ------------------------------------------------------------------------------------------

  private settle(state: VaultLoginState, generation: number): VaultLoginState {
    if (generation === this.generationValue && !this.token) this.stateValue = state;
    return state;
  }

  private dropToken(): void {
    clearTimeout(this.renewTimer);
    this.renewTimer = undefined;
    this.token?.fill(0);
    this.token = null;
  }

  /** renew-self at two thirds of each lease (at least 1 s) until forget(); a failed renewal tries again next time. */
  private scheduleRenewal(leaseSeconds: number): void {
    clearTimeout(this.renewTimer);
    this.renewTimer = undefined;
    if (leaseSeconds <= 0) return;
    const generation = this.generationValue;
    this.renewTimer = setTimeout(() => {
      const token = this.token;
      if (!token || generation !== this.generationValue) return;
      void this.call('POST', '/v1/auth/token/renew-self', token.toString('ascii'), {}).then((answer) => {
        if (generation !== this.generationValue || this.token !== token) return;
        const auth = answer.body?.['auth'] as Record<string, unknown> | undefined;
        const lease = typeof auth?.['lease_duration'] === 'number' ? auth['lease_duration'] : 0;
        if (answer.status === 200 && lease > 0) {
          this.expiresAt = this.clock() + lease * 1000;
          this.scheduleRenewal(lease);
        } else if (this.clock() < this.expiresAt) {
          this.scheduleRenewal(Math.max(1, (this.expiresAt - this.clock()) / 1000)); // Vault down for a moment: try again
        }
      });
    }, Math.max(1000, (leaseSeconds * 2000) / 3));
    this.renewTimer.unref();
  }

  private revokeLater(token: Buffer): void {
    const header = token.toString('ascii');
    token.fill(0);
    const done: Promise<void> = this.call('POST', '/v1/auth/token/revoke-self', header, {}).then(() => undefined); // failed: it expires on its own
    this.revoking.add(done);
    void done.finally(() => this.revoking.delete(done));
  }

  /**
   * One Vault call with a deadline; never rejects (status 0: no answer). Neither token nor body is ever logged.
   * Protected so the wire-vector tests can stand in for Vault; everything else goes through the real network.
   */
  protected call(method: 'GET' | 'POST', path: string, token: string | undefined, body: Record<string, unknown> | undefined): Promise<VaultAnswer> {
    const url = new URL(`${this.settings.addr}${path}`);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    const headers: Record<string, string | number> = { Accept: 'application/json' };
    if (token !== undefined) headers['X-Vault-Token'] = token;
    if (payload) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': payload.length });
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<VaultAnswer>((resolve) => {
      let settled = false;
      const finish = (answer: VaultAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        payload?.fill(0);
        resolve(answer);
      };
      const request = send(url, {
        method, headers, agent: false,
        ...(url.protocol === 'https:' && this.settings.caCert ? { ca: this.settings.caCert } : {}),
      }, (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > 1 << 20) return void request.destroy();
          chunks.push(chunk);
        });
        response.on('end', () => {
          const text = Buffer.concat(chunks);
          for (const chunk of chunks) chunk.fill(0);
          let parsed: Record<string, unknown> | null = null;
          try {
            const value: unknown = text.length ? JSON.parse(text.toString('utf8')) : null;
            if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value as Record<string, unknown>;
          } catch {
            parsed = null;
          }
          text.fill(0);
          finish({ status: response.statusCode ?? 0, body: parsed });
        });
        response.on('error', () => finish({ status: 0, body: null }));
      });
      const timer = setTimeout(() => {
        request.destroy();
        finish({ status: 0, body: null });
      }, this.settings.timeoutMs);
      request.on('error', () => finish({ status: 0, body: null }));
      request.end(payload);
    });
  }
}
