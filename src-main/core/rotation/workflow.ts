/**
 * The rotation workflow of docs/rotation.md in the core: begin (new key, recorded, Vault entry written), status
 * (each server's signed status: accepts the new key? installed keys? data still under the previous key?), push
 * (both keys to servers that are locked, e.g. restarted mid-rotation), finish (every server to the new key alone,
 * Vault entry with an empty previous_key, old key retired) and abort (back to the old key while no server has
 * used the new one).
 *
 * Consistency: each step checks everything it can before it changes anything (state, servers, Vault, keychain,
 * in that order of reading), and records the rotation state last; a step that fails halfway leaves the rotation
 * open, and `status` (which reads the servers live) shows what is done. Running a step again is safe: servers
 * already on the new key alone are skipped.
 */
import type { AuditLog } from '../audit.js';
import { CustodianError } from '../errors.js';
import type { KeyRecord, KeyStore } from '../keystore/index.js';
import type { PushResult, StatusResult } from '../push/push.js';
import type { ResultError } from '../push/results.js';
import type { PinnedServer, ServerRegistry } from '../push/servers.js';
import type { JsonFile } from '../storage/json-file.js';
import type { VaultCluster } from '../vault/cluster.js';
import { addDays, daysBetween } from './days.js';
import { viewServer, type RotationServerView } from './server-view.js';
import { DEFAULT_GRACE_DAYS, remember, type OpenRotation, type RotationState, type VaultKvLink } from './state.js';
import { checkUnchanged, currentKvVersion, parseKvTarget, readEntrySummary, writeEntry, type EntrySummary } from './vault-entry.js';

export interface RekeyOutcome {
  server: string;
  ok: boolean;
  installedKeyIds?: string[];
  error?: ResultError;
}

/** Replaces the key set of unlocked receivers (protocol `rekey`, docs/protocol.md §12.12); `retire` names dropped keys. */
export type RekeyServers = (servers: readonly PinnedServer[], keys: readonly Buffer[], retire: readonly string[]) => Promise<RekeyOutcome[]>;
/** Runs `use` with a connected Vault cluster (profile from begin, or the caller's flags); closes it afterwards. */
export type WithVault = <T>(profile: string | undefined, use: (cluster: VaultCluster) => Promise<T>) => Promise<T>;

export interface RotationDeps {
  keys: KeyStore;
  state: JsonFile<RotationState>;
  servers: ServerRegistry;
  status: (servers: readonly PinnedServer[]) => Promise<StatusResult[]>;
  push?: (servers: readonly PinnedServer[], keys: readonly Buffer[]) => Promise<PushResult[]>;
  rekey?: RekeyServers;
  withVault?: WithVault;
  audit?: AuditLog;
  now?: () => Date;
}

export interface BeginOptions {
  /** The key in use now. */
  key: string;
  /** An existing key to rotate to (else a new one is generated). */
  newKey?: string;
  /** Name of the generated key (default: the old name with today's date). */
  name?: string;
  graceDays?: number;
  /** MOUNT/PATH of the Vault KV v2 entry to keep in step, e.g. secret/mail-helper/encryption. */
  vaultKv?: string;
  profile?: string;
  /** Servers the rotation covers (default: every pinned server). */
  servers?: string[];
  noBackupCheck?: boolean;
}

export interface RotationOverview {
  open: OpenRotation | null;
  intervalDays: number;
  graceDaysLeft: number | null;
  servers: RotationServerView[];
  /** Servers whose key checks do not list the new key yet. */
  notAccepting: string[];
  ready: boolean;
  vault: EntrySummary | null;
  vaultError: ResultError | null;
  last: RotationState['history'][number] | null;
}

export interface BeginResult extends RotationOverview {
  generated: boolean;
  newKey: KeyRecord;
  oldKey: KeyRecord;
  warnings: string[];
}

export interface FinishResult {
  oldKeyId: string;
  newKeyId: string;
  rekeyed: RekeyOutcome[];
  skipped: string[];
  vaultVersion: number | null;
  forced: boolean;
  warnings: string[];
}

export class RotationWorkflow {
  private readonly now: () => Date;

  constructor(private readonly deps: RotationDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async begin(options: BeginOptions): Promise<BeginResult> {
    const state = await this.deps.state.read();
    if (state.open) throw rotationOpen(state.open);
    const oldKey = await this.deps.keys.resolve(options.key);
    const oldState = state.keys[oldKey.id]?.state;
    if (oldState === 'retired') {
      throw new CustodianError('INVALID_INPUT', `${oldKey.id} is retired: it cannot be the key rotated away from.`, { hint: '`custodian key list` shows which key is current.' });
    }
    const servers = await this.deps.servers.select(options.servers ?? [], !options.servers?.length).catch((error: unknown) => {
      if (!options.servers?.length && error instanceof CustodianError && error.code === 'SERVER_NOT_FOUND') return [];
      throw error;
    });
    const target = options.vaultKv ? parseKvTarget(options.vaultKv) : null;
    // Reach Vault before a key is generated: a wrong token or path must not leave a stray key behind.
    const readVersion = target ? await this.vault(options.profile, (cluster) => currentKvVersion(cluster, target.mount, target.path)) : null;

    const warnings: string[] = [];
    let newKey: KeyRecord;
    let generated = false;
    if (options.newKey) {
      newKey = await this.deps.keys.verify(options.newKey);
      if (newKey.id === oldKey.id) throw new CustodianError('INVALID_INPUT', '--new names the same key as --key.', { hint: 'Rotate to another key, or leave --new out to generate one.' });
      if (state.keys[newKey.id]?.state === 'retired') throw new CustodianError('INVALID_INPUT', `${newKey.id} is retired and cannot become current again.`, { hint: 'Leave --new out to generate a new key.' });
    } else {
      newKey = await this.deps.keys.generate(options.name ?? `${oldKey.name}-${this.now().toISOString().slice(0, 10)}`);
      generated = true;
    }
    if (!newKey.lastBackup) {
      if (!options.noBackupCheck) {
        throw new CustodianError('ROTATION_BACKUP_MISSING', `${generated ? `Generated ${newKey.id} ("${newKey.name}"), but it` : `${newKey.id} ("${newKey.name}")`} has no backup yet; no rotation was started.`, {
          hint: `Back it up first (\`custodian backup split ${newKey.id} --shares 5 --threshold 3\` or \`custodian backup export ${newKey.id} --recipient age1...\`), then \`custodian rotate begin --key ${oldKey.id} --new ${newKey.id}\`.`,
          details: { newKeyId: newKey.id, generated },
        });
      }
      warnings.push(`${newKey.id} has no backup: the keychain holds its only copy (--no-backup-check). Back it up before data is written under it.`);
    }

    const statuses = await this.deps.status(servers);
    const started = this.now();
    let vaultKv: VaultKvLink | undefined;
    // Load both keys even without Vault: a locked keychain is found now, not at finish.
    await this.deps.keys.withKeys([newKey.id, oldKey.id], async ([current, previous]) => {
      if (!target || readVersion === null) return;
      const version = await this.vault(options.profile, (cluster) => writeEntry(cluster, target, { current: current!, previous: previous! }, started, readVersion, this.deps.audit));
      vaultKv = { ...target, ...(options.profile ? { profile: options.profile } : {}), version };
    }, { purpose: 'rotate.begin' });

    const open: OpenRotation = {
      oldKeyId: oldKey.id, newKeyId: newKey.id, started: started.toISOString(),
      graceEnd: addDays(started, options.graceDays ?? DEFAULT_GRACE_DAYS).toISOString(),
      servers: servers.map((s) => s.name),
      ...(vaultKv ? { vaultKv } : {}),
    };
    await this.deps.state.update((current) => {
      if (current.open) throw rotationOpen(current.open);
      current.open = open;
      current.keys[oldKey.id] = { state: 'previous', since: open.started };
      current.keys[newKey.id] = { state: 'current', since: open.started };
    });
    await this.deps.audit?.record({ action: 'rotate.begin', outcome: 'ok', oldKeyId: oldKey.id, newKeyId: newKey.id, servers: open.servers, vaultKv: vaultKv ? `${vaultKv.mount}/${vaultKv.path}@${vaultKv.version}` : null, backupChecked: !options.noBackupCheck });
    const overview = this.overview(await this.deps.state.read(), statuses, null, null);
    return { ...overview, generated, newKey, oldKey, warnings };
  }

  /** The open rotation as the servers and Vault see it now (or the last one, when none is open). */
  async status(options: { vault?: boolean } = {}): Promise<RotationOverview> {
    const state = await this.deps.state.read();
    if (!state.open) return this.overview(state, [], null, null);
    const statuses = await this.statusOf(state.open);
    let vault: EntrySummary | null = null;
    let vaultError: ResultError | null = null;
    const link = state.open.vaultKv;
    if (link && options.vault !== false && this.deps.withVault) {
      try {
        vault = await this.vault(link.profile, (cluster) => readEntrySummary(cluster, link.mount, link.path));
      } catch (error) {
        vaultError = asError(error);
      }
    }
    return this.overview(state, statuses, vault, vaultError);
  }

  /** Pushes [new, old] to the rotation's servers (those already holding exactly these keys answer already-unlocked). */
  async push(names: string[] = []): Promise<PushResult[]> {
    const open = await this.requireOpen();
    if (!this.deps.push) throw new CustodianError('INTERNAL', 'Pushing is not available here.');
    const chosen = (await this.coveredServers(open)).filter((s) => names.length === 0 || names.includes(s.name));
    const unknown = names.filter((n) => !open.servers.includes(n));
    if (unknown.length > 0) throw new CustodianError('SERVER_NOT_FOUND', `${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not part of this rotation (${open.servers.join(', ') || 'no servers'}).`);
    return this.deps.keys.withKeys([open.newKeyId, open.oldKeyId], (keys) => this.deps.push!(chosen, keys), { purpose: 'rotate.push' });
  }

  async finish(options: { force?: boolean; kvCas?: number } = {}): Promise<FinishResult> {
    const open = await this.requireOpen();
    const force = Boolean(options.force);
    const views = (await this.statusOf(open)).map((r) => viewServer(r, open.oldKeyId, open.newKeyId));
    const blocked = views.filter((v) => v.blocker);
    if (blocked.length > 0 && !force) throw notReady(blocked, 'finished');
    const warnings = blocked.map((v) => `--force: ${v.blocker!.message}`);
    if (this.now() < new Date(open.graceEnd)) warnings.push(`The grace period runs until ${open.graceEnd}; finishing early.`);

    const link = open.vaultKv ? { ...open.vaultKv, ...(options.kvCas !== undefined ? { version: options.kvCas } : {}) } : undefined;
    if (link) await this.vault(link.profile, (cluster) => checkUnchanged(cluster, link));

    // Servers that can take the new key alone now: unlocked, accepting it, not yet done.
    const targets = views.filter((v) => !v.done && v.reachable && v.state === 'unlocked' && v.acceptsNew).map((v) => v.server);
    const skipped = views.filter((v) => !v.done && !targets.includes(v.server)).map((v) => v.server);
    const covered = (await this.coveredServers(open)).filter((s) => targets.includes(s.name));
    if (covered.length > 0 && !this.deps.rekey) throw new CustodianError('INTERNAL', 'Rekeying servers is not available here.');

    let rekeyed: RekeyOutcome[] = [];
    let vaultVersion: number | null = null;
    // The keychain is read before any server is changed: locked, nothing happens and the rotation stays open.
    await this.deps.keys.withKey(open.newKeyId, async (current) => {
      rekeyed = covered.length > 0 ? await this.deps.rekey!(covered, [current], [open.oldKeyId]) : [];
      const failed = rekeyed.filter((r) => !r.ok);
      if (failed.length > 0) {
        await this.deps.audit?.record({ action: 'rotate.finish', outcome: 'error', oldKeyId: open.oldKeyId, newKeyId: open.newKeyId, code: 'ROTATION_NOT_READY', failed: failed.map((f) => f.server) });
        throw new CustodianError('ROTATION_NOT_READY', `${failed.length} server(s) could not be switched to the new key alone: ${failed.map((f) => `${f.server} (${f.error?.code ?? 'failed'})`).join(', ')}; the rotation stays open.`, {
          hint: 'Fix those servers and run `custodian rotate finish` again (servers already on the new key are skipped).',
          details: { rekeyed },
        });
      }
      if (link) vaultVersion = await this.vault(link.profile, (cluster) => writeEntry(cluster, link, { current, previous: null }, this.now(), link.version, this.deps.audit));
    }, { purpose: 'rotate.finish' });

    const ended = this.now().toISOString();
    await this.deps.state.update((state) => {
      state.open = null;
      state.keys[open.oldKeyId] = { state: 'retired', since: ended };
      state.keys[open.newKeyId] = { state: 'current', since: state.keys[open.newKeyId]?.since ?? ended };
      remember(state, { oldKeyId: open.oldKeyId, newKeyId: open.newKeyId, started: open.started, ended, outcome: 'finished', ...(force ? { forced: true } : {}) });
    });
    await this.deps.audit?.record({ action: 'rotate.finish', outcome: 'ok', oldKeyId: open.oldKeyId, newKeyId: open.newKeyId, rekeyed: rekeyed.map((r) => r.server), skipped, forced: force, vaultVersion });
    return { oldKeyId: open.oldKeyId, newKeyId: open.newKeyId, rekeyed, skipped, vaultVersion, forced: force, warnings };
  }

  async abort(options: { force?: boolean; kvCas?: number } = {}): Promise<{ oldKeyId: string; newKeyId: string; vaultVersion: number | null; warnings: string[] }> {
    const open = await this.requireOpen();
    const views = (await this.statusOf(open)).map((r) => viewServer(r, open.oldKeyId, open.newKeyId));
    const usingNew = views.filter((v) => v.installedKeyIds.includes(open.newKeyId));
    const unknown = views.filter((v) => !v.reachable);
    if ((usingNew.length > 0 || unknown.length > 0) && !options.force) {
      throw new CustodianError('ROTATION_ABORT_REFUSED', `${[
        usingNew.length ? `${usingNew.map((v) => v.server).join(', ')} already hold${usingNew.length === 1 ? 's' : ''} the new key (data may be written under it)` : '',
        unknown.length ? `${unknown.map((v) => v.server).join(', ')} did not answer` : '',
      ].filter(Boolean).join('; ')}; the rotation stays open.`, {
        hint: 'Finish the rotation instead; or lock those servers (`custodian server lock NAME`), push the old key, and abort again. --force aborts anyway (the new key stays in the keychain).',
        details: { usingNew: usingNew.map((v) => v.server), unreachable: unknown.map((v) => v.server) },
      });
    }
    const warnings = [...usingNew, ...unknown].map((v) => `--force: ${v.server} ${v.reachable ? 'holds the new key' : 'did not answer'}; the new key ${open.newKeyId} stays in the keychain.`);
    const link = open.vaultKv ? { ...open.vaultKv, ...(options.kvCas !== undefined ? { version: options.kvCas } : {}) } : undefined;
    let vaultVersion: number | null = null;
    if (link) {
      await this.vault(link.profile, (cluster) => checkUnchanged(cluster, link));
      vaultVersion = await this.deps.keys.withKey(open.oldKeyId, (old) => this.vault(link.profile, (cluster) => writeEntry(cluster, link, { current: old, previous: null }, this.now(), link.version, this.deps.audit)), { purpose: 'rotate.abort' });
    }
    const ended = this.now().toISOString();
    await this.deps.state.update((state) => {
      state.open = null;
      state.keys[open.oldKeyId] = { state: 'current', since: ended };
      // The new key keeps no state: it was never in use everywhere. It stays in the keychain.
      delete state.keys[open.newKeyId];
      remember(state, { oldKeyId: open.oldKeyId, newKeyId: open.newKeyId, started: open.started, ended, outcome: 'aborted', ...(options.force ? { forced: true } : {}) });
    });
    await this.deps.audit?.record({ action: 'rotate.abort', outcome: 'ok', oldKeyId: open.oldKeyId, newKeyId: open.newKeyId, forced: Boolean(options.force), vaultVersion });
    return { oldKeyId: open.oldKeyId, newKeyId: open.newKeyId, vaultVersion, warnings };
  }

  private async requireOpen(): Promise<OpenRotation> {
    const state = await this.deps.state.read();
    if (state.open) return state.open;
    const last = state.history[state.history.length - 1];
    throw new CustodianError('ROTATION_NONE', `No rotation is open${last ? ` (the last one, ${last.oldKeyId} -> ${last.newKeyId}, was ${last.outcome} at ${last.ended})` : ''}.`, {
      hint: 'Start one with `custodian rotate begin --key CURRENT`; `custodian rotate status` shows the state.',
      ...(last ? { details: { last } } : {}),
    });
  }

  private async coveredServers(open: OpenRotation): Promise<PinnedServer[]> {
    const pinned = await this.deps.servers.list();
    return pinned.filter((s) => open.servers.includes(s.name));
  }

  /** Live status of each covered server; one removed from the pins since begin is reported, not dropped. */
  private async statusOf(open: OpenRotation): Promise<StatusResult[]> {
    const covered = await this.coveredServers(open);
    const results = await this.deps.status(covered);
    for (const name of open.servers) {
      if (!covered.some((s) => s.name === name)) {
        results.push({ server: name, url: '', ok: false, error: { code: 'SERVER_NOT_FOUND', message: `${name} is no longer pinned.`, hint: 'Pin it again (`custodian server add`) or finish with --force.' } });
      }
    }
    return results;
  }

  private overview(state: RotationState, statuses: StatusResult[], vault: EntrySummary | null, vaultError: ResultError | null): RotationOverview {
    const open = state.open;
    const views = open ? statuses.map((r) => viewServer(r, open.oldKeyId, open.newKeyId)) : [];
    return {
      open,
      intervalDays: state.intervalDays,
      graceDaysLeft: open ? daysBetween(this.now(), new Date(open.graceEnd)) : null,
      servers: views,
      notAccepting: views.filter((v) => v.reachable && !v.acceptsNew).map((v) => v.server),
      ready: open !== null && views.every((v) => !v.blocker),
      vault, vaultError,
      last: state.history[state.history.length - 1] ?? null,
    };
  }

  private vault<T>(profile: string | undefined, use: (cluster: VaultCluster) => Promise<T>): Promise<T> {
    if (!this.deps.withVault) throw new CustodianError('USAGE', 'This rotation keeps a Vault KV entry in step, but no Vault connection was given.', { hint: 'Give the Vault flags (--profile, or --addr with VAULT_TOKEN).' });
    return this.deps.withVault(profile, use);
  }
}

function rotationOpen(open: OpenRotation): CustodianError {
  return new CustodianError('ROTATION_OPEN', `A rotation is already open (${open.oldKeyId} -> ${open.newKeyId}, started ${open.started}); nothing was changed.`, {
    hint: 'See it with `custodian rotate status`; finish it (`custodian rotate finish`) or abort it (`custodian rotate abort`) first.',
    details: { oldKeyId: open.oldKeyId, newKeyId: open.newKeyId },
  });
}

function notReady(blocked: RotationServerView[], what: string): CustodianError {
  return new CustodianError('ROTATION_NOT_READY', `The rotation cannot be ${what} yet: ${blocked.map((v) => v.blocker!.message).join(' ')}`, {
    hint: `${blocked[0]!.blocker!.hint ?? ''} \`custodian rotate status\` shows every server; --force finishes anyway (loudly).`.trim(),
    details: { servers: blocked.map((v) => ({ server: v.server, code: v.blocker!.code, message: v.blocker!.message })) },
  });
}

function asError(error: unknown): ResultError {
  if (error instanceof CustodianError) return { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  return { code: 'INTERNAL', message: 'Unexpected failure reading the Vault entry.' };
}

