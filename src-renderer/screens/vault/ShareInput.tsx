import { useId, useState, type ReactNode } from 'react';

export interface ShareSubmission { share: string; pgpPrivateKey?: string; pgpPassphrase?: string }

/**
 * The masked input a holder types their share into. The text lives only in this component's state until the
 * holder submits; the parent sends it to main at once and this component is unmounted (hand-over screen).
 */
export function ShareInput({ label, busy, onSubmit, allowPgp = true, submitLabel = 'Submit share' }: {
  label: string;
  busy: boolean;
  onSubmit: (submission: ShareSubmission) => void;
  allowPgp?: boolean;
  submitLabel?: string;
}): ReactNode {
  const id = useId();
  const [share, setShare] = useState('');
  const [pgp, setPgp] = useState(false);
  const [privateKey, setPrivateKey] = useState('');
  const [passphrase, setPassphrase] = useState('');
  return (
    <form className="share-input" aria-label="Share entry" onSubmit={(e) => {
      e.preventDefault();
      const submission: ShareSubmission = { share };
      if (pgp) {
        submission.pgpPrivateKey = privateKey;
        if (passphrase) submission.pgpPassphrase = passphrase;
      }
      setShare(''); setPrivateKey(''); setPassphrase('');
      onSubmit(submission);
    }}>
      {pgp ? (
        <>
          <label htmlFor={`${id}-enc`}>{label} (PGP-encrypted, as printed at init)</label>
          <textarea id={`${id}-enc`} className="masked" rows={4} value={share} onChange={(e) => setShare(e.target.value)} autoFocus spellCheck={false} autoComplete="off" />
          <label htmlFor={`${id}-key`}>Your PGP private key (ASCII armour)</label>
          <textarea id={`${id}-key`} className="masked" rows={4} value={privateKey} onChange={(e) => setPrivateKey(e.target.value)} spellCheck={false} autoComplete="off" />
          <label htmlFor={`${id}-pass`}>Passphrase of the private key</label>
          <input id={`${id}-pass`} type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="off" />
        </>
      ) : (
        <>
          <label htmlFor={`${id}-share`}>{label}</label>
          <input id={`${id}-share`} type="password" value={share} onChange={(e) => setShare(e.target.value)} autoFocus autoComplete="off" spellCheck={false}
            aria-describedby={`${id}-hint`} />
          <small id={`${id}-hint`}>Base64 or hex, as printed at init. It is sent to the app's core and cleared from this window.</small>
        </>
      )}
      {allowPgp ? (
        <label className="check">
          <input type="checkbox" checked={pgp} onChange={(e) => setPgp(e.target.checked)} /> My share is PGP-encrypted
        </label>
      ) : null}
      <button type="submit" disabled={busy || share.trim() === ''}>{submitLabel}</button>
    </form>
  );
}
