import { useId, useState, type ReactNode } from 'react';
import type { FernetDecrypted, FernetEncrypted, FernetRotated, KeyView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { Busy, ErrorNotice, Field, fieldErrors } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { t, type MessageKey } from '../../i18n/index.js';
import { withPresence } from '../../presence.js';

type Operation = 'encrypt' | 'decrypt' | 'rotate';
const OPERATIONS: Array<{ id: Operation; label: MessageKey }> = [
  { id: 'encrypt', label: 'fernetFiles.tabEncrypt' },
  { id: 'decrypt', label: 'fernetFiles.tabDecrypt' },
  { id: 'rotate', label: 'fernetFiles.tabRotate' },
];

/**
 * Keys screen, "Encrypt and decrypt files": `custodian fernet encrypt|decrypt|rotate` on files. The window only
 * names the key(s); main opens the file dialogs, reads and writes the files and answers with a summary, so no
 * file content and no key byte ever reaches this window.
 */
export function FernetFiles({ keys }: { keys: KeyView[] }): ReactNode {
  const [operation, setOperation] = useState<Operation>('encrypt');
  return (
    <section className="card" aria-labelledby="fernet-files-title">
      <h2 id="fernet-files-title">{t('fernetFiles.title')}</h2>
      <p>{t('fernetFiles.lead')}</p>
      <div className="tabs" role="group" aria-label={t('fernetFiles.operation')}>
        {OPERATIONS.map((item) => (
          <button key={item.id} type="button" aria-pressed={operation === item.id} onClick={() => setOperation(item.id)}>{t(item.label)}</button>
        ))}
      </div>
      {operation === 'encrypt' ? <EncryptFile keys={keys} /> : null}
      {operation === 'decrypt' ? <DecryptFile keys={keys} /> : null}
      {operation === 'rotate' ? <RotateFile keys={keys} /> : null}
    </section>
  );
}

/** A select of the keychain's keys; `any` adds a first option with the empty value. */
function KeySelect({ label, value, onChange, keys, any }: {
  label: string; value: string; onChange: (value: string) => void; keys: KeyView[]; any?: string;
}): ReactNode {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} required={any === undefined}>
        <option value="">{any ?? t('ageFiles.chooseAKey')}</option>
        {keys.map((k) => <option key={k.id} value={k.id}>{k.name} ({k.id})</option>)}
      </select>
    </div>
  );
}

const NOTHING_WRITTEN = (): string => t('fernetFiles.nothingWritten');

function EncryptFile({ keys }: { keys: KeyView[] }): ReactNode {
  const [key, setKey] = useState('');
  const [done, setDone] = useState<FernetEncrypted | undefined>();
  const task = useTask();
  return (
    <form aria-labelledby="fernet-encrypt-title" onSubmit={async (e) => {
      e.preventDefault();
      setDone(undefined);
      const result = await task.run(() => call('fernetEncrypt', { key }));
      if (result) setDone(result);
    }}>
      <h3 id="fernet-encrypt-title">{t('fernetFiles.encryptTitle')}</h3>
      <p>{t('fernetFiles.encryptExplained')}</p>
      <KeySelect label={t('fernetFiles.keyToEncryptWith')} value={key} onChange={setKey} keys={keys} />
      <button type="submit" disabled={task.busy || key === ''}>{t('fernetFiles.chooseAndEncrypt')}</button>
      {task.busy ? <Busy label={t('ageFiles.encrypting')} /> : null}
      {done ? (
        <p className="notice ok" role="status">{done.saved
          ? t('fernetFiles.encrypted', { input: done.input, inputBytes: done.inputBytes, name: done.key.name, id: done.key.id, output: done.output, outputBytes: done.outputBytes })
          : NOTHING_WRITTEN()}</p>
      ) : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}

function DecryptFile({ keys }: { keys: KeyView[] }): ReactNode {
  const [key, setKey] = useState('');
  const [ttl, setTtl] = useState('');
  const [done, setDone] = useState<FernetDecrypted | undefined>();
  const task = useTask();
  const errors = fieldErrors(task.error);
  return (
    <form aria-labelledby="fernet-decrypt-title" onSubmit={async (e) => {
      e.preventDefault();
      setDone(undefined);
      const maxAge = ttl.trim() === '' ? undefined : Number(ttl.trim());
      // Decrypting writes plaintext to disk: main asks for presence first (as before revealing a key).
      const result = await task.run(() => withPresence(() => call('fernetDecrypt', {
        ...(key ? { key } : {}), ...(maxAge === undefined ? {} : { ttl: maxAge }),
      })));
      if (result) setDone(result);
    }}>
      <h3 id="fernet-decrypt-title">{t('fernetFiles.decryptTitle')}</h3>
      <p>{t('fernetFiles.decryptExplained')}</p>
      <KeySelect label={t('fernetFiles.keyToDecryptWith')} value={key} onChange={setKey} keys={keys} any={t('fernetFiles.anyKey')} />
      <Field label={t('fernetFiles.maximumAge')} value={ttl} onChange={setTtl} type="text" hint={t('fernetFiles.maximumAgeHint')} error={errors['ttl']} />
      <button type="submit" disabled={task.busy || keys.length === 0}>{t('fernetFiles.chooseAndDecrypt')}</button>
      {task.busy ? <Busy label={t('ageFiles.decrypting')} /> : null}
      {done ? (
        <p className="notice ok" role="status">{done.saved
          ? t('fernetFiles.decrypted', { input: done.input, name: done.decryptedBy.name, id: done.decryptedBy.id, output: done.output, outputBytes: done.outputBytes, created: new Date(done.created).toLocaleString() })
          : NOTHING_WRITTEN()}</p>
      ) : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}

function RotateFile({ keys }: { keys: KeyView[] }): ReactNode {
  const [key, setKey] = useState('');
  const [previous, setPrevious] = useState('');
  const [done, setDone] = useState<FernetRotated | undefined>();
  const task = useTask();
  return (
    <form aria-labelledby="fernet-rotate-title" onSubmit={async (e) => {
      e.preventDefault();
      setDone(undefined);
      const result = await task.run(() => call('fernetRotate', { key, ...(previous ? { previous: [previous] } : {}) }));
      if (result) setDone(result);
    }}>
      <h3 id="fernet-rotate-title">{t('fernetFiles.rotateTitle')}</h3>
      <p>{t('fernetFiles.rotateExplained')}</p>
      <KeySelect label={t('fernetFiles.newKey')} value={key} onChange={setKey} keys={keys} />
      <KeySelect label={t('fernetFiles.previousKey')} value={previous} onChange={setPrevious} keys={keys.filter((k) => k.id !== key)} any={t('fernetFiles.anyOtherKey')} />
      <button type="submit" disabled={task.busy || key === ''}>{t('fernetFiles.chooseAndRotate')}</button>
      {task.busy ? <Busy label={t('fernetFiles.reEncrypting')} /> : null}
      {done ? (
        <div className="notice ok" role="status">
          {done.saved ? (
            <>
              <p>{done.tokens === 1
                ? t('fernetFiles.rotatedOne', { input: done.input, name: done.key.name, id: done.key.id, output: done.output })
                : t('fernetFiles.rotated', { tokens: done.tokens, input: done.input, name: done.key.name, id: done.key.id, output: done.output })}</p>
              <ul aria-label={t('fernetFiles.openedBy')}>
                {done.decryptedBy.map((entry) => (
                  <li key={entry.id}>{entry.tokens === 1
                    ? t('fernetFiles.openedByKeyOne', { name: entry.name, id: entry.id })
                    : t('fernetFiles.openedByKey', { name: entry.name, id: entry.id, tokens: entry.tokens })}</li>
                ))}
              </ul>
            </>
          ) : <p>{NOTHING_WRITTEN()}</p>}
        </div>
      ) : null}
      <ErrorNotice error={task.error} />
    </form>
  );
}
