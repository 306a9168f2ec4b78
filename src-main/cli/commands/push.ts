import type { Command } from 'commander';
import { CustodianError, type ErrorCode } from '../../core/errors.js';
import type { KeyStore } from '../../core/keystore/index.js';
import { pushKeys, type PushResult } from '../../core/push/index.js';
import type { CommandContext } from '../main.js';
import { openCliKeyStore } from './key.js';
import { commandHelp as help } from '../io.js';
import { vaultLoginLines, withVaultLogin, type VaultLoginFlags } from './push-vault.js';
import { CONCURRENCY_FLAG, TIMEOUT_FLAG, audit, contactOptions, custodianIdentity, prepareServers, receipts, servers, type ContactFlags } from './push-context.js';

/** `custodian push`: unlock servers after a deploy by pushing the data key to their receivers. */
export function registerPushCommands(program: Command, context: CommandContext): void {
  program
    .command('push')
    .description('push a key (and previous keys for rotation) to pinned servers; each must present its pinned identity and a fresh signed status')
    .requiredOption('--key <key>', 'the current key: id, unique id prefix, or unique name; must be the server\'s newest configured key')
    .option('--previous <key...>', 'previous key(s) the server should still decrypt with (repeatable)')
    .option('--server <name...>', 'server name(s) (repeatable)')
    .option('--all', 'every pinned server')
    .option('--allow-older-current-key', 'push even if --key is not the server\'s newest configured key (a deliberate roll-back); warns')
    .option('--drop-previous', 'allow leaving out a key the server still holds or accepts although data may be encrypted under it (retired on an unlocked server); refused without it')
    .option(...TIMEOUT_FLAG)
    .option(...CONCURRENCY_FLAG)
    .option('--vault-role <name>', 'also deliver a Vault login: a wrapped AppRole SecretID for this role (wrap TTL 60 s, single use), minted per server')
    .option('--profile <name>', 'with --vault-role: the Vault cluster profile to mint on (else VAULT_ADDR)')
    .option('--token-file <file>', 'with --vault-role: read the Vault token from FILE (- for stdin) instead of VAULT_TOKEN or a hidden prompt')
    .addHelpText('after', help([
      'custodian push --key orders-db --server app-1 app-2',
      'custodian push --key K1-8KE1-QDS4-9W1J-7TKF --previous K1-EYQN-M5BR-VE6F-QYNP --all',
      'custodian --json push --key orders-db --all     # {"ok": true, "results": [{"server": "app-1", "outcome": "unlocked", ...}]}',
      'custodian push --key orders-db-2027 --all --drop-previous   # after re-encryption: retire the old key everywhere',
      'custodian push --key mail-data --server mail-1 --vault-role mail-helper --profile prod   # and a Vault login (docs/protocol.md §12.13)',
    ], 'Each server\'s line is printed, and its receipt and audit entry written, as soon as that server has answered.\n'
      + 'Custodian statements (identity rotate/revoke) a server has not acknowledged yet are sent to it first.\n'
      + 'An unlocked server with another key set is rekeyed in place (no restart, protocol §12.12). A push that would\n'
      + 'leave out a key the server still needs is refused (REKEY_KEY_IN_USE) unless --drop-previous.'))
    .action(async (options: { key: string; previous?: string[]; server?: string[]; all?: boolean; allowOlderCurrentKey?: boolean; dropPrevious?: boolean } & ContactFlags & VaultLoginFlags) => {
      const output = context.output();
      if (Boolean(options.all) === Boolean(options.server?.length)) {
        throw new CustodianError('USAGE', 'Choose the servers: --server NAME... or --all (not both).', { hint: 'See `custodian server list`.' });
      }
      const contact = contactOptions(options);
      const chosen = await servers(context).select(options.server ?? [], Boolean(options.all));
      const store = openCliKeyStore(context);
      const refs = [options.key, ...(options.previous ?? [])];
      const ids = await Promise.all(refs.map(async (ref) => (await store.resolve(ref)).id));
      if (new Set(ids).size !== ids.length) throw new CustodianError('INVALID_INPUT', 'The same key is named twice (--key and --previous).');
      if (ids.length > 9) throw new CustodianError('INVALID_INPUT', 'At most 8 previous keys can be pushed.');
      const signer = await custodianIdentity(context);
      const heldKeyIds = (await store.list()).map((entry) => entry.id);
      const results = await withVaultLogin(context, options, output, (vaultLogin) => withKeys(store, ids, (keys) => pushKeys({
        servers: chosen, keys, signer, receipts: receipts(context), audit: audit(context), ...contact,
        allowOlderCurrentKey: Boolean(options.allowOlderCurrentKey), dropPrevious: Boolean(options.dropPrevious), heldKeyIds,
        prepare: prepareServers(context, signer, contact),
        ...(vaultLogin ? { vaultLogin } : {}),
        onResult: (result) => {
          output.line(resultLine(result));
          for (const line of vaultLoginLines(result)) output.line(line);
          // With --json the warnings are in the result; stderr keeps its one JSON error object.
          if (!output.json) for (const warning of result.warnings ?? []) output.note(`warning: ${result.server}: ${warning}`);
        },
      })));
      const ok = results.every((r) => r.ok);
      output.result({ ok, keyIds: ids, results });
      if (!ok) {
        const failed = results.filter((r) => !r.ok);
        const codes = new Set(failed.map((r) => r.error!.code));
        const code: ErrorCode = codes.size === 1 ? [...codes][0]! : 'PUSH_REFUSED';
        throw new CustodianError(code, `${failed.length} of ${results.length} server(s) did not get the keys: ${failed.map((r) => r.server).join(', ')}.`, {
          hint: 'See the line of each server above; servers that were unlocked stay unlocked.',
        });
      }
      const noLogin = results.filter((r) => r.vaultLogin && !r.vaultLogin.delivered);
      if (noLogin.length > 0) {
        throw new CustodianError('VAULT_LOGIN_NOT_DELIVERED', `The data key was pushed, but ${noLogin.length} of ${results.length} server(s) did not get their Vault login: ${noLogin.map((r) => `${r.server} (${r.vaultLogin!.state})`).join(', ')}.`, {
          hint: noLogin[0]!.vaultLogin!.hint ?? 'See the line of each server above.',
        });
      }
    });
}

/** Lends every key at once (nested withKey calls), each wiped by the key store when the push is done. */
function withKeys<T>(store: KeyStore, ids: string[], use: (keys: Buffer[]) => Promise<T>): Promise<T> {
  const step = (index: number, keys: Buffer[]): Promise<T> => (index === ids.length
    ? use(keys)
    : store.withKey(ids[index]!, (raw) => step(index + 1, [...keys, raw]), { purpose: 'push' }));
  return step(0, []);
}

function resultLine(result: PushResult): string {
  if (result.ok) return `${result.server}  ${result.outcome}  ${result.keyIds.join(',')}${result.retired?.length ? `  retired ${result.retired.join(',')}` : ''}`;
  return `${result.server}  ${result.outcome}  [${result.error?.code}] ${result.error?.message}${result.error?.hint ? `\n  hint: ${result.error.hint}` : ''}`;
}
