import { useRef, useState, type ReactNode, type RefObject } from 'react';
import type { KeyView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { Busy, ErrorNotice, Field } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { SecretField, takeSecret } from './SecretField.js';

/** This custodian's age recipient: what another custodian encrypts a key to, so it arrives without plaintext. */
export function OwnRecipient({ onRecipient }: { onRecipient?: (recipient: string) => void }): ReactNode {
  const [recipient, setRecipient] = useState<string | undefined>();
  const [copied, setCopied] = useState<string | undefined>();
  const task = useTask();
  return (
    <section className="card" aria-labelledby="recipient-title">
      <h2 id="recipient-title">This custodian's age recipient</h2>
      <p>Give it to another custodian: they export a key to it, and you import the file with this keychain's identity. The private half
        never leaves this keychain.</p>
      {recipient ? <p><code className="wrap" aria-label="Age recipient">{recipient}</code></p> : null}
      <button type="button" disabled={task.busy} onClick={async () => {
        const shown = await task.run(() => call('ageRecipient', {}));
        if (shown) { setRecipient(shown.recipient); onRecipient?.(shown.recipient); }
      }}>{recipient ? 'Refresh' : 'Show recipient'}</button>
      {recipient ? (
        <button type="button" className="secondary" onClick={async () => {
          const done = await task.run(() => call('copyText', { text: recipient }));
          if (done) setCopied(`Copied; the clipboard clears in ${done.clearsAfterSeconds} s.`);
        }}>Copy recipient</button>
      ) : null}
      {copied ? <span role="status">{copied}</span> : null}
      <ErrorNotice error={task.error} />
    </section>
  );
}

/** Recipients (one per line) or a passphrase typed twice; used by key export and the state backup. */
export function TargetFields({ prefix, recipients, setRecipients, usePassphrase, setUsePassphrase, passphrase, repeat }: {
  prefix: string;
  recipients: string;
  setRecipients: (text: string) => void;
  usePassphrase: boolean;
  setUsePassphrase: (on: boolean) => void;
  passphrase: RefObject<HTMLInputElement | null>;
  repeat: RefObject<HTMLInputElement | null>;
}): ReactNode {
  return (
    <fieldset>
      <legend>Who can open the file</legend>
      <label className="check"><input type="radio" name={`${prefix}-target`} checked={!usePassphrase} onChange={() => setUsePassphrase(false)} /> Recipients (age1… or ssh-ed25519 public keys)</label>
      <label className="check"><input type="radio" name={`${prefix}-target`} checked={usePassphrase} onChange={() => setUsePassphrase(true)} /> A passphrase</label>
      {usePassphrase ? (
        <>
          <SecretField label="Backup passphrase" inputRef={passphrase} hint="At least 10 characters; age stretches it with scrypt." />
          <SecretField label="Backup passphrase again" inputRef={repeat} />
        </>
      ) : (
        <Field label="Recipients, one per line" multiline value={recipients} onChange={setRecipients} />
      )}
    </fieldset>
  );
}

/** Reads the target fields: recipients, or the passphrase (both inputs cleared). Undefined when the passphrases differ. */
export function readTarget(usePassphrase: boolean, recipients: string, passphrase: RefObject<HTMLInputElement | null>, repeat: RefObject<HTMLInputElement | null>):
  { recipients: string[] } | { passphrase: string } | undefined {
  if (!usePassphrase) return { recipients: recipients.split(/\r?\n/).map((line) => line.trim()).filter(Boolean) };
  const first = takeSecret(passphrase) ?? '';
  const second = takeSecret(repeat) ?? '';
  return first === second ? { passphrase: first } : undefined;
}

export function AgeExport({ keys, onExported }: { keys: KeyView[]; onExported: () => void }): ReactNode {
  const [key, setKey] = useState('');
  const [recipients, setRecipients] = useState('');
  const [usePassphrase, setUsePassphrase] = useState(false);
  const passphrase = useRef<HTMLInputElement>(null);
  const repeat = useRef<HTMLInputElement>(null);
  const [notice, setNotice] = useState<string | undefined>();
  const [mismatch, setMismatch] = useState(false);
  const task = useTask();
  return (
    <form className="card" aria-labelledby="age-export-title" onSubmit={async (e) => {
      e.preventDefault();
      setNotice(undefined);
      const target = readTarget(usePassphrase, recipients, passphrase, repeat);
      setMismatch(target === undefined);
      if (!target) return;
      const saved = await task.run(() => call('ageExport', { key, ...target }));
      if (!saved) return;
      setNotice(saved.saved ? `Saved the encrypted backup to ${saved.path}.` : 'No file chosen; nothing was saved.');
      if (saved.saved) onExported();
    }}>
      <h2 id="age-export-title">Export a key as an age file</h2>
      <p>The file holds the key encrypted; <code>age -d</code> or any age tool opens it with the right identity or passphrase.</p>
      <div className="field">
        <label htmlFor="age-export-key">Key to export</label>
        <select id="age-export-key" value={key} onChange={(e) => setKey(e.target.value)} required>
          <option value="">Choose a key…</option>
          {keys.map((k) => <option key={k.id} value={k.id}>{k.name} ({k.id})</option>)}
        </select>
      </div>
      <TargetFields prefix="age-export" recipients={recipients} setRecipients={setRecipients} usePassphrase={usePassphrase}
        setUsePassphrase={setUsePassphrase} passphrase={passphrase} repeat={repeat} />
      {mismatch ? <p className="notice error" role="alert">The two passphrases differ; type them again.</p> : null}
      <button type="submit" disabled={task.busy || key === ''}>Export to a file…</button>
      {notice ? <p className="notice ok" role="status">{notice}</p> : null}
      {task.busy ? <Busy label="Encrypting" /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}

export type IdentityChoice = 'keychain' | 'file' | 'passphrase';

/** How to open an age file: this keychain's identity, an identity file (chosen in a dialog), or a passphrase. */
export function IdentityFields({ prefix, identity, setIdentity, passphrase }: {
  prefix: string;
  identity: IdentityChoice;
  setIdentity: (choice: IdentityChoice) => void;
  passphrase: RefObject<HTMLInputElement | null>;
}): ReactNode {
  const choices: Array<[IdentityChoice, string]> = [
    ['keychain', 'This custodian\'s age identity (in the keychain)'],
    ['file', 'An identity file (chosen next)'],
    ['passphrase', 'A passphrase'],
  ];
  return (
    <fieldset>
      <legend>Open it with</legend>
      {choices.map(([value, label]) => (
        <label className="check" key={value}>
          <input type="radio" name={`${prefix}-identity`} checked={identity === value} onChange={() => setIdentity(value)} /> {label}
        </label>
      ))}
      {identity === 'passphrase' ? <SecretField label="Passphrase of the file" inputRef={passphrase} /> : null}
    </fieldset>
  );
}

export function AgeImport({ onImported }: { onImported: (key: KeyView) => void }): ReactNode {
  const [name, setName] = useState('');
  const [identity, setIdentity] = useState<IdentityChoice>('keychain');
  const passphrase = useRef<HTMLInputElement>(null);
  const [notice, setNotice] = useState<string | undefined>();
  const task = useTask();
  return (
    <form className="card" aria-labelledby="age-import-title" onSubmit={async (e) => {
      e.preventDefault();
      setNotice(undefined);
      const secret = identity === 'passphrase' ? takeSecret(passphrase) ?? '' : undefined;
      const result = await task.run(() => call('ageImport', { name, identity, ...(secret !== undefined ? { passphrase: secret } : {}) }));
      if (!result) return;
      if (result.imported) { setNotice(`Imported "${result.key.name}" (${result.key.id}).`); setName(''); onImported(result.key); }
      else setNotice('No file chosen; nothing was imported.');
    }}>
      <h2 id="age-import-title">Import a key from an age file</h2>
      <Field label="Name for the imported key" value={name} onChange={setName} />
      <IdentityFields prefix="age-import" identity={identity} setIdentity={setIdentity} passphrase={passphrase} />
      <button type="submit" disabled={task.busy || name.trim() === ''}>Choose the file and import…</button>
      {notice ? <p className="notice ok" role="status">{notice}</p> : null}
      {task.busy ? <Busy label="Decrypting" /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}
