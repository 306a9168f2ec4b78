import { join } from 'node:path';
import { z } from 'zod';
import { CustodianError } from '../errors.js';
import { custodianHome } from '../paths.js';
import { JsonFile } from '../storage/json-file.js';
import { normaliseAddress, type ConnectionOptions } from './settings.js';

/**
 * Named cluster profiles: the node addresses and TLS file paths of a cluster, saved in the custodian home
 * (vault-profiles.json). Never a token, share or key: those are secrets and are never written by the app.
 */
const profileSchema = z.object({
  addresses: z.array(z.string()).min(1),
  caCert: z.string().optional(),
  caPath: z.string().optional(),
  clientCert: z.string().optional(),
  clientKey: z.string().optional(),
  tlsServerName: z.string().optional(),
  namespace: z.string().optional(),
}).strict();

const fileSchema = z.object({ version: z.literal(1), profiles: z.record(z.string(), profileSchema) }).strict();

export type VaultProfile = z.infer<typeof profileSchema>;
type ProfilesFile = z.infer<typeof fileSchema>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class VaultProfiles {
  private readonly file: JsonFile<ProfilesFile>;

  constructor(home: string) {
    this.file = new JsonFile(join(home, 'vault-profiles.json'), () => ({ version: 1, profiles: {} }), (value) => fileSchema.parse(value));
  }

  static open(env: NodeJS.ProcessEnv = process.env): VaultProfiles {
    return new VaultProfiles(custodianHome(env));
  }

  get path(): string {
    return this.file.path;
  }

  async list(): Promise<Array<{ name: string } & VaultProfile>> {
    const { profiles } = await this.file.read();
    return Object.keys(profiles).sort().map((name) => ({ name, ...profiles[name]! }));
  }

  async get(name: string): Promise<VaultProfile> {
    const { profiles } = await this.file.read();
    const profile = Object.hasOwn(profiles, name) ? profiles[name] : undefined;
    if (!profile) {
      throw new CustodianError('PROFILE_NOT_FOUND', `No Vault profile named "${name}".`, { hint: 'List them with `custodian vault profile list`, or save one with `custodian vault profile save NAME --addr ...`.' });
    }
    return profile;
  }

  async save(name: string, profile: VaultProfile): Promise<void> {
    if (!NAME.test(name)) {
      throw new CustodianError('INVALID_INPUT', `"${name}" is not a valid profile name.`, { hint: 'Use up to 64 letters, digits, dots, dashes and underscores.' });
    }
    const clean: VaultProfile = profileSchema.parse({ ...profile, addresses: [...new Set(profile.addresses.map(normaliseAddress))] });
    await this.file.update((current) => {
      current.profiles[name] = clean;
    });
  }

  async delete(name: string): Promise<boolean> {
    return this.file.update((current) => {
      if (!Object.hasOwn(current.profiles, name)) return false;
      delete current.profiles[name];
      return true;
    });
  }
}

/** A profile as connection options; explicit options given alongside still win. */
export function profileOptions(profile: VaultProfile): ConnectionOptions {
  const options: ConnectionOptions = { addresses: profile.addresses };
  if (profile.caCert) options.caCert = profile.caCert;
  if (profile.caPath) options.caPath = profile.caPath;
  if (profile.clientCert) options.clientCert = profile.clientCert;
  if (profile.clientKey) options.clientKey = profile.clientKey;
  if (profile.tlsServerName) options.tlsServerName = profile.tlsServerName;
  if (profile.namespace) options.namespace = profile.namespace;
  return options;
}
