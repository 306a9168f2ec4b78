/**
 * The Vault screen's parity with the CLI: saved profiles (save with TLS paths, bad input refused, delete after
 * a confirmation), step-down and seal against the real OpenBao cluster with a typed token that never reaches the
 * DOM. The sealed node is unsealed again (directly through the API) so the later tests find the cluster whole.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { alertWithCode, goTo, waitForText, type SpecContext } from './helpers.js';
import type { VaultCall } from './ceremonies.js';

export async function profilesSpec({ page }: SpecContext, cluster: { addresses: string[]; caCert: string }): Promise<void> {
  await goTo(page, 'Vault');
  const form = page.getByRole('form', { name: 'Save a profile' });
  const table = page.getByRole('table', { name: 'Cluster profiles' });

  // A client certificate without its key: one sentence under the key field, nothing saved.
  await form.getByLabel('Profile name').fill('e2e-copy');
  await form.getByLabel('Profile node addresses').fill(cluster.addresses.join('\n'));
  await form.getByLabel('Client certificate file').fill(cluster.caCert);
  await form.getByRole('button', { name: 'Save profile' }).click();
  await alertWithCode(form, 'INVALID_INPUT');
  assert.deepEqual(await form.locator('.field-error').allInnerTexts(), ['Give both the client certificate and its key, or neither.']);
  assert.equal(await table.getByRole('cell', { name: 'e2e-copy', exact: true }).count(), 0);

  // A CA path that does not exist is refused by main before anything is saved.
  await form.getByLabel('Client certificate file').fill('');
  await form.getByLabel('CA certificate file').fill(`${cluster.caCert}.missing`);
  await form.getByRole('button', { name: 'Save profile' }).click();
  assert.match(await alertWithCode(form, 'INVALID_INPUT'), /CA certificate file .* cannot be read/);
  assert.equal(await table.getByRole('cell', { name: 'e2e-copy', exact: true }).count(), 0);

  // The right path and a server name: saved, listed with its TLS settings, offered as a cluster.
  await form.getByLabel('CA certificate file').fill(cluster.caCert);
  await form.getByLabel('TLS server name').fill('localhost');
  await form.getByRole('button', { name: 'Save profile' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved profile e2e-copy.' }).waitFor();
  const row = table.getByRole('row').filter({ hasText: 'e2e-copy' });
  await waitForText(row, new RegExp(`CA ${escape(cluster.caCert)}; server name localhost`));
  assert.equal(await page.getByLabel('Saved cluster profile').locator('option', { hasText: 'e2e-copy' }).count(), 1);
  assert.equal(await form.getByLabel('Profile name').inputValue(), '', 'the form is emptied after saving');

  // Delete asks first; Keep changes nothing; the confirmation removes it from the list and the cluster choice.
  await row.getByRole('button', { name: 'Delete profile e2e-copy' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Delete profile e2e-copy?' });
  await dialog.getByRole('button', { name: 'Keep' }).click();
  assert.equal(await row.count(), 1);
  await row.getByRole('button', { name: 'Delete profile e2e-copy' }).click();
  await dialog.getByRole('button', { name: 'Delete profile e2e-copy' }).click();
  await page.getByRole('status').filter({ hasText: 'Deleted profile e2e-copy.' }).waitFor();
  assert.equal(await row.count(), 0);
  assert.equal(await page.getByLabel('Saved cluster profile').locator('option', { hasText: 'e2e-copy' }).count(), 0);
}

/**
 * Step-down moves the active node; seal seals the active node (standbys are reported as not sealable through the
 * API); a wrong token changes nothing. The token field is empty (in the DOM and as a value) after every use.
 */
export async function sealSpec(context: SpecContext, opts: { rootToken: string; shares: string[]; threshold: number; vaultCall: VaultCall; addresses: string[]; caCert: string }): Promise<void> {
  const { page } = context;
  await goTo(page, 'Vault');
  const card = page.getByRole('region', { name: 'Seal and step-down' });
  const tokenField = card.getByLabel('Vault token');
  const stepDownButton = card.getByRole('button', { name: 'Step down the active node' });
  assert.equal(await stepDownButton.isDisabled(), true, 'nothing to send before a token is typed');

  // A wrong token: refused by the cluster, shown as an error, and nothing changed.
  const leaderBefore = String((await opts.vaultCall('GET', '/v1/sys/leader')).body['leader_address']);
  await tokenField.fill('s.not-a-real-token');
  await stepDownButton.click();
  await card.locator('[role="alert"][data-code]').waitFor({ timeout: 30_000 });
  assert.equal(await tokenField.inputValue(), '', 'the token is cleared once read');
  assert.equal(String((await opts.vaultCall('GET', '/v1/sys/leader')).body['leader_address']), leaderBefore);

  // Step-down with the root token: another node becomes active.
  await tokenField.fill(opts.rootToken);
  await assertTokenNotInDom(page, opts.rootToken);
  await stepDownButton.click();
  await card.getByRole('status').filter({ hasText: 'stepped down' }).waitFor({ timeout: 30_000 });
  assert.equal(await tokenField.inputValue(), '');
  const leaderAfter = await waitForLeader(opts.vaultCall, (leader) => leader !== leaderBefore);
  assert.notEqual(leaderAfter, leaderBefore);
  // Raft names the new leader before it serves as the active node; seal needs the active node.
  await waitForActive(opts.addresses, opts.caCert);

  // Seal: asks first, then seals the active node; the standbys say why they are not sealed.
  await tokenField.fill(opts.rootToken);
  await card.getByRole('button', { name: 'Seal…' }).click();
  await page.getByRole('alertdialog', { name: 'Seal the cluster?' }).getByRole('button', { name: 'Seal now' }).click();
  const results = card.getByRole('list', { name: 'Seal results' });
  await results.waitFor({ timeout: 30_000 });
  const lines = await results.getByRole('listitem').allInnerTexts();
  const sealedLines = lines.filter((line) => /: sealed$/.test(line.trim()));
  const sealedAddresses = opts.addresses.filter((a) => sealedLines.some((line) => line.includes(a)));
  try {
    assert.equal(lines.length, opts.addresses.length);
    assert.equal(sealedLines.length, 1, `exactly the active node is sealed: ${lines.join(' | ')}`);
    assert.ok(lines.filter((l) => !sealedLines.includes(l)).every((l) => /standby/.test(l)), 'standbys say why');
    assert.equal(await tokenField.inputValue(), '');
    await assertTokenNotInDom(page, opts.rootToken);
    const seal = await callNode(sealedAddresses[0]!, opts.caCert, 'GET', '/v1/sys/seal-status');
    assert.equal(seal.body['sealed'], true, 'the server says it is sealed');
    // (The badge is upper-cased by CSS: innerText says SEALED.)
    await waitForText(page.getByRole('table', { name: 'Vault nodes' }), /\bsealed\b/i, 30_000);
    await context.shot('vault-seal');
  } finally {
    // Put the cluster back as it was for the tests that follow, whatever failed above.
    for (const address of sealedAddresses) {
      for (const share of opts.shares.slice(0, opts.threshold)) await callNode(address, opts.caCert, 'PUT', '/v1/sys/unseal', { key: share });
    }
  }
  for (const address of sealedAddresses) {
    assert.equal((await callNode(address, opts.caCert, 'GET', '/v1/sys/seal-status')).body['sealed'], false, 'unsealed again');
  }
  await waitForActive(opts.addresses, opts.caCert);
}

/** Polls sys/health on every node (bounded: 60 rounds, 500 ms apart) until one answers 200, i.e. is active. */
async function waitForActive(addresses: string[], caCert: string): Promise<string> {
  for (let i = 0; i < 60; i++) {
    for (const address of addresses) {
      const health = await callNode(address, caCert, 'GET', '/v1/sys/health').catch(() => undefined);
      if (health?.status === 200) return address;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('no active node after 30 s');
}

async function assertTokenNotInDom(page: SpecContext['page'], token: string): Promise<void> {
  const html = await page.content();
  assert.ok(!html.includes(token), 'the typed token is not in the DOM');
}

/** Polls sys/leader (bounded: 60 tries, 500 ms apart) until `ok` holds for the leader address. */
async function waitForLeader(call: VaultCall, ok: (leader: string) => boolean): Promise<string> {
  let last = '';
  for (let i = 0; i < 60; i++) {
    const answer = await call('GET', '/v1/sys/leader').catch(() => undefined);
    last = String(answer?.body['leader_address'] ?? '');
    if (answer?.status === 200 && ok(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`no expected leader after 30 s (last: ${last || 'none'})`);
}

function callNode(address: string, caCertFile: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const ca = readFileSync(caCertFile);
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, address), { method, ca, timeout: 20_000 }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) as Record<string, unknown> : {} }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
