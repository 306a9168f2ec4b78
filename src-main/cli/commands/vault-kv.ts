import type { Command } from 'commander';
import { CustodianError } from '../../core/errors.js';
import {
  checkFieldName, DEFAULT_PASSWORD_LENGTH, generatePassword, kvDelete, kvGet, kvList, kvMetadata, kvPut, MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH, PASSWORD_ALPHABET, summariseKvSecret, wipeAll,
} from '../../core/vault/index.js';
import { commandHelp as help, readAll, type Output } from '../io.js';
import type { CommandContext } from '../main.js';
import { withCluster, withConnection, type ConnectionFlags } from './vault.js';
import { isInteractive, readHiddenLine } from './vault-input.js';

interface KvFlags extends ConnectionFlags {
  mount: string;
}

const MAX_STDIN = 1024 * 1024;

/** `custodian vault kv ...`: an application's secrets in a KV v2 mount; values never on the command line. */
export function registerVaultKvCommands(vault: Command, context: CommandContext): void {
  const kv = vault.command('kv')
    .description('application secrets in a KV v2 mount (get, put, list, delete, versions); values never on the command line')
    .addHelpText('after', help([
      'custodian vault kv put mail-helper/postgresql username=mail --generate password',
      'custodian vault kv get mail-helper/postgresql',
      'custodian vault kv get mail-helper/postgresql --reveal',
    ], 'The token comes from VAULT_TOKEN, --token-file FILE, or a hidden prompt on a terminal. Values are shown only\nwith --reveal; otherwise field names, version, created time and a fingerprint (12 hex digits of SHA-256).'));

  const command = (name: string): Command => withConnection(kv.command(name), true).option('--mount <name>', 'the KV v2 mount', 'secret');

  command('list').argument('[prefix]', 'folder to list (default: the mount\'s root)', '')
    .description('list the secrets and folders (ending in /) under PREFIX')
    .addHelpText('after', help(['custodian vault kv list mail-helper/', 'custodian --json vault kv list --mount apps']))
    .action(async (prefix: string, flags: KvFlags) => {
      const output = context.output();
      await run(context, flags, output, async (cluster) => {
        const keys = await kvList(cluster, flags.mount, prefix);
        output.result({ mount: flags.mount, prefix, keys });
        if (keys.length === 0) output.note(`Nothing under ${flags.mount}/${prefix}.`);
        for (const key of keys) output.line(`${prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix}${key}`);
      });
    });

  command('get').argument('<path>', 'the secret, e.g. mail-helper/postgresql')
    .description('show a secret version: field names and fingerprints; values only with --reveal')
    .option('--reveal', 'print the values (on stdout: mind who can see the screen)')
    .option('--field <name>', 'only this field (with --reveal: just its value, for a pipe)')
    .option('--version <n>', 'an older version', parseVersion)
    .addHelpText('after', help(['custodian vault kv get mail-helper/postgresql', 'custodian vault kv get mail-helper/postgresql --reveal --field password | psql-setup']))
    .action(async (path: string, flags: KvFlags & { reveal?: boolean; field?: string; version?: number }) => {
      const output = context.output();
      await run(context, flags, output, async (cluster) => {
        const secret = await kvGet(cluster, flags.mount, path, flags.version);
        try {
          if (flags.field && !(checkFieldName(flags.field) in secret.data)) {
            throw new CustodianError('VAULT_KV_NOT_FOUND', `${flags.mount}/${path} version ${secret.version} has no field "${flags.field}".`, { hint: `Its fields: ${Object.keys(secret.data).sort().join(', ')}.` });
          }
          const summary = summariseKvSecret(flags.mount, path, secret);
          const fields = flags.field ? summary.fields.filter((f) => f.name === flags.field) : summary.fields;
          const result: Record<string, unknown> = { mount: flags.mount, path, version: summary.version, created_time: summary.createdTime, fields };
          if (flags.reveal) {
            // --json needs the values as strings: the one place this command turns them into JS strings, by request.
            result['data'] = Object.fromEntries(fields.map((f) => [f.name, secret.data[f.name]!.toString('utf8')]));
          }
          output.result(result);
          if (output.json) return;
          if (flags.reveal && flags.field) {
            await output.bytes(Buffer.concat([secret.data[flags.field]!, Buffer.from('\n')]));
            return;
          }
          output.line(`${flags.mount}/${path}  version ${summary.version}${summary.createdTime ? `  created ${summary.createdTime}` : ''}`);
          for (const field of fields) {
            if (flags.reveal) {
              await output.bytes(Buffer.concat([Buffer.from(`  ${field.name} = `), secret.data[field.name]!, Buffer.from('\n')]));
            } else {
              output.line(`  ${field.name}  sha256:${field.fingerprint}`);
            }
          }
          if (!flags.reveal) output.note('Values hidden; add --reveal to print them.');
        } finally {
          wipeAll(Object.values(secret.data));
        }
      });
    });

  command('put').argument('<path>', 'the secret, e.g. mail-helper/postgresql').argument('[fields...]', 'FIELD names to set (their values are asked hidden, or read as FIELD=value lines from stdin)')
    .description('write a new version: the fields given (asked hidden, or FIELD=value lines on stdin, or --generate) over the current ones')
    .option('--generate <field[:len]>', `set FIELD to a new random password (default ${DEFAULT_PASSWORD_LENGTH} characters, ${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH}); repeatable`, collect)
    .option('--cas <n>', 'check-and-set: write only if the current version is N (0 = only if absent); default: the version read', parseCas)
    .option('--replace', 'drop the fields not given (default: keep them)')
    .addHelpText('after', help([
      'custodian vault kv put mail-helper/postgresql password   # asks for the value, hidden',
      'custodian vault kv put mail-helper/postgresql --generate password',
      'printf "username=mail\\npassword=%s\\n" "$PW" | custodian vault kv put mail-helper/postgresql',
      'custodian vault kv put mail-helper/redis --generate password:48 --cas 3',
    ], `Values never go on the command line (shell history, ps). Generated passwords come from node:crypto and use the
alphabet ${PASSWORD_ALPHABET}
(letters and digits without 0 O o 1 l I); they are not printed: use \`get --reveal\`.
The write uses check-and-set with the version it read: if someone changed the secret meanwhile, nothing is
written (VAULT_KV_CONFLICT). Fields not named keep their values unless --replace.`))
    .action(async (path: string, names: string[], flags: KvFlags & { generate?: string[]; cas?: number; replace?: boolean }) => {
      const output = context.output();
      const generated = (flags.generate ?? []).map(parseGenerate);
      const fields: Record<string, Buffer> = {};
      try {
        for (const { field, length } of generated) fields[field] = generatePassword(length);
        const asked = names.map(checkFieldName).filter((n) => !(n in fields));
        if (isInteractive(context.io)) {
          if (generated.length === 0 && asked.length === 0) throw new CustodianError('USAGE', 'Name the fields to set (put PATH FIELD...), or use --generate FIELD.');
        } else if (asked.length > 0 || generated.length === 0) {
          if (flags.tokenFile === '-') throw new CustodianError('USAGE', 'Stdin cannot carry both the token and the values.', { hint: 'Use VAULT_TOKEN or --token-file FILE, and the values on stdin.' });
          Object.assign(fields, parseFieldLines(await readAll(context.io.stdin), asked, Object.keys(fields)));
        }
        await run(context, flags, output, async (cluster) => {
          if (isInteractive(context.io)) {
            for (const name of asked) fields[name] = await askValue(context, name);
          }
          const result = await kvPut(cluster, flags.mount, path, fields, { ...(flags.cas !== undefined ? { cas: flags.cas } : {}), ...(flags.replace ? { replace: true } : {}), ...(cluster.audit ? { audit: cluster.audit } : {}) });
          const generatedNames = generated.map((g) => g.field).sort();
          output.result({ mount: flags.mount, path, version: result.version, previous_version: result.previousVersion, fields: result.fields, kept: result.kept, generated: generatedNames });
          output.line(`Wrote ${flags.mount}/${path} version ${result.version} (fields ${result.fields.join(', ')}${result.kept.length ? `; kept ${result.kept.join(', ')}` : ''}).`);
          if (generatedNames.length) output.note(`Generated ${generatedNames.join(', ')}; not printed (custodian vault kv get ${path} --reveal).`);
        });
      } finally {
        wipeAll(Object.values(fields));
      }
    });

  command('delete').argument('<path>', 'the secret')
    .description('soft-delete the latest version (or --versions): Vault keeps the data until destroyed, `vault kv undelete` restores it')
    .option('--versions <list>', 'comma-separated versions to delete instead of the latest', parseVersions)
    .addHelpText('after', help(['custodian vault kv delete mail-helper/redis', 'custodian vault kv delete mail-helper/redis --versions 1,2']))
    .action(async (path: string, flags: KvFlags & { versions?: number[] }) => {
      const output = context.output();
      await run(context, flags, output, async (cluster) => {
        const { versions } = await kvDelete(cluster, flags.mount, path, { ...(flags.versions ? { versions: flags.versions } : {}), ...(cluster.audit ? { audit: cluster.audit } : {}) });
        output.result({ mount: flags.mount, path, deleted_versions: versions });
        output.line(`Deleted ${flags.mount}/${path} version${versions.length === 1 ? '' : 's'} ${versions.join(', ')} (soft delete: recoverable until destroyed).`);
      });
    });

  command('versions').argument('<path>', 'the secret')
    .description('list the versions of a secret: created, deleted, destroyed (metadata only)')
    .addHelpText('after', help(['custodian vault kv versions mail-helper/postgresql']))
    .action(async (path: string, flags: KvFlags) => {
      const output = context.output();
      await run(context, flags, output, async (cluster) => {
        const metadata = await kvMetadata(cluster, flags.mount, path);
        if (!metadata) throw new CustodianError('VAULT_KV_NOT_FOUND', `${flags.mount}/${path} holds no secret.`, { hint: 'List what is there with `custodian vault kv list PREFIX`.' });
        output.result({ mount: flags.mount, path, current_version: metadata.currentVersion, created_time: metadata.createdTime, updated_time: metadata.updatedTime, versions: metadata.versions });
        output.line(`${flags.mount}/${path}  current version ${metadata.currentVersion}`);
        for (const v of metadata.versions) {
          output.line(`  ${v.version}  created ${v.createdTime ?? '?'}${v.destroyed ? '  DESTROYED' : v.deletionTime ? `  deleted ${v.deletionTime}` : ''}`);
        }
      });
    });
}

/** withCluster, asking for the token at a hidden prompt when neither VAULT_TOKEN nor --token-file gives one. */
export { run as withPromptedToken };
async function run(context: CommandContext, flags: ConnectionFlags, output: Output, use: Parameters<typeof withCluster>[3]): Promise<void> {
  let token: Buffer | undefined;
  if (!flags.tokenFile && !context.io.env['VAULT_TOKEN'] && isInteractive(context.io)) {
    token = (await readHiddenLine(context.io, 'Vault token (hidden): ')) ?? undefined;
  }
  try {
    await withCluster(context, flags, output, use, token);
  } finally {
    token?.fill(0);
  }
}

async function askValue(context: CommandContext, name: string): Promise<Buffer> {
  const value = await readHiddenLine(context.io, `Value for ${name} (hidden): `);
  if (!value || value.length === 0) throw new CustodianError('USAGE', `No value typed for ${name}; nothing was written.`, { hint: `Type it, or use --generate ${name}.` });
  return value;
}

/**
 * FIELD=value lines from stdin, as Buffers sliced from the input (then the input is wiped). With `wanted`
 * names, exactly those must be there; without, every line is a field. Empty lines are skipped.
 */
export function parseFieldLines(input: Buffer, wanted: string[], generated: string[]): Record<string, Buffer> {
  if (input.length > MAX_STDIN) {
    input.fill(0);
    throw new CustodianError('INVALID_INPUT', 'The input on stdin is larger than 1 MiB.');
  }
  const out: Record<string, Buffer> = {};
  try {
    let start = 0;
    let lineNumber = 0;
    while (start < input.length) {
      let end = input.indexOf(0x0a, start);
      if (end < 0) end = input.length;
      lineNumber++;
      let lineEnd = end;
      if (lineEnd > start && input[lineEnd - 1] === 0x0d) lineEnd--;
      if (lineEnd > start) {
        const eq = input.indexOf(0x3d, start);
        if (eq < 0 || eq >= lineEnd) {
          throw new CustodianError('INVALID_INPUT', `Line ${lineNumber} on stdin is not FIELD=value.`, { hint: 'Give one FIELD=value per line.' });
        }
        const name = checkFieldName(input.subarray(start, eq).toString('utf8'));
        if (name in out) throw new CustodianError('INVALID_INPUT', `The field ${name} is given twice on stdin.`);
        if (generated.includes(name)) throw new CustodianError('USAGE', `The field ${name} is both generated and given on stdin.`);
        if (wanted.length > 0 && !wanted.includes(name)) throw new CustodianError('INVALID_INPUT', `Stdin gives the field ${name}, which is not named on the command line.`, { hint: `Name it too: put PATH ${[...wanted, name].join(' ')}.` });
        out[name] = Buffer.from(input.subarray(eq + 1, lineEnd));
      }
      start = end + 1;
    }
    const missing = wanted.filter((name) => !(name in out));
    if (missing.length > 0) throw new CustodianError('INVALID_INPUT', `Stdin gives no value for ${missing.join(', ')}.`, { hint: 'Give one FIELD=value line per field named.' });
    if (Object.keys(out).length === 0 && generated.length === 0) throw new CustodianError('USAGE', 'Nothing to write: stdin had no FIELD=value line.', { hint: 'Pipe FIELD=value lines, or use --generate FIELD.' });
    return out;
  } catch (error) {
    wipeAll(Object.values(out));
    throw error;
  } finally {
    input.fill(0);
  }
}

function parseGenerate(spec: string): { field: string; length: number } {
  const [field, length, ...rest] = spec.split(':');
  if (rest.length > 0 || (length !== undefined && !/^\d+$/.test(length))) throw new CustodianError('USAGE', `"${spec.slice(0, 40)}" is not FIELD or FIELD:LENGTH.`);
  return { field: checkFieldName(field ?? ''), length: length === undefined ? DEFAULT_PASSWORD_LENGTH : Number(length) };
}

function parseVersion(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) throw new CustodianError('USAGE', `"${value}" is not a version number (1 or more).`);
  return Number(value);
}

function parseCas(value: string): number {
  return value === '0' ? 0 : parseVersion(value);
}

function parseVersions(value: string): number[] {
  return value.split(',').map((v) => v.trim()).filter(Boolean).map(parseVersion);
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
