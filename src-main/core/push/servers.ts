/**
 * Pinned servers: name -> receiver URL, identity fingerprint, server id (and an optional TLS CA), in
 * servers.json under the custodian home. Nothing secret. The identity is pinned on `server add` and checked
 * on every contact.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { CustodianError } from '../errors.js';
import { JsonFile } from '../storage/json-file.js';
import { FINGERPRINT_PATTERN, SERVER_ID_PATTERN } from './wire.js';

export const SERVER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const serverSchema = z.object({
  name: z.string().regex(SERVER_NAME_PATTERN),
  url: z.string().url(),
  identity: z.string().regex(FINGERPRINT_PATTERN),
  serverId: z.string().regex(SERVER_ID_PATTERN),
  added: z.string(),
  tlsCa: z.string().optional(),
});
const fileSchema = z.object({ version: z.literal(1), servers: z.array(serverSchema) });

export type PinnedServer = z.infer<typeof serverSchema>;

export class ServerRegistry {
  private readonly file: JsonFile<z.infer<typeof fileSchema>>;

  constructor(home: string) {
    this.file = new JsonFile(join(home, 'servers.json'), () => ({ version: 1 as const, servers: [] }), (value) => fileSchema.parse(value));
  }

  async list(): Promise<PinnedServer[]> {
    return (await this.file.read()).servers.sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<PinnedServer> {
    const found = (await this.file.read()).servers.find((s) => s.name === name);
    if (!found) throw notFound(name);
    return found;
  }

  async add(server: PinnedServer): Promise<void> {
    if (!SERVER_NAME_PATTERN.test(server.name)) {
      throw new CustodianError('INVALID_INPUT', 'A server name is 1-64 characters of letters, digits, ".", "_" and "-".', { hint: 'For example: custodian server add app-1 http://10.0.0.5:8421/custodian' });
    }
    await this.file.update((current) => {
      if (current.servers.some((s) => s.name === server.name)) {
        throw new CustodianError('SERVER_EXISTS', `A server named ${server.name} is already pinned.`, { hint: `Remove it first with \`custodian server remove ${server.name}\` if it was reinstalled.` });
      }
      current.servers.push(server);
    });
  }

  async remove(name: string): Promise<PinnedServer> {
    return this.file.update((current) => {
      const index = current.servers.findIndex((s) => s.name === name);
      if (index < 0) throw notFound(name);
      return current.servers.splice(index, 1)[0]!;
    });
  }

  /** Replaces the pinned identity (after a verified hand-over), only if it is still `from`. */
  async repin(name: string, from: string, to: string): Promise<PinnedServer> {
    return this.file.update((current) => {
      const found = current.servers.find((s) => s.name === name);
      if (!found) throw notFound(name);
      if (found.identity !== from) {
        throw new CustodianError('IDENTITY_MISMATCH', `The pin of ${name} changed meanwhile; it was left as it is.`, { hint: 'Run the command again.' });
      }
      found.identity = to;
      return found;
    });
  }

  /** The named servers (all of them when `all`), in the order given, each once. */
  async select(names: readonly string[], all: boolean): Promise<PinnedServer[]> {
    if (all) {
      const every = await this.list();
      if (every.length === 0) throw new CustodianError('SERVER_NOT_FOUND', 'No server is pinned yet.', { hint: 'Add one with `custodian server add NAME URL --identity FINGERPRINT`.' });
      return every;
    }
    const chosen: PinnedServer[] = [];
    for (const name of new Set(names)) chosen.push(await this.get(name));
    return chosen;
  }
}

function notFound(name: string): CustodianError {
  return new CustodianError('SERVER_NOT_FOUND', `No server named ${name} is pinned.`, { hint: 'See `custodian server list`, or add it with `custodian server add NAME URL`.' });
}
