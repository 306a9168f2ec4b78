import { useRef, useState, type ReactNode } from 'react';
import { Field } from '../../components/common.js';
import { SecretField, type SecretHandle } from '../../components/SecretField.js';
import { t } from '../../i18n/index.js';

/** `holderName`: the holder's name as typed (optional, not a secret): it goes into the ceremony transcript. */
export interface ShareSubmission { share: string; pgpPrivateKey?: string; pgpPassphrase?: string; holderName?: string }

/**
 * Where a holder types their share. The share (and a PGP private key and its passphrase) never enter React
 * state or the DOM tree: the fields are uncontrolled, read once on submit, cleared at once, and the text goes
 * straight to main (the caller sends it and keeps no copy).
 */
export function ShareInput({ label, busy, onSubmit, allowPgp = true, submitLabel = t('shareInput.submitShare') }: {
  label: string;
  busy: boolean;
  onSubmit: (submission: ShareSubmission) => void;
  allowPgp?: boolean;
  submitLabel?: string;
}): ReactNode {
  const share = useRef<SecretHandle>(null);
  const privateKey = useRef<SecretHandle>(null);
  const passphrase = useRef<SecretHandle>(null);
  const [pgp, setPgp] = useState(false);
  const [filled, setFilled] = useState(false);
  const [name, setName] = useState('');
  return (
    <form className="share-input" aria-label={t('restore.shareEntry')} onSubmit={(e) => {
      e.preventDefault();
      const submission: ShareSubmission = { share: share.current?.read() ?? '' };
      if (name.trim()) submission.holderName = name.trim().slice(0, 100);
      if (pgp) {
        submission.pgpPrivateKey = privateKey.current?.read() ?? '';
        const typed = passphrase.current?.read() ?? '';
        if (typed) submission.pgpPassphrase = typed;
      }
      share.current?.clear();
      privateKey.current?.clear();
      passphrase.current?.clear();
      if (submission.share.trim() !== '') onSubmit(submission);
    }}>
      {pgp ? (
        <>
          <SecretField key="enc" handle={share} multiline autoFocus onFilledChange={setFilled} label={t('shareInput.pgpLabel', { label })} />
          <SecretField key="pk" handle={privateKey} multiline label={t('shareInput.yourPgpPrivateKeyAscii')} />
          <SecretField key="pass" handle={passphrase} label={t('shareInput.passphraseOfThePrivateKey')} />
        </>
      ) : (
        <SecretField key="plain" handle={share} autoFocus group={4} onFilledChange={setFilled} label={label}
          hint={t('shareInput.base64OrHexAsPrinted')} />
      )}
      <Field label={t('shareInput.yourName')} value={name} onChange={setName} hint={t('shareInput.yourNameHint')} />
      {allowPgp ? (
        <label className="check">
          <input type="checkbox" checked={pgp} onChange={(e) => { setPgp(e.target.checked); setFilled(false); }} /> {t('shareInput.myShareIsPgpEncrypted')}</label>
      ) : null}
      <button type="submit" disabled={busy || !filled}>{submitLabel}</button>
    </form>
  );
}
