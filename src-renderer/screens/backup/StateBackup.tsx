import { useRef, useState, type ReactNode } from 'react';
import type { StateRestored } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { Busy, ErrorNotice, Field } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { IdentityFields, TargetFields, useAgeTarget, type IdentityChoice } from './AgeFiles.js';
import { takeSecret } from './SecretField.js';
import { t } from '../../i18n/index.js';

/**
 * The custodian's own state (identities, pinned servers, Vault profiles, receipts, audit log; keys only when
 * asked) in one age file, and its restore on a replacement machine.
 */
export function StateBackup({ onChanged }: { onChanged: () => void }): ReactNode {
  return (
    <div className="columns">
      <SaveState onSaved={onChanged} />
      <RestoreState onRestored={onChanged} />
    </div>
  );
}

function SaveState({ onSaved }: { onSaved: () => void }): ReactNode {
  const target = useAgeTarget(true);
  const [withKeys, setWithKeys] = useState(false);
  const [notice, setNotice] = useState<string | undefined>();
  const task = useTask();
  return (
    <form className="card" aria-labelledby="state-save-title" onSubmit={async (e) => {
      e.preventDefault();
      setNotice(undefined);
      const chosen = target.read();
      if (!chosen) return;
      const saved = await task.run(() => call('stateBackup', { ...chosen, withKeys }));
      if (!saved) return;
      setNotice(saved.saved
        ? `${t('stateBackup.savedTo', { path: saved.path })}${saved.keys && saved.keys.length > 0 ? (saved.keys.length === 1 ? t('stateBackup.withOneKey') : t('stateBackup.withKeys', { count: saved.keys.length })) : ''}.`
        : t('stateBackup.noFile'));
      if (saved.saved) onSaved();
    }}>
      <h2 id="state-save-title">{t('stateBackup.backUpThisCustodian')}</h2>
      <p>{t('stateBackup.identitiesPinnedServersVaultProfiles')}</p>
      <TargetFields prefix="state" {...target.fields} />
      <label className="check"><input type="checkbox" checked={withKeys} onChange={(e) => setWithKeys(e.target.checked)} /> {t('stateBackup.includeTheDataKeys')}</label>
      {target.mismatch ? <p className="notice error" role="alert">{t('ageFiles.theTwoPassphrasesDifferType')}</p> : null}
      <button type="submit" disabled={task.busy}>{t('stateBackup.saveTheStateBackup')}</button>
      {notice ? <p className="notice ok" role="status">{notice}</p> : null}
      {task.busy ? <Busy label={t('stateBackup.encryptingTheState')} /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}

function RestoreState({ onRestored }: { onRestored: () => void }): ReactNode {
  const [identity, setIdentity] = useState<IdentityChoice>('passphrase');
  const passphrase = useRef<HTMLInputElement>(null);
  const [replace, setReplace] = useState(false);
  const [confirm, setConfirm] = useState('');
  const [result, setResult] = useState<StateRestored | undefined>();
  const task = useTask();
  return (
    <form className="card" aria-labelledby="state-restore-title" onSubmit={async (e) => {
      e.preventDefault();
      const secret = identity === 'passphrase' ? takeSecret(passphrase) ?? '' : undefined;
      const done = await task.run(() => call('stateRestore', { identity, replace, ...(secret !== undefined ? { passphrase: secret } : {}) }));
      if (!done) return;
      setResult(done);
      setConfirm('');
      if (done.restored) onRestored();
    }}>
      <h2 id="state-restore-title">{t('stateBackup.restoreACustodianFromIts')}</h2>
      <IdentityFields prefix="state-restore" identity={identity} setIdentity={setIdentity} passphrase={passphrase} />
      <label className="check"><input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} /> {t('stateBackup.thisMachineAlreadyHasCustodian')}</label>
      {replace ? <Field label={t('stateBackup.typeReplaceToConfirm')} value={confirm} onChange={setConfirm} /> : null}
      <button type="submit" disabled={task.busy || (replace && confirm.trim().toLowerCase() !== 'replace')}>{t('stateBackup.chooseTheBackupAndRestore')}</button>
      {result ? <RestoredSummary result={result} /> : null}
      {task.busy ? <Busy label={t('stateBackup.restoring')} /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}

function RestoredSummary({ result }: { result: StateRestored }): ReactNode {
  if (!result.restored) return <p className="notice ok" role="status">{t('stateBackup.noFileChosenNothingWas')}</p>;
  return (
    <div className="notice ok" role="status">
      <p><strong>{t('stateBackup.restored')}</strong> {t('stateBackup.files')}{result.files.join(', ') || t('stateBackup.none')}.</p>
      {result.signingIdentity ? <p>{t('stateBackup.signingIdentity')}<code>{result.signingIdentity}</code></p> : null}
      {result.ageRecipient ? <p>{t('stateBackup.ageRecipient')}<code className="wrap">{result.ageRecipient}</code></p> : null}
      <p>{result.keys.length === 1 ? t('stateBackup.oneKey') : t('stateBackup.manyKeys', { count: result.keys.length })} {t('stateBackup.restoredIntoTheKeychain')}</p>
      {result.keysNotInKeychain.length > 0 ? <p>{t('stateBackup.listedButNotInThe')}{result.keysNotInKeychain.join(', ')}.</p> : null}
      {result.previousHome ? <p>{t('stateBackup.thePreviousStateWasMoved')}<code className="wrap">{result.previousHome}</code>.</p> : null}
    </div>
  );
}
