/**
 * End-to-end: the Vault screen's "Day-one setup for an application" in Debian's Chromium against the real core
 * (test bridge) and one real OpenBao node (initialised and unsealed, nothing else; API audit devices allowed).
 * The officer sees the difference (every step missing), applies it after a confirmation, sees a result per step,
 * and the root token is refused afterwards; axe checks the view; the token is in no log and not in the DOM.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VaultProfiles } from '../../src-main/core/vault/index.js';
import { startKeyring, type KeyringSession } from '../support/keyring.js';
import { assertNoSecrets, filesUnder, startSingleNode, type BaoCluster } from '../support/openbao.js';
import { expectAxeClean } from './specs/accessibility.js';
import { goTo, withDiagnostics, type SpecContext } from './specs/helpers.js';
import { saveCluster } from './specs/vault.js';
import { closeSession, initAndUnseal, openSession, type Session } from './support/session.js';

let keyring: KeyringSession;
let server: BaoCluster;
let session: Session;
let context: SpecContext;
let rootToken: string;

before(async () => {
  [keyring, server] = await Promise.all([startKeyring(), startSingleNode({ audit: 'api' })]);
  rootToken = await initAndUnseal(server);
  await new VaultProfiles(keyring.env['CUSTODIAN_HOME']!).save('e2e-setup', { addresses: server.addresses, caCert: server.ca.caCert });
  session = await openSession({ ...keyring.env });
  context = session.context;
});

after(() => closeSession(session, server, keyring));

test('Vault setup: the difference, apply after confirming, a result per step, the root token revoked', () => withDiagnostics(context, 'vault-setup', async () => {
  const { page } = context;
  await goTo(page, 'Vault');
  await saveCluster(context, { profile: 'e2e-setup' });
  const card = page.getByRole('region', { name: 'Day-one setup for an application' });
  await card.getByLabel('Application').fill('mail-helper');
  await card.getByLabel('Audit file on the Vault servers').fill(server.auditFile);
  await card.getByLabel('Vault token').fill(rootToken);
  await card.getByRole('button', { name: 'Show the difference' }).click();
  await card.getByRole('status').filter({ hasText: '6 step(s) would change the cluster; nothing was changed.' }).waitFor({ timeout: 30_000 });
  const table = card.getByRole('table', { name: 'The plan against the cluster' });
  assert.equal(await table.getByRole('cell', { name: 'missing', exact: true }).count(), 6);
  assert.equal(await card.getByLabel('Vault token').inputValue(), '', 'the token field is cleared after the call');
  await expectAxeClean(page, 'vault-setup');
  await context.shot('vault-setup-difference');
  const stillValid = await server.nodes[0]!.get('/auth/token/lookup-self', rootToken);
  assert.equal(stillValid.status, 200, 'showing the difference changed nothing');

  await card.getByLabel('Vault token').fill(rootToken);
  await card.getByRole('button', { name: 'Apply the plan' }).click();
  await page.getByRole('alertdialog', { name: 'Apply the setup for mail-helper?' }).getByRole('button', { name: 'Apply now' }).click();
  await card.getByRole('status').filter({ hasText: 'Setup for mail-helper applied. The token used is revoked.' }).waitFor({ timeout: 60_000 });
  assert.equal(await table.getByRole('cell', { name: /^applied/ }).count(), 6);
  await table.getByRole('cell', { name: /applied: writing \(file-contains-request\)/ }).waitFor();
  await context.shot('vault-setup-applied');
  const revoked = await server.nodes[0]!.get('/auth/token/lookup-self', rootToken);
  assert.equal(revoked.status, 403, 'the root token is revoked');
  assert.ok(!(await page.content()).includes(rootToken), 'the token is not in the DOM');
  assertNoSecrets([Buffer.from(rootToken)], { files: filesUnder(keyring.env['CUSTODIAN_HOME']!).filter((f) => f.endsWith('.log')), texts: { bridge: session.bridge.stderr() } });
}));
