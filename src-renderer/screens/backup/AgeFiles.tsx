import { useRef, useState, type ReactNode, type RefObject } from 'react';
import type { KeyView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { Busy, ErrorNotice, Field } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { SecretField, takeSecret } from './SecretField.js';
import { t } from '../../i18n/index.js';

/** This custodian's age recipient: what another custodian encrypts a key to, so it arrives without plaintext. */
export function OwnRecipient({ onRecipient }: { onRecipient?: (recipient: string) => void }): ReactNode {
  const [recipient, setRecipient] = useState<string | undefined>();
  const [copied, setCopied] = useState<string | undefined>();
  const task = useTask();
  return (
    <section className="card" aria-labelledby="recipient-title">
      <h2 id="recipient-title">{t('ageFiles.thisCustodianSAgeRecipient')}</h2>
      <p>{t('ageFiles.giveItToAnotherCustodian')}</p>
      {recipient ? <p><code className="wrap" aria-label={t('ageFiles.ageRecipient')}>{recipient}</code></p> : null}
      <button type="button" disabled={task.busy} onClick={async () => {
        const shown = await task.run(() => call('ageRecipient', {}));
        if (shown) { setRecipient(shown.recipient); onRecipient?.(shown.recipient); }
      }}>{recipient ? t('ageFiles.refresh') : t('ageFiles.showRecipient')}</button>
      {recipient ? (
        <button type="button" className="secondary" onClick={async () => {
          const done = await task.run(() => call('copyText', { text: recipient }));
          if (done) setCopied(t('servers.copied', { seconds: done.clearsAfterSeconds }));
        }}>{t('ageFiles.copyRecipient')}</button>
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
      <legend>{t('ageFiles.whoCanOpenTheFile')}</legend>
      <label className="check"><input type="radio" name={`${prefix}-target`} checked={!usePassphrase} onChange={() => setUsePassphrase(false)} /> {t('ageFiles.recipientsAge1')}</label>
      <label className="check"><input type="radio" name={`${prefix}-target`} checked={usePassphrase} onChange={() => setUsePassphrase(true)} /> {t('ageFiles.aPassphrase')}</label>
      {usePassphrase ? (
        <>
          <SecretField label={t('ageFiles.backupPassphrase')} inputRef={passphrase} hint={t('ageFiles.atLeast10CharactersAge')} />
          <SecretField label={t('ageFiles.backupPassphraseAgain')} inputRef={repeat} />
        </>
      ) : (
        <Field label={t('ageFiles.recipientsOnePerLine')} multiline value={recipients} onChange={setRecipients} />
      )}
    </fieldset>
  );
}

type AgeTarget = { recipients: string[] } | { passphrase: string };

/**
 * The state behind TargetFields, for key export and the state backup: `read()` returns the recipients, or the
 * passphrase (both inputs cleared), and undefined when the two passphrases differ (`mismatch` then says so).
 */
export function useAgeTarget(passphraseFirst: boolean): {
  fields: Omit<Parameters<typeof TargetFields>[0], 'prefix'>;
  mismatch: boolean;
  read: () => AgeTarget | undefined;
} {
  const [recipients, setRecipients] = useState('');
  const [usePassphrase, setUsePassphrase] = useState(passphraseFirst);
  const passphrase = useRef<HTMLInputElement>(null);
  const repeat = useRef<HTMLInputElement>(null);
  const [mismatch, setMismatch] = useState(false);
  const read = (): AgeTarget | undefined => {
    let target: AgeTarget | undefined;
    if (!usePassphrase) target = { recipients: recipients.split(/\r?\n/).map((line) => line.trim()).filter(Boolean) };
    else {
      const first = takeSecret(passphrase) ?? '';
      const second = takeSecret(repeat) ?? '';
      target = first === second ? { passphrase: first } : undefined;
    }
    setMismatch(target === undefined);
    return target;
  };
  return { fields: { recipients, setRecipients, usePassphrase, setUsePassphrase, passphrase, repeat }, mismatch, read };
}

export function AgeExport({ keys, onExported }: { keys: KeyView[]; onExported: () => void }): ReactNode {
  const [key, setKey] = useState('');
  const target = useAgeTarget(false);
  const [notice, setNotice] = useState<string | undefined>();
  const task = useTask();
  return (
    <form className="card" aria-labelledby="age-export-title" onSubmit={async (e) => {
      e.preventDefault();
      setNotice(undefined);
      const chosen = target.read();
      if (!chosen) return;
      const saved = await task.run(() => call('ageExport', { key, ...chosen }));
      if (!saved) return;
      setNotice(saved.saved ? t('ageFiles.savedTo', { path: saved.path }) : t('stateBackup.noFile'));
      if (saved.saved) onExported();
    }}>
      <h2 id="age-export-title">{t('ageFiles.exportAKeyAsAn')}</h2>
      <p>{t('ageFiles.theFileHoldsTheKey')}<code>{t('ageFiles.ageD')}</code> {t('ageFiles.orAnyAgeToolOpens')}</p>
      <div className="field">
        <label htmlFor="age-export-key">{t('ageFiles.keyToExport')}</label>
        <select id="age-export-key" value={key} onChange={(e) => setKey(e.target.value)} required>
          <option value="">{t('ageFiles.chooseAKey')}</option>
          {keys.map((k) => <option key={k.id} value={k.id}>{k.name} ({k.id})</option>)}
        </select>
      </div>
      <TargetFields prefix="age-export" {...target.fields} />
      {target.mismatch ? <p className="notice error" role="alert">{t('ageFiles.theTwoPassphrasesDifferType')}</p> : null}
      <button type="submit" disabled={task.busy || key === ''}>{t('ageFiles.exportToAFile')}</button>
      {notice ? <p className="notice ok" role="status">{notice}</p> : null}
      {task.busy ? <Busy label={t('ageFiles.encrypting')} /> : null}
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
    ['keychain', t('ageFiles.identityKeychain')],
    ['file', t('ageFiles.identityFile')],
    ['passphrase', t('ageFiles.identityPassphrase')],
  ];
  return (
    <fieldset>
      <legend>{t('ageFiles.openItWith')}</legend>
      {choices.map(([value, label]) => (
        <label className="check" key={value}>
          <input type="radio" name={`${prefix}-identity`} checked={identity === value} onChange={() => setIdentity(value)} /> {label}
        </label>
      ))}
      {identity === 'passphrase' ? <SecretField label={t('ageFiles.passphraseOfTheFile')} inputRef={passphrase} /> : null}
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
      if (result.imported) { setNotice(t('keys.imported', { name: result.key.name, id: result.key.id })); setName(''); onImported(result.key); }
      else setNotice(t('ageFiles.noFileImported'));
    }}>
      <h2 id="age-import-title">{t('ageFiles.importAKeyFromAn')}</h2>
      <Field label={t('ageFiles.nameForTheImportedKey')} value={name} onChange={setName} />
      <IdentityFields prefix="age-import" identity={identity} setIdentity={setIdentity} passphrase={passphrase} />
      <button type="submit" disabled={task.busy || name.trim() === ''}>{t('ageFiles.chooseTheFileAndImport')}</button>
      {notice ? <p className="notice ok" role="status">{notice}</p> : null}
      {task.busy ? <Busy label={t('ageFiles.decrypting')} /> : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}
