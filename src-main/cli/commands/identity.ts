import type { Command } from 'commander';
import { CustodianError } from '../../core/errors.js';
import { authorizedCustodiansEntry, revokeIdentity, rotateIdentity, type DeliveryResult, type Statement } from '../../core/push/index.js';
import type { CommandContext } from '../main.js';
import { commandHelp as help } from '../io.js';
import { CONCURRENCY_FLAG, TIMEOUT_FLAG, audit, contactOptions, custodianIdentity, lifecycle, statements, type ContactFlags } from './push-context.js';

/** `custodian identity show|rotate|revoke`: the custodian's signing identity and its life cycle (protocol §12.5). */
export function registerIdentityCommands(program: Command, context: CommandContext): void {
  const identity = program
    .command('identity')
    .description('the custodian identities: an Ed25519 key that signs pushes, an age key that receives key backups (both kept in the OS keychain)')
    .addHelpText('after', help(['custodian identity show >> /etc/app/authorized-custodians', 'custodian identity show --age', 'custodian identity rotate --label "alice (2027 laptop)"']));

  identity
    .command('show')
    .description('print exactly one line: the entry for a receiver\'s authorized-custodians file (creates the identity on first use); with --age, this custodian\'s age recipient')
    .option('--age', 'print the age recipient (age1...) that other custodians export keys to; its private half stays in this keychain')
    .addHelpText('after', help([
      'custodian identity show',
      'custodian identity show >> authorized-custodians',
      'custodian --json identity show   # {"fingerprint": "ed25519:...", "entry": "...", "pending": [...]}',
      'custodian identity show --age    # age1...: send it to the custodian who exports a key to you (custodian backup export KEY --recipient age1...)',
    ], 'Hand-overs and revocations that some servers have not acknowledged yet are listed on stderr (and as "pending" with --json).'))
    .action(async (options: { age?: boolean }) => {
      const output = context.output();
      if (options.age) {
        const { recipient, created } = await (await import('../../core/backup/age-identity.js')).ageRecipient((await import('./backup-age-input.js')).cliSecrets(context));
        if (created) {
          output.note('Created a new age identity in the OS keychain; its private half never leaves it (back it up with `custodian backup state`).');
          await audit(context).record({ action: 'identity.age.create', outcome: 'ok', recipient });
        }
        output.result({ recipient });
        output.line(recipient);
        return;
      }
      const { fingerprint } = await custodianIdentity(context);
      const entry = authorizedCustodiansEntry(fingerprint);
      const pending = (await statements(context).list()).filter((s) => waitingServers(s).length > 0);
      output.result({ fingerprint, entry, pending: pending.map(statementView) });
      output.line(entry);
      // stdout stays exactly one line (it is appended to authorized-custodians files); the rest goes to stderr.
      for (const statement of pending) output.note(`${describe(statement)}: not acknowledged by ${waitingServers(statement).map((name) => whyWaiting(statement, name)).join(', ')}`);
    });

  identity
    .command('rotate')
    .description('make a new identity in the keychain and a hand-over signed by the current one, and send it to every pinned server (servers it misses get it before the next push or lock)')
    .requiredOption('--label <text>', 'who the new identity is, for the receivers\' custodian list (1-64 printable ASCII characters)')
    .option('--forget-old', 'delete the old identity from the keychain now, even if some servers have not acknowledged the hand-over yet')
    .option(...TIMEOUT_FLAG)
    .option(...CONCURRENCY_FLAG)
    .addHelpText('after', help([
      'custodian identity rotate --label "alice (security officer, 2027 laptop)"',
      'custodian --json identity rotate --label alice   # {"oldIdentity": "...", "newIdentity": "...", "deliveries": [...], "oldForgotten": true}',
    ], 'Receivers need --custodian-statements FILE to accept hand-overs. The old identity keeps signing for servers that have not\n'
      + 'applied the hand-over, and is deleted once every pinned server acknowledged it (or with --forget-old).'))
    .action(async (options: { label: string; forgetOld?: boolean } & ContactFlags) => {
      const output = context.output();
      await custodianIdentity(context);
      const outcome = await rotateIdentity(lifecycle(context, contactOptions(options)), {
        label: options.label, forgetOld: Boolean(options.forgetOld),
      });
      output.result({ oldIdentity: outcome.oldIdentity, newIdentity: outcome.newIdentity, statement: statementView(outcome.statement), deliveries: outcome.deliveries, oldForgotten: outcome.oldForgotten });
      output.line(`New identity: ${authorizedCustodiansEntry(outcome.newIdentity, options.label)}`);
      output.line(`Hand-over from ${outcome.oldIdentity} signed (statement ${outcome.statement.id}).`);
      for (const line of deliveryLines(outcome.deliveries)) output.line(line);
      output.line(outcome.oldForgotten
        ? 'The old identity was deleted from the keychain.'
        : `The old identity stays in the keychain until ${waitingServers(outcome.statement).join(', ')} acknowledged the hand-over (next push or lock), or --forget-old.`);
    });

  identity
    .command('revoke')
    .description('sign a revocation of a custodian fingerprint (another custodian\'s, or a lost one) and send it to every pinned server; receivers honour it for good')
    .argument('<fingerprint>', 'the custodian fingerprint to revoke (ed25519:...)')
    .option(...TIMEOUT_FLAG)
    .option(...CONCURRENCY_FLAG)
    .addHelpText('after', help([
      'custodian identity revoke ed25519:_5UpyExPH1LXXwexErrkstZw4Xx0yTXFzwBADjOOKp8',
    ], 'Receivers refuse a revocation that would leave them without any custodian (LAST_CUSTODIAN).'))
    .action(async (fingerprint: string, options: ContactFlags) => {
      const output = context.output();
      const signer = await custodianIdentity(context);
      const self = fingerprint === signer.fingerprint;
      if (self && !output.json) output.note('warning: this revokes the identity you are using; afterwards these servers accept only other custodians.');
      const outcome = await revokeIdentity(lifecycle(context, contactOptions(options)), signer, fingerprint);
      output.result({ revoked: fingerprint, revokesSelf: self, statement: statementView(outcome.statement), deliveries: outcome.deliveries });
      output.line(`Revocation of ${fingerprint} signed (statement ${outcome.statement.id}).`);
      for (const line of deliveryLines(outcome.deliveries)) output.line(line);
      const waiting = waitingServers(outcome.statement);
      if (waiting.length > 0) {
        throw new CustodianError('PUSH_REFUSED', `${waiting.length} server(s) have not acknowledged the revocation yet: ${waiting.join(', ')}.`, {
          hint: 'It is sent again before the next push or lock to them; see the line of each server above.',
        });
      }
    });

}

function waitingServers(statement: Statement): string[] {
  return Object.entries(statement.servers).filter(([, d]) => d.state !== 'acknowledged').map(([name]) => name);
}

/** "app-1" (will be sent again), "app-1 (refused: LAST_CUSTODIAN)" (final), "app-1 (STATEMENTS_DISABLED, will retry)". */
function whyWaiting(statement: Statement, name: string): string {
  const delivery = statement.servers[name]!;
  if (delivery.state === 'refused') return `${name} (refused: ${delivery.code ?? 'unknown'})`;
  return delivery.code ? `${name} (${delivery.code}, sent again before the next push or lock)` : name;
}

function describe(statement: Statement): string {
  return statement.type === 'handover'
    ? `hand-over ${statement.signer} -> ${statement.subject} (statement ${statement.id})`
    : `revocation of ${statement.subject} (statement ${statement.id})`;
}

function statementView(statement: Statement): Record<string, unknown> {
  return {
    id: statement.id, type: statement.type, signer: statement.signer, subject: statement.subject, ...(statement.label ? { label: statement.label } : {}),
    created: statement.created, servers: statement.servers,
  };
}

function deliveryLines(deliveries: DeliveryResult[]): string[] {
  return deliveries.map((d) => (d.ok
    ? `${d.server}  ${d.applied ? 'applied' : 'already applied'}`
    : `${d.server}  not delivered  [${d.error?.code}] ${d.error?.message}${d.error?.hint ? `\n  hint: ${d.error.hint}` : ''}`));
}
