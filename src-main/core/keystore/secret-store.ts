/**
 * Where key material lives. The real implementation is the OS keychain (OsKeychain); unit tests use
 * MemorySecretStore. An account is a key id; the secret is the key's bytes.
 */
export interface SecretStore {
  set(account: string, secret: Uint8Array): Promise<void>;
  /** The stored bytes (a fresh Buffer the caller owns and should wipe), or null when there is no such item. */
  get(account: string): Promise<Buffer | null>;
  /** true if an item was deleted, false if there was none. */
  delete(account: string): Promise<boolean>;
}

/** In-memory SecretStore for unit tests of the core. Keeps its own copies and hands out copies. */
export class MemorySecretStore implements SecretStore {
  private readonly items = new Map<string, Buffer>();

  async set(account: string, secret: Uint8Array): Promise<void> {
    this.items.get(account)?.fill(0);
    this.items.set(account, Buffer.from(secret));
  }

  async get(account: string): Promise<Buffer | null> {
    const item = this.items.get(account);
    return item ? Buffer.from(item) : null;
  }

  async delete(account: string): Promise<boolean> {
    const item = this.items.get(account);
    if (!item) return false;
    item.fill(0);
    return this.items.delete(account);
  }

  /** Accounts currently stored (for tests). */
  accounts(): string[] {
    return [...this.items.keys()];
  }
}
