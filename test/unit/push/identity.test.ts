// Prevents: a corrupt custodian identity being silently replaced by a new one, which would lock this custodian
// out of every receiver that lists it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CustodianError } from '../../../src-main/core/errors.js';
import { MemorySecretStore } from '../../../src-main/core/keystore/index.js';
import { IDENTITY_ACCOUNT, loadOrCreateIdentity } from '../../../src-main/core/push/index.js';

test('the identity is created once and then loaded unchanged', async () => {
  const secrets = new MemorySecretStore();
  const first = await loadOrCreateIdentity(secrets);
  const again = await loadOrCreateIdentity(secrets);
  assert.equal(first.created, true);
  assert.equal(again.created, false);
  assert.equal(again.fingerprint, first.fingerprint);
});

test('a corrupt identity item is reported as IDENTITY_CORRUPT and left untouched', async () => {
  const secrets = new MemorySecretStore();
  const corrupt = Buffer.from('not an ed25519 seed');
  await secrets.set(IDENTITY_ACCOUNT, corrupt);
  await assert.rejects(loadOrCreateIdentity(secrets), (error: unknown) =>
    error instanceof CustodianError && error.code === 'IDENTITY_CORRUPT' && /left untouched/.test(error.message) && Boolean(error.hint));
  assert.deepEqual(await secrets.get(IDENTITY_ACCOUNT), Buffer.from('not an ed25519 seed'));
});
