import { open, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { FileAuditLog } from '../../core/audit.js';
import { CustodianError } from '../../core/errors.js';
import { custodianHome } from '../../core/paths.js';
import {
  auditDevices, GenerateRootCeremony, initialize, profileOptions, readRecipient, RekeyCeremony, RekeyVerification, resolveConnection, sealNodes,
  stepDown, UnsealCeremony, VaultCluster, VaultProfiles, wipeAll, type ConnectionOptions, type NodeStatus, type NodeUnsealState,
  type PgpRecipient,
} from '../../core/vault/index.js';
import { commandHelp as help, type Output } from '../io.js';
import type { CommandContext } from '../main.js';
import { collectShares, confirmFingerprint, progress, type ShareFlags } from './vault-holders.js';
import { handOutInit, planInitHandout, type InitHandoutFlags } from './vault-init-handout.js';
import { readSecretSource } from './vault-input.js';
import { registerVaultKvCommands } from './vault-kv.js';
import { registerVaultSetupCommand } from './vault-setup.js';

export interface ConnectionFlags {
  addr?: string[];
  profile?: string;
  caCert?: string;
  caPath?: string;
  clientCert?: string;
  clientKey?: string;
  tlsServerName?: string;
  tlsSkipVerify?: boolean;
  namespace?: string;
  tokenFile?: string;
}


const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function withConnection(command: Command, token = false): Command {
  command
    .option('--addr <url>', 'a node address; repeat for every node of a cluster (default: the profile, else VAULT_ADDR)', collect)
    .option('--profile <name>', 'a saved cluster profile (custodian vault profile save)')
    .option('--ca-cert <file>', 'PEM CA that signed the servers\' certificates (VAULT_CACERT)')
    .option('--ca-path <dir>', 'directory of PEM CA certificates (VAULT_CAPATH)')
    .option('--client-cert <file>', 'client certificate for mutual TLS (VAULT_CLIENT_CERT)')
    .option('--client-key <file>', 'client key for mutual TLS (VAULT_CLIENT_KEY)')
    .option('--tls-server-name <name>', 'name to verify in the server certificate (VAULT_TLS_SERVER_NAME)')
    .option('--tls-skip-verify', 'DANGEROUS: do not verify the server certificate (VAULT_SKIP_VERIFY)')
    .option('--namespace <ns>', 'Vault Enterprise namespace (VAULT_NAMESPACE)');
  if (token) command.option('--token-file <file>', 'read the Vault token from FILE (- for stdin) instead of VAULT_TOKEN');
  return command;
}

function withShares(command: Command): Command {
  return command
    .option('--shares-file <file>', 'read one share per line from FILE (- for stdin) instead of prompting each holder')
    .option('--pgp-key <file>', 'private key for shares that were PGP-encrypted at init (repeatable)', collect)
    .option('--pgp-passphrase-file <file>', 'passphrase for the --pgp-key keys')
    .option('--holder <name>', 'the name of each holder in turn (repeatable; with --shares-file in line order): recorded with the share\'s Shamir index in the ceremony transcript, never the share', collect);
}

/** Builds the cluster from flags over profile over VAULT_*; prints the warnings (e.g. skip-verify) on stderr. */
async function connect(context: CommandContext, flags: ConnectionFlags, output: Output, token?: Buffer): Promise<VaultCluster> {
  const env = context.io.env;
  let options: ConnectionOptions = {};
  if (flags.profile) options = profileOptions(await VaultProfiles.open(env).get(flags.profile));
  if (flags.addr?.length) options.addresses = flags.addr;
  if (flags.caCert) options.caCert = flags.caCert;
  if (flags.caPath) options.caPath = flags.caPath;
  if (flags.clientCert) options.clientCert = flags.clientCert;
  if (flags.clientKey) options.clientKey = flags.clientKey;
  if (flags.tlsServerName) options.tlsServerName = flags.tlsServerName;
  if (flags.tlsSkipVerify) options.skipVerify = true;
  if (flags.namespace) options.namespace = flags.namespace;
  if (flags.tokenFile) {
    const raw = await readSecretSource(context.io, flags.tokenFile, 'token');
    let start = 0;
    let end = raw.length;
    while (start < end && raw[start]! <= 0x20) start++;
    while (end > start && raw[end - 1]! <= 0x20) end--;
    options.token = Buffer.from(raw.subarray(start, end));
    raw.fill(0);
  }
  if (token && !options.token) options.token = Buffer.from(token);
  const settings = resolveConnection(options, env);
  options.token?.fill(0);
  for (const warning of settings.warnings) output.note(warning); // always, even with --json
  return new VaultCluster(settings, new FileAuditLog(custodianHome(env)));
}

/** `token` (e.g. typed at a hidden prompt) is used when --token-file is not given; the caller wipes it. */
export async function withCluster<T>(context: CommandContext, flags: ConnectionFlags, output: Output, use: (cluster: VaultCluster) => Promise<T>, token?: Buffer): Promise<T> {
  const cluster = await connect(context, flags, output, token);
  try {
    return await use(cluster);
  } finally {
    cluster.close();
    cluster.settings.token?.fill(0);
  }
}

/** `custodian vault ...`: Vault/OpenBao ceremonies over a whole cluster. */
export function registerVaultCommands(program: Command, context: CommandContext): void {
  const vault = program
    .command('vault')
    .description('Vault/OpenBao ceremonies for a whole cluster: status, init, unseal, rekey, generate-root, seal, step-down')
    .addHelpText('after', help(['custodian vault status --addr https://vault-1:8200 --addr https://vault-2:8200 --addr https://vault-3:8200', 'custodian vault unseal --profile prod']));

  withConnection(vault.command('status'), true)
    .description('show every node: initialised, sealed, threshold/shares, progress, version, cluster, HA role, storage; with a token, the audit devices')
    .addHelpText('after', help(['custodian vault status --profile prod', 'custodian --json vault status --addr https://127.0.0.1:8200', 'VAULT_TOKEN=… custodian vault status --profile prod   # also warns when no audit device is enabled'],
      'With a token (VAULT_TOKEN or --token-file; it needs sudo on sys/audit) status also lists the enabled audit\ndevices and warns when there is none: without one, nothing records who read which secret.'))
    .action(async (flags: ConnectionFlags) => {
      const output = context.output();
      await withCluster(context, flags, output, async (cluster) => {
        const nodes = await cluster.status();
        const audit = cluster.settings.token && nodes.some((n) => n.role === 'active' || n.role === 'standalone') ? await auditDevices(cluster) : null;
        output.result({ nodes, ...(audit ? { audit_devices: audit.devices, audit_error: audit.error ?? null } : {}) });
        for (const node of nodes) output.line(formatStatus(node));
        if (audit?.devices) {
          if (audit.devices.length === 0) output.note('WARNING: no audit device is enabled: nothing records who reads or changes secrets (custodian vault setup, docs/vault-setup.md).');
          else output.line(`audit devices: ${audit.devices.map((d) => `${d.path} (${d.type}${d.filePath ? ` ${d.filePath}` : ''})`).join(', ')}`);
        } else if (audit?.error) {
          output.note(`Audit devices not checked: ${audit.error.message}`);
        }
        // Partial answers are a normal report; no answer at all must not look like success to a script.
        if (!nodes.some((node) => node.reachable)) {
          throw new CustodianError('VAULT_UNREACHABLE', 'No node of the cluster answered.', {
            hint: 'Check the addresses (--addr, --profile or VAULT_ADDR), that the servers run, and the TLS settings (--ca-cert or VAULT_CACERT).',
          });
        }
      });
    });

  withConnection(vault.command('init'))
    .description('initialise a new cluster (the first node; Raft followers join it). PRINTS THE SHARES AND ROOT TOKEN: the one command that does')
    .requiredOption('--shares <n>', 'number of key shares', parseCount)
    .requiredOption('--threshold <t>', 'shares needed to unseal', parseCount)
    .option('--pgp-keys <files>', 'comma-separated public keys (ASCII armour), one per share: each share is encrypted to its holder')
    .option('--root-token-pgp-key <file>', 'public key to encrypt the root token to')
    .option('--holder <name>', 'the holder of each share, in share order (repeat once per share): named on their sheet and in the hand-out', collect)
    .option('--pdf <dir>', 'write one paper sheet per holder (PDF, mode 0600) into DIR (created 0700 if missing); the root token is on no sheet')
    .addHelpText('after', help(
      ['custodian --json vault init --shares 5 --threshold 3 --addr https://vault-1:8200', 'custodian vault init --shares 3 --threshold 2 --pgp-keys alice.asc,bob.asc,carol.asc --root-token-pgp-key ops.asc',
        'custodian vault init --shares 3 --threshold 2 --holder Alice --holder Bob --holder Carol --pdf /media/usb/sheets'],
      'This command prints every key share and the root token on stdout (--json: "keys_b64" and "root_token").\nRun it where nobody can read the screen, and hand each share to its holder. With --pgp-keys the shares are\nprinted encrypted to each holder\'s key, which is the safer way.\n\nWith --pdf the shares go on one sheet per holder instead of the screen (--json: "sheets"); print them and\ndelete the files. On a terminal, with --holder or --pdf, the shares are handed out one holder at a time and\neach holder types back the last 6 characters of their share before the next one.'))
    .action(async (flags: ConnectionFlags & InitHandoutFlags & { shares: number; threshold: number; pgpKeys?: string; rootTokenPgpKey?: string }) => {
      const output = context.output();
      const pgpKeys = flags.pgpKeys ? await Promise.all(flags.pgpKeys.split(',').map((f) => f.trim()).filter(Boolean).map(readPublicKey)) : undefined;
      const rootKey = flags.rootTokenPgpKey ? await readPublicKey(flags.rootTokenPgpKey) : undefined;
      await withCluster(context, flags, output, async (cluster) => {
        // Names, sheet text and the sheet directory are checked before init: afterwards the shares exist.
        const plan = await planInitHandout(context, output, flags, flags.shares, cluster.settings.addresses, Boolean(pgpKeys));
        const options: Parameters<typeof initialize>[1] = { shares: flags.shares, threshold: flags.threshold, holderNames: plan.holders, ...(cluster.audit ? { audit: cluster.audit } : {}) };
        if (pgpKeys) options.pgpKeys = pgpKeys;
        if (rootKey) options.rootTokenPgpKey = rootKey;
        const result = await initialize(cluster, options);
        try {
          await handOutInit(context, output, plan, result, (pgpKeys ?? []).map((k) => k.label), cluster.audit);
        } finally {
          result.wipe();
        }
      });
    });

  withShares(withConnection(vault.command('unseal')))
    .description('unseal every sealed node: each holder gives their share once (hidden prompt), it is applied to all nodes')
    .option('--reset', 'first discard shares left on the nodes by an earlier, unfinished attempt')
    .addHelpText('after', help(['custodian vault unseal --profile prod   # prompts each holder in turn, input hidden', 'custodian vault unseal --addr https://127.0.0.1:8200 --shares-file shares.txt', 'custodian vault unseal --shares-file - --pgp-key alice.key < alice-share.b64']))
    .action(async (flags: ShareFlags & { reset?: boolean }) => {
      const output = context.output();
      await withCluster(context, flags, output, async (cluster) => {
        const ceremony = await UnsealCeremony.start(cluster, { reset: Boolean(flags.reset), ...(cluster.audit ? { audit: cluster.audit } : {}) });
        try {
          if (ceremony.complete && ceremony.nodes.every((n) => n.sealed === false)) {
            output.result({ complete: true, nodes: ceremony.nodes });
            output.line('Every node is already unsealed; no share is needed.');
            return;
          }
          progress(output, `Unseal ceremony: threshold ${ceremony.threshold}, nodes:`);
          for (const node of ceremony.nodes) progress(output, `  ${describeUnseal(node)}`);
          await collectShares(context, flags, output, ceremony.threshold, async (share, holder, name) => {
            const result = await ceremony.submitShare(share, name);
            progress(output, `Share ${holder} applied:`);
            for (const node of result.nodes) progress(output, `  ${describeUnseal(node)}`);
            return result.complete;
          });
          const nodes = ceremony.nodes;
          output.result({ complete: ceremony.complete, nodes });
          const unreachable = nodes.filter((n) => n.outcome === 'unreachable');
          if (!ceremony.complete) {
            throw new CustodianError('VAULT_SEALED', `Not every node is unsealed (${nodes.filter((n) => n.sealed === false).length} of ${nodes.length}).`, {
              hint: 'Give more shares (run again: progress is kept on the nodes), or see the per-node errors above.',
              details: { nodes },
            });
          }
          output.line(`Unsealed: ${nodes.filter((n) => n.sealed === false).map((n) => n.address).join(', ')}`);
          if (unreachable.length > 0) {
            throw new CustodianError('VAULT_UNREACHABLE', `Unsealed every reachable node, but ${unreachable.map((n) => n.address).join(', ')} could not be reached.`, {
              hint: 'Start the node and run `custodian vault unseal --addr ADDRESS` for it.',
              details: { nodes },
            });
          }
        } finally {
          await ceremony.finish();
        }
      });
    });

  withShares(withConnection(vault.command('rekey')))
    .description('replace the key shares (new shares/threshold, optional PGP); old-share holders authorise it. PRINTS THE NEW SHARES')
    .option('--shares <n>', 'number of new shares', parseCount)
    .option('--threshold <t>', 'new threshold', parseCount)
    .option('--pgp-keys <files>', 'comma-separated public keys, one per new share')
    .option('--no-verify', 'switch to the new shares at once, without the holders of the new shares proving they have them')
    .option('--continue', 'join the rekey already in progress instead of starting one')
    .option('--cancel', 'cancel the rekey in progress')
    .option('--fingerprint <fp>', 'abort unless the ceremony has this fingerprint (what the holders agreed on)')
    .addHelpText('after', help(
      ['custodian --json vault rekey --shares 3 --threshold 2 --shares-file old-shares.txt', 'custodian vault rekey-verify --shares-file new-shares.txt', 'custodian vault rekey --cancel'],
      'Prints the new shares on stdout (--json: "keys_b64"). With verification (the default) the old shares stay\nvalid until threshold holders of the new shares run `custodian vault rekey-verify`.'))
    .action(async (flags: ShareFlags & { shares?: number; threshold?: number; pgpKeys?: string; verify: boolean; continue?: boolean; cancel?: boolean; fingerprint?: string }) => {
      const output = context.output();
      await withCluster(context, flags, output, async (cluster) => {
        if (flags.cancel) {
          await RekeyCeremony.cancel(cluster, cluster.audit);
          output.result({ cancelled: true });
          output.line('Rekey cancelled.');
          return;
        }
        let ceremony: RekeyCeremony;
        if (flags.continue) {
          ceremony = await RekeyCeremony.join(cluster, cluster.audit);
        } else {
          if (!flags.shares || !flags.threshold) throw new CustodianError('USAGE', 'rekey needs --shares and --threshold (or --continue / --cancel).');
          const pgpKeys = flags.pgpKeys ? await Promise.all(flags.pgpKeys.split(',').map((f) => f.trim()).filter(Boolean).map(readPublicKey)) : undefined;
          ceremony = await RekeyCeremony.start(cluster, {
            newShares: flags.shares, newThreshold: flags.threshold, requireVerification: flags.verify,
            ...(pgpKeys ? { pgpKeys } : {}), ...(cluster.audit ? { audit: cluster.audit } : {}),
          });
        }
        try {
          await confirmFingerprint(context, output, 'rekey', ceremony.fingerprint, flags.fingerprint,
            `new shares ${ceremony.parameters.newShares}, threshold ${ceremony.parameters.newThreshold}${ceremony.parameters.pgpFingerprints?.length ? `, PGP ${ceremony.parameters.pgpFingerprints.join(' ')}` : ''}`);
          let outcome: Awaited<ReturnType<RekeyCeremony['submitShare']>> | undefined;
          await collectShares(context, flags, output, ceremony.threshold, async (share, holder, name) => {
            outcome = await ceremony.submitShare(share, name);
            progress(output, `Share ${holder} accepted: ${outcome.progress}/${outcome.required}.`);
            return outcome.complete;
          });
          if (!outcome?.complete || !outcome.newShares) {
            throw new CustodianError('CEREMONY_NOT_STARTED', `The rekey needs ${ceremony.threshold} shares; it stays open on the server.`, {
              hint: 'Give the remaining shares with `custodian vault rekey --continue`, or cancel with --cancel.',
            });
          }
          const keysB64 = outcome.newShares.map((s) => s.toString('base64'));
          wipeAll(outcome.newShares);
          output.result({ complete: true, fingerprint: ceremony.fingerprint, keys_b64: keysB64, shares_encrypted: Boolean(outcome.newSharesEncrypted), verification_required: Boolean(outcome.verificationNonce), verification_nonce: outcome.verificationNonce ?? null });
          keysB64.forEach((key, i) => output.line(`New share ${i + 1}: ${key}`));
          progress(output, outcome.verificationNonce
            ? 'Verification required: the OLD shares stay valid until threshold holders of the new shares run `custodian vault rekey-verify`.'
            : 'The new shares are in force now; the old ones no longer work.');
        } finally {
          ceremony.wipe();
          await ceremony.end();
        }
      });
    });

  withShares(withConnection(vault.command('rekey-verify')))
    .description('finish a rekey: holders of the NEW shares prove they have them; the server then switches to them')
    .option('--fingerprint <fp>', 'abort unless the verification has this fingerprint')
    .addHelpText('after', help(['custodian vault rekey-verify --shares-file new-shares.txt', 'custodian vault rekey-verify   # prompts each new holder']))
    .action(async (flags: ShareFlags & { fingerprint?: string }) => {
      const output = context.output();
      await withCluster(context, flags, output, async (cluster) => {
        const verification = await RekeyVerification.join(cluster, cluster.audit);
        try {
          await confirmFingerprint(context, output, 'rekey verification', verification.fingerprint, flags.fingerprint, `shares ${verification.parameters.newShares}, threshold ${verification.parameters.newThreshold}`);
          let complete = false;
          await collectShares(context, flags, output, verification.threshold, async (share, holder, name) => {
            const result = await verification.submitShare(share, name);
            progress(output, `New share ${holder} verified: ${result.progress}/${result.required}.`);
            complete = result.complete;
            return complete;
          });
          output.result({ complete, fingerprint: verification.fingerprint });
          if (!complete) throw new CustodianError('CEREMONY_NOT_STARTED', 'Verification needs more new shares; it stays open.', { hint: 'Run rekey-verify again with the remaining holders.' });
          output.line('Rekey verified: the new shares are in force; the old ones no longer work.');
        } finally {
          verification.wipe();
          await verification.end();
        }
      });
    });

  withShares(withConnection(vault.command('generate-root')))
    .description('make a new root token from the unseal shares; the one-time password is generated and used in memory only')
    .option('--token-out <file>', 'write the root token to FILE (mode 0600, must not exist) instead of printing it')
    .option('--cancel', 'cancel the generate-root attempt in progress')
    .option('--fingerprint <fp>', 'abort unless the ceremony has this fingerprint')
    .addHelpText('after', help(
      ['custodian vault generate-root --shares-file shares.txt --token-out root-token.txt', 'custodian vault generate-root --cancel'],
      'The OTP never leaves this process and the encoded token is decoded here, so neither lands in shell history.\nIf the command is interrupted, cancel the attempt (--cancel) and start again.'))
    .action(async (flags: ShareFlags & { tokenOut?: string; cancel?: boolean; fingerprint?: string }) => {
      const output = context.output();
      await withCluster(context, flags, output, async (cluster) => {
        if (flags.cancel) {
          await GenerateRootCeremony.cancel(cluster, cluster.audit);
          output.result({ cancelled: true });
          output.line('Generate-root attempt cancelled.');
          return;
        }
        const tokenFile = flags.tokenOut ? await open(flags.tokenOut, 'wx', 0o600).catch(() => {
          throw new CustodianError('INVALID_INPUT', `Cannot create ${flags.tokenOut} (it must not exist yet).`, { hint: 'Choose a new file name in a private directory.' });
        }) : undefined;
        const ceremony = await GenerateRootCeremony.start(cluster, cluster.audit ? { audit: cluster.audit } : {});
        let token: Buffer | undefined;
        try {
          await confirmFingerprint(context, output, 'generate-root', ceremony.fingerprint, flags.fingerprint, 'a new root token');
          await collectShares(context, flags, output, ceremony.required, async (share, holder, name) => {
            const result = await ceremony.submitShare(share, name);
            progress(output, `Share ${holder} accepted: ${result.progress}/${result.required}.`);
            token = result.rootToken;
            return result.complete;
          });
          if (!token) {
            await GenerateRootCeremony.cancel(cluster, cluster.audit).catch(() => undefined);
            throw new CustodianError('CEREMONY_NOT_STARTED', `generate-root needs ${ceremony.required} shares; the attempt was cancelled.`, { hint: 'Run it again with enough holders.' });
          }
          if (tokenFile) {
            await tokenFile.writeFile(Buffer.concat([token, Buffer.from('\n')]));
            await tokenFile.sync();
            output.result({ complete: true, fingerprint: ceremony.fingerprint, token_file: flags.tokenOut });
            output.line(`Root token written to ${flags.tokenOut} (mode 0600). Revoke it when the work is done.`);
          } else {
            output.result({ complete: true, fingerprint: ceremony.fingerprint, root_token: token.toString('utf8') });
            output.line(`Root token: ${token.toString('utf8')}`);
            progress(output, 'Revoke the root token when the work is done (vault token revoke -self).');
          }
        } finally {
          token?.fill(0);
          ceremony.wipe();
          await ceremony.end();
          await tokenFile?.close();
        }
      });
    });

  withConnection(vault.command('seal'), true)
    .description('seal every given node (needs a token with sudo on sys/seal)')
    .addHelpText('after', help(['VAULT_TOKEN=... custodian vault seal --profile prod', 'custodian vault seal --addr https://127.0.0.1:8200 --token-file - < token']))
    .action(async (flags: ConnectionFlags) => {
      const output = context.output();
      await withCluster(context, flags, output, async (cluster) => {
        const results = await sealNodes(cluster, cluster.audit);
        output.result({ nodes: results });
        for (const r of results) output.line(`${r.address}  ${r.ok ? 'sealed' : `NOT sealed: ${r.error?.message}`}`);
        const failed = results.filter((r) => !r.ok);
        if (failed.length > 0) throw new CustodianError('VAULT_REQUEST_FAILED', `${failed.length} node(s) could not be sealed.`, { hint: 'See the per-node errors above.', details: { nodes: results } });
      });
    });

  withConnection(vault.command('step-down'), true)
    .description('make the active node step down so that a standby takes over (needs a token with sudo on sys/step-down)')
    .addHelpText('after', help(['VAULT_TOKEN=... custodian vault step-down --profile prod']))
    .action(async (flags: ConnectionFlags) => {
      const output = context.output();
      await withCluster(context, flags, output, async (cluster) => {
        const { address } = await stepDown(cluster, cluster.audit);
        output.result({ stepped_down: address });
        output.line(`${address} stepped down; a standby takes over.`);
      });
    });

  registerProfileCommands(vault, context);
  registerVaultKvCommands(vault, context);
  registerVaultSetupCommand(vault, context);
}

function registerProfileCommands(vault: Command, context: CommandContext): void {
  const profile = vault.command('profile').description('named cluster profiles (addresses and TLS files; never tokens or shares)')
    .addHelpText('after', help(['custodian vault profile save prod --addr https://vault-1:8200 --addr https://vault-2:8200 --ca-cert ca.pem', 'custodian vault profile list']));
  profile.command('save').argument('<name>', 'profile name')
    .description('save (or replace) a profile')
    .requiredOption('--addr <url>', 'a node address; repeat for every node', collect)
    .option('--ca-cert <file>', 'PEM CA file').option('--ca-path <dir>', 'directory of PEM CA files')
    .option('--client-cert <file>', 'client certificate').option('--client-key <file>', 'client key')
    .option('--tls-server-name <name>', 'name to verify in the certificate').option('--namespace <ns>', 'namespace')
    .addHelpText('after', help(['custodian vault profile save prod --addr https://vault-1:8200 --addr https://vault-2:8200 --ca-cert /etc/vault/ca.pem']))
    .action(async (name: string, flags: { addr: string[]; caCert?: string; caPath?: string; clientCert?: string; clientKey?: string; tlsServerName?: string; namespace?: string }) => {
      const output = context.output();
      const { addr, ...rest } = flags;
      await VaultProfiles.open(context.io.env).save(name, { addresses: addr, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) });
      output.result({ saved: name });
      output.line(`Saved profile ${name} (${addr.length} node${addr.length === 1 ? '' : 's'}).`);
    });
  profile.command('list').description('list the profiles').addHelpText('after', help(['custodian vault profile list']))
    .action(async () => {
      const output = context.output();
      const profiles = await VaultProfiles.open(context.io.env).list();
      output.result({ profiles });
      if (profiles.length === 0) output.line('No profiles yet.');
      for (const p of profiles) output.line(`${p.name}  ${p.addresses.join(' ')}${p.caCert ? `  ca=${p.caCert}` : ''}`);
    });
  profile.command('delete').argument('<name>', 'profile name').description('delete a profile').addHelpText('after', help(['custodian vault profile delete old-prod']))
    .action(async (name: string) => {
      const output = context.output();
      if (!(await VaultProfiles.open(context.io.env).delete(name))) throw new CustodianError('PROFILE_NOT_FOUND', `No Vault profile named "${name}".`);
      output.result({ deleted: name });
      output.line(`Deleted profile ${name}.`);
    });
}

async function readPublicKey(file: string): Promise<PgpRecipient> {
  const content = await readFile(file).catch(() => { throw new CustodianError('INVALID_INPUT', `Cannot read the PGP key ${file}.`); });
  return readRecipient(content, basename(file));
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1 || n > 255) {
    throw new CustodianError('USAGE', `"${value}" is not a number from 1 to 255.`);
  }
  return n;
}

function formatStatus(node: NodeStatus): string {
  if (!node.reachable || node.sealed === undefined) return `${node.address}  UNREACHABLE  ${node.error?.message ?? ''}`;
  const parts = [
    node.address,
    node.initialized ? 'initialised' : 'NOT initialised',
    node.sealed ? `SEALED ${node.progress}/${node.threshold} (of ${node.shares} shares)` : 'unsealed',
    node.role ?? '',
    node.version ? `v${node.version}` : '',
    node.storageType ? `storage=${node.storageType}` : '',
    node.clusterName ? `cluster=${node.clusterName}` : '',
    node.leaderAddress && node.role === 'standby' ? `leader=${node.leaderAddress}` : '',
  ];
  return parts.filter(Boolean).join('  ');
}

function describeUnseal(node: NodeUnsealState): string {
  const of = `${node.progress ?? 0}/${node.threshold ?? '?'}`;
  switch (node.outcome) {
    case 'progress': return `${node.address}  sealed, ${of}`;
    case 'unsealed': return `${node.address}  UNSEALED`;
    case 'unsealing': return `${node.address}  threshold reached, finishing`;
    case 'waiting': return `${node.address}  waiting to join its Raft cluster (gets the shares once a node is unsealed)`;
    case 'rejected': return `${node.address}  REJECTED the combined shares (now ${of})`;
    case 'unreachable': return `${node.address}  UNREACHABLE (${node.error?.message ?? 'no answer'})`;
    default: return `${node.address}  ERROR ${node.error?.message ?? ''}`;
  }
}

