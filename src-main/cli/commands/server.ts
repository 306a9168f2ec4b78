import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CustodianError } from '../../core/errors.js';
import {
  isFingerprint, normalizeReceiverUrl, parseTimeoutSeconds, probeReceiver, statusOf, type PinnedServer, type StatusResult,
} from '../../core/push/index.js';
import type { CommandContext } from '../main.js';
import { cancelled, confirm } from './key-input.js';
import { commandHelp as help } from '../io.js';
import { CONCURRENCY_FLAG, TIMEOUT_FLAG, audit, contactOptions, servers, type ContactFlags } from './push-context.js';
import { registerServerIdentityCommands } from './server-identity.js';
import { registerServerLockCommands } from './server-lock.js';
import { registerServerWatch, watchStatus } from './server-watch.js';

/** `custodian server add|list|remove|status|lock|accept-identity`: receivers pinned by identity fingerprint. */
export function registerServerCommands(program: Command, context: CommandContext): void {
  const server = program
    .command('server')
    .description('servers whose receivers get keys pushed: pinned by URL and identity fingerprint')
    .addHelpText('after', help(['custodian server add app-1 http://10.0.0.5:8421/custodian --identity ed25519:...', 'custodian server status']));

  server
    .command('add')
    .description('pin a receiver: contacts it, checks its identity against --identity (or asks on a terminal), stores it')
    .argument('<name>', 'your name for the server (letters, digits, . _ -)')
    .argument('<url>', 'the "url" the receiver printed at start')
    .option('--identity <fingerprint>', 'the "identity" the receiver printed at start (ed25519:...)')
    .option('--tls-ca <file>', 'PEM certificate (self-signed or CA) to trust for an https:// receiver')
    .option(...TIMEOUT_FLAG)
    .addHelpText('after', help([
      'custodian server add app-1 http://10.0.0.5:8421/custodian --identity ed25519:_5UpyExPH1LXXwexErrkstZw4Xx0yTXFzwBADjOOKp8',
      'custodian server add app-2 https://app-2.internal:8421/custodian --identity ed25519:... --tls-ca app-2.pem',
    ]))
    .action(async (name: string, urlText: string, options: { identity?: string; tlsCa?: string; timeout?: string }) => {
      const output = context.output();
      const registry = servers(context);
      const url = normalizeReceiverUrl(urlText);
      if (options.identity !== undefined && !isFingerprint(options.identity)) {
        throw new CustodianError('INVALID_INPUT', 'The --identity value is not a fingerprint (ed25519: followed by 43 characters).', { hint: 'Copy the "identity" from the receiver\'s start line.' });
      }
      let tlsCa: string | undefined;
      if (options.tlsCa) {
        try {
          tlsCa = await readFile(options.tlsCa, 'utf8');
        } catch {
          throw new CustodianError('INVALID_INPUT', `Cannot read ${options.tlsCa}.`, { hint: 'Pass a PEM certificate file.' });
        }
        if (!tlsCa.includes('-----BEGIN CERTIFICATE-----')) throw new CustodianError('INVALID_INPUT', `${options.tlsCa} is not a PEM certificate.`);
      }
      // First contact: read the identity the server presents, checked only for self-consistency and freshness here.
      const status = await probeReceiver({ name, url, tlsCa }, undefined, parseTimeoutSeconds(options.timeout));
      if (options.identity !== undefined && options.identity !== status.identity) {
        await audit(context).record({ action: 'server.add', outcome: 'error', server: name, url, code: 'IDENTITY_MISMATCH' });
        throw new CustodianError('IDENTITY_MISMATCH', `${name} at ${url} presents identity ${status.identity}, not ${options.identity}; it was not added.`, {
          hint: 'Check the URL and the fingerprint the receiver printed at start. A different identity can mean another machine answers at this address.',
        });
      }
      if (options.identity === undefined) {
        output.note(`${name} at ${url} presents identity ${status.identity} (server id ${status.serverId}).`);
        if (!context.io.stdin.isTTY) {
          throw new CustodianError('IDENTITY_UNCONFIRMED', 'Nobody confirmed the server identity (no terminal); nothing was added.', {
            hint: 'Compare it with the "identity" the receiver printed at start, then run again with --identity FINGERPRINT.',
          });
        }
        if (!(await confirm(context.io, 'Is this the identity the receiver printed at start?'))) throw cancelled();
      }
      const pinned: PinnedServer = { name, url, identity: status.identity, serverId: status.serverId, added: new Date().toISOString(), ...(tlsCa ? { tlsCa } : {}) };
      await registry.add(pinned);
      await audit(context).record({ action: 'server.add', outcome: 'ok', server: name, url, identity: status.identity, serverId: status.serverId });
      output.result({ server: publicView(pinned), state: status.state });
      output.line(`Pinned ${name}: ${url}, identity ${status.identity}, server id ${status.serverId} (${status.state}).`);
    });

  server
    .command('list')
    .description('list pinned servers')
    .addHelpText('after', help(['custodian server list', 'custodian --json server list']))
    .action(async () => {
      const output = context.output();
      const list = await servers(context).list();
      output.result({ servers: list.map(publicView) });
      if (list.length === 0) output.line('No servers yet. Add one with `custodian server add NAME URL --identity FINGERPRINT`.');
      for (const s of list) output.line(`${s.name}  ${s.url}  ${s.identity}  server-id ${s.serverId}${s.tlsCa ? '  tls-ca pinned' : ''}`);
    });

  server
    .command('remove')
    .description('forget a pinned server (nothing changes on the server)')
    .argument('<name>', 'the server name')
    .addHelpText('after', help(['custodian server remove app-1']))
    .action(async (name: string) => {
      const output = context.output();
      const removed = await servers(context).remove(name);
      await audit(context).record({ action: 'server.remove', outcome: 'ok', server: name, url: removed.url });
      output.result({ removed: publicView(removed) });
      output.line(`Removed ${name}.`);
    });

  server
    .command('status')
    .description('ask pinned servers whether they are locked or unlocked (signed answers, checked against the pins)')
    .argument('[names...]', 'server names (default: all)')
    .option('--watch', 'keep asking, print a line whenever a server changes (JSON lines with --json); stop with Ctrl-C')
    .option('--interval <seconds>', 'seconds between rounds with --watch', '2')
    .option('--until <state>', 'with --watch: exit 0 once every server is in this state (locked|unlocked)')
    .option('--timeout <duration>', 'deadline of each request (seconds, default 10); with --watch: give up after this long (90s, 5m) with exit status 9 (WATCH_TIMEOUT)')
    .option(...CONCURRENCY_FLAG)
    .addHelpText('after', help([
      'custodian server status',
      'custodian --json server status app-1          # {"state": "locked", "servers": [...]}',
      'custodian server status --watch --until unlocked --timeout 2m   # in a deploy script, after `custodian push`',
    ], 'Every request carries a fresh nonce that the signed answer must echo: a replayed answer is STALE_STATUS, never a state.'))
    .action(async (names: string[], options: { watch?: boolean; interval: string; until?: string } & ContactFlags) => {
      const output = context.output();
      const registry = servers(context);
      const chosen = await registry.select(names, names.length === 0);
      if (options.until !== undefined && options.until !== 'locked' && options.until !== 'unlocked') {
        throw new CustodianError('USAGE', '--until takes "locked" or "unlocked".');
      }
      if (!options.watch) {
        const results = await statusOf(chosen, undefined, contactOptions(options));
        output.result({ ...(results.length === 1 ? { state: results[0]!.state ?? null } : {}), servers: results.map(statusView) });
        for (const result of results) output.line(statusLine(result));
        failIfAny(results);
        return;
      }
      await watchStatus(context, chosen, options, statusLine);
    });

  registerServerLockCommands(server, context);
  registerServerIdentityCommands(server, context);
  registerServerWatch(server, context, statusLine);
}


function publicView(server: PinnedServer): Record<string, unknown> {
  return { name: server.name, url: server.url, identity: server.identity, serverId: server.serverId, added: server.added, tlsCaPinned: Boolean(server.tlsCa) };
}

function statusView(result: StatusResult): Record<string, unknown> {
  return { ...result };
}

function statusLine(result: StatusResult): string {
  if (!result.ok) return `${result.server}  error [${result.error?.code}] ${result.error?.message}`;
  const keys = result.state === 'unlocked' ? `keys ${result.installedKeyIds?.join(',')}  accepts ${result.keyChecks?.join(',')}` : `expects ${result.keyChecks?.join(',')}`;
  // §12.12: the application's count of tokens still under a previous key (what `push --drop-previous` waits for)
  const tokens = result.tokensUnderPrevious === undefined || result.tokensUnderPrevious === null ? 'not reported' : String(result.tokensUnderPrevious);
  return `${result.server}  ${result.state}  server-id ${result.serverId}  boot ${result.bootId}  ${keys}  tokens-under-previous ${tokens}`;
}

function failIfAny(results: StatusResult[]): void {
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) return;
  const codes = new Set(failed.map((r) => r.error!.code));
  const only = codes.size === 1 ? [...codes][0]! : 'SERVER_UNREACHABLE';
  throw new CustodianError(only, `${failed.length} of ${results.length} server(s) did not answer with a valid status: ${failed.map((r) => r.server).join(', ')}.`, {
    hint: 'See the line of each server above for what went wrong.',
  });
}
