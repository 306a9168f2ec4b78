import { useRef, useState, type ReactNode } from 'react';
import type { BackupHandoutView, KeyView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { Busy, ErrorNotice, Field } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { SecretField, takeSecret } from './SecretField.js';
import { t } from '../../i18n/index.js';

/**
 * Split a key into SLIP-39 shares: which key, T of N, one name per holder, an optional SLIP-39 passphrase. The
 * shares are made and kept in main; the hand-out (Handout.tsx) then shows them one holder at a time.
 */
export function SplitForm({ keys, onStarted }: { keys: KeyView[]; onStarted: (view: BackupHandoutView) => void }): ReactNode {
  const [key, setKey] = useState('');
  const [shares, setShares] = useState('5');
  const [threshold, setThreshold] = useState('3');
  const [holders, setHolders] = useState<string[]>([]);
  const [usePassphrase, setUsePassphrase] = useState(false);
  const passphrase = useRef<HTMLInputElement>(null);
  const repeat = useRef<HTMLInputElement>(null);
  const [mismatch, setMismatch] = useState(false);
  const task = useTask();
  const count = Math.max(0, Math.min(16, Number.parseInt(shares, 10) || 0));

  return (
    <form className="wizard" aria-label={t('split.splitAKey')} onSubmit={async (e) => {
      e.preventDefault();
      let secret: string | undefined;
      if (usePassphrase) {
        secret = takeSecret(passphrase);
        const again = takeSecret(repeat);
        if (secret !== again) { setMismatch(true); return; }
      }
      setMismatch(false);
      const request = {
        key, shares: Number(shares), threshold: Number(threshold),
        holders: Array.from({ length: count }, (_, i) => holders[i] ?? ''),
        ...(secret ? { passphrase: secret } : {}),
      };
      const started = await task.run(() => call('backupSplitBegin', request));
      if (started) onStarted(started);
    }}>
      <h2>{t('split.splitAKeyIntoPaper')}</h2>
      <p>{t('split.any')}<strong>T</strong> {t('split.ofThe')}<strong>N</strong> {t('split.holdersTogetherRecoverTheKey')}<code>{t('split.shamirMnemonic')}</code>{t('split.recoversTheKeyToo')}</p>
      <div className="field">
        <label htmlFor="split-key">{t('split.keyToSplit')}</label>
        <select id="split-key" value={key} onChange={(e) => setKey(e.target.value)} required>
          <option value="">{t('ageFiles.chooseAKey')}</option>
          {keys.map((k) => <option key={k.id} value={k.id}>{k.name} ({k.id})</option>)}
        </select>
      </div>
      <div className="columns">
        <Field label={t('split.numberOfSharesN')} type="number" value={shares} onChange={setShares} hint={t('split.1To16Holders')} />
        <Field label={t('split.sharesNeededT')} type="number" value={threshold} onChange={setThreshold} hint={t('split.2OrMore1Only')} />
      </div>
      <fieldset>
        <legend>{t('split.holdersInHandOutOrder')}</legend>
        {Array.from({ length: count }, (_, i) => (
          <Field key={i} label={t('split.holderN', { n: i + 1 })} value={holders[i] ?? ''} placeholder={t('split.holderN', { n: i + 1 })}
            onChange={(value) => { const next = [...holders]; next[i] = value; setHolders(next); }} />
        ))}
      </fieldset>
      <label className="check">
        <input type="checkbox" checked={usePassphrase} onChange={(e) => setUsePassphrase(e.target.checked)} /> {t('split.protectTheSharesWithA')}</label>
      {usePassphrase ? (
        <>
          <p className="muted">{t('split.restoringThenNeedsTheShares')}<em>{t('split.and')}</em> {t('split.thePassphraseAWrongPassphrase')}</p>
          <SecretField label={t('split.slip39Passphrase')} inputRef={passphrase} />
          <SecretField label={t('split.passphraseAgain')} inputRef={repeat} />
          {mismatch ? <p className="notice error" role="alert">{t('ageFiles.theTwoPassphrasesDifferType')}</p> : null}
        </>
      ) : null}
      <button type="submit" disabled={task.busy || key === '' || count === 0}>{t('split.splitAndStartTheHand')}</button>
      {task.busy ? <Busy label={t('split.splittingTheKey')} /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}
