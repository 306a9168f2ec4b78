import type createVaultClient from 'node-vault';
import { CustodianError } from '../errors.js';
import { lazyRequire } from '../lazy.js';
import type { ConnectionSettings } from './settings.js';
import { NodeTransport, TransportError } from './transport.js';

/** An HTTP answer that is not 2xx, as a typed error the ceremonies can inspect (status + server's messages). */
export class VaultResponseError extends Error {
  override readonly name = 'VaultResponseError';
  constructor(readonly address: string, readonly statusCode: number, readonly serverErrors: string[]) {
    super(`${address} answered ${statusCode}`);
  }
}

export interface CallOptions {
  /** Send the cluster token (VAULT_TOKEN / an explicit one) as X-Vault-Token. */
  authenticated?: boolean;
  /** Strings that must never appear in an error we build (the share or OTP we are sending). */
  secrets?: string[];
  timeoutMs?: number;
  /** Ask Vault to response-wrap the answer (X-Vault-Wrap-TTL), e.g. '60s'. */
  wrapTtl?: string;
}

// node-vault brings axios and ~70 modules: loaded when the first node is contacted, not at import (CLI start-up).
const nodeVault = lazyRequire<typeof createVaultClient>('node-vault');

/**
 * One Vault/OpenBao node, through node-vault's request layer (path building, namespace header, error shapes)
 * over our own transport (see transport.ts for why).
 */
export class VaultNode {
  readonly address: string;
  private readonly client: ReturnType<typeof createVaultClient>;
  private readonly transport: NodeTransport;

  constructor(address: string, private readonly settings: ConnectionSettings) {
    this.address = address;
    this.transport = new NodeTransport(address, settings);
    this.client = nodeVault()({
      endpoint: address,
      apiVersion: 'v1',
      // node-vault logs request bodies (key shares) through `debug` when DEBUG=node-vault is set: silence it.
      debug: () => undefined,
      'request-promise': this.transport.asRequestPromise(),
      rpDefaults: { timeout: settings.timeoutMs },
    } as Parameters<typeof createVaultClient>[0]);
    // node-vault falls back to process.env for these; the resolved settings are the only source of truth.
    const loose = this.client as unknown as Record<string, unknown>;
    loose['pathPrefix'] = '';
    loose['token'] = undefined;
    loose['namespace'] = settings.namespace;
  }

  /**
   * One API call. `path` starts after /v1 (for example '/sys/seal-status'). Returns the parsed JSON body.
   * Throws CustodianError for transport failures, VaultResponseError for HTTP errors.
   */
  async call<T = Record<string, unknown>>(method: string, path: string, body?: Record<string, unknown>, options: CallOptions = {}): Promise<T> {
    const headers: Record<string, string> = {};
    if (options.authenticated) {
      if (!this.settings.token) {
        throw new CustodianError('USAGE', 'This operation needs a Vault token.', {
          hint: 'Set VAULT_TOKEN, or pass --token-file FILE (use - for stdin).',
        });
      }
      headers['X-Vault-Token'] = this.settings.token.toString('utf8');
    }
    if (options.wrapTtl) headers['X-Vault-Wrap-TTL'] = options.wrapTtl;
    try {
      const request: Record<string, unknown> = { method, path, headers };
      if (body !== undefined) request['json'] = body;
      if (options.timeoutMs) request['timeout'] = options.timeoutMs;
      return (await this.client.request(request as { method: string; path: string })) as T;
    } catch (error) {
      throw this.translate(error, options.secrets ?? []);
    }
  }

  private translate(error: unknown, secrets: string[]): Error {
    if (error instanceof TransportError) {
      if (error.kind === 'tls') {
        return new CustodianError('VAULT_TLS', `TLS with ${this.address} failed (${error.code}); nothing was sent.`, {
          hint: 'Check VAULT_CACERT/--ca-cert (the CA that signed the server certificate) and VAULT_TLS_SERVER_NAME.',
          details: { address: this.address, tlsError: error.code },
        });
      }
      return new CustodianError('VAULT_UNREACHABLE', `${this.address} is unreachable (${error.code}).`, {
        hint: 'Check that the node is running and the address and port are right.',
        details: { address: this.address, networkError: error.code },
      });
    }
    const response = (error as { response?: { statusCode?: number; body?: unknown } }).response;
    if (response && typeof response.statusCode === 'number') {
      const body = response.body as { errors?: unknown } | undefined;
      const messages = Array.isArray(body?.errors) ? body.errors.filter((e): e is string => typeof e === 'string') : [];
      return new VaultResponseError(this.address, response.statusCode, messages.map((m) => redact(m, secrets)));
    }
    return new CustodianError('VAULT_REQUEST_FAILED', `The request to ${this.address} failed.`, {
      hint: 'Run `custodian vault status` to see the state of every node.',
      details: { address: this.address },
    });
  }

  close(): void {
    this.transport.close();
  }
}

/** Server messages are shown to the user; make sure none of them can echo what we sent. */
export function redact(message: string, secrets: string[]): string {
  let out = message.length > 400 ? `${message.slice(0, 400)}…` : message;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out;
}

/** A VaultResponseError as a user-facing CustodianError. */
export function asRequestFailed(error: unknown, action: string): unknown {
  if (!(error instanceof VaultResponseError)) return error;
  const server = error.serverErrors.length > 0 ? `: ${error.serverErrors.join('; ')}` : '';
  return new CustodianError('VAULT_REQUEST_FAILED', `${action} failed on ${error.address} (HTTP ${error.statusCode})${server}.`, {
    hint: error.statusCode === 403
      ? 'The token lacks permission (or is wrong or expired): use a token with sudo on this path.'
      : 'Run `custodian vault status` to check the node, then retry.',
    details: { address: error.address, status: error.statusCode },
  });
}
