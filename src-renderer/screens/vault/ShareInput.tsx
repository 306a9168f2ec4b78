import { useRef, useState, type ReactNode } from 'react';
import { SecretField, type SecretHandle } from '../../components/SecretField.js';

export interface ShareSubmission { share: string; pgpPrivateKey?: string; pgpPassphrase?: string }

/**
 * Where a holder types their share. The share (and a PGP private key and its passphrase) never enter React
 * state or the DOM tree: the fields are uncontrolled, read once on submit, cleared at once, and the text goes
 * straight to main (the caller sends it and keeps no copy).
 */
export function ShareInput({ label, busy, onSubmit, allowPgp = true, submitLabel = 'Submit share' }: {
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
  return (
    <form className="share-input" aria-label="Share entry" onSubmit={(e) => {
      e.preventDefault();
      const submission: ShareSubmission = { share: share.current?.read() ?? '' };
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
          <SecretField key="enc" handle={share} multiline autoFocus onFilledChange={setFilled} label={`${label} (PGP-encrypted, as printed at init)`} />
          <SecretField key="pk" handle={privateKey} multiline label="Your PGP private key (ASCII armour)" />
          <SecretField key="pass" handle={passphrase} label="Passphrase of the private key" />
        </>
      ) : (
        <SecretField key="plain" handle={share} autoFocus group={4} onFilledChange={setFilled} label={label}
          hint="Base64 or hex, as printed at init; spaces between groups are ignored. It is sent to the app's core and cleared from this window." />
      )}
      {allowPgp ? (
        <label className="check">
          <input type="checkbox" checked={pgp} onChange={(e) => { setPgp(e.target.checked); setFilled(false); }} /> My share is PGP-encrypted
        </label>
      ) : null}
      <button type="submit" disabled={busy || !filled}>{submitLabel}</button>
    </form>
  );
}
