import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { VaultKvSecretView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { ConfirmButton } from '../../components/Confirm.js';
import { Busy, ErrorNotice, Field } from '../../components/common.js';
import { SecretField, type SecretHandle } from '../../components/SecretField.js';
import { useTask, type ClusterTarget } from '../../hooks.js';
import { t } from '../../i18n/index.js';
import { withPresence } from '../../presence.js';

/**
 * An application's secrets in a KV v2 mount, as `custodian vault kv`: list a prefix, a secret's field names,
 * fingerprints and versions; a value only on request, after presence, cleared after the clipboard delay (and
 * on lock, which re-mounts the screen). The token stays in its uncontrolled field (never React state) and is
 * read for each call; generated passwords are made in main and shown only through a reveal.
 */
export function KvSecrets({ target }: { target: ClusterTarget }): ReactNode {
  const token = useRef<SecretHandle>(null);
  const [filled, setFilled] = useState(false);
  const [mount, setMount] = useState('secret');
  const [prefix, setPrefix] = useState('');
  const [keys, setKeys] = useState<string[] | undefined>();
  const [secret, setSecret] = useState<VaultKvSecretView | undefined>();
  const [revealed, setRevealed] = useState<{ field: string; value: string; seconds: number } | undefined>();
  const [newPath, setNewPath] = useState('');
  const [newField, setNewField] = useState('password');
  const [notice, setNotice] = useState<string | undefined>();
  const task = useTask();
  const request = target.profile ? { addrs: target.addrs, profile: target.profile } : { addrs: target.addrs };
  const ready = filled && target.addrs.length > 0 && !task.busy;

  useEffect(() => {
    if (!revealed) return;
    const id = setTimeout(() => setRevealed(undefined), revealed.seconds * 1000);
    return () => clearTimeout(id);
  }, [revealed]);

  const run = async <T,>(use: (typed: string) => Promise<T>): Promise<T | undefined> => {
    setNotice(undefined);
    return task.run(() => use(token.current?.read().trim() ?? ''));
  };
  const list = async (): Promise<void> => {
    const result = await run((typed) => call('vaultKvList', { ...request, token: typed, mount, prefix }));
    if (result) setKeys(result.keys);
  };
  const open = async (path: string): Promise<void> => {
    setRevealed(undefined);
    const result = await run((typed) => call('vaultKvGet', { ...request, token: typed, mount, path }));
    if (result) setSecret(result);
  };

  return (
    <section className="card" aria-labelledby="kv-title">
      <h2 id="kv-title">{t('kv.title')}</h2>
      <p>{t('kv.intro')}</p>
      <SecretField label={t('kv.vaultToken')} handle={token} onFilledChange={setFilled} hint={t('kv.tokenHint')} />
      <Field label={t('kv.mount')} value={mount} onChange={setMount} />
      <Field label={t('kv.prefix')} value={prefix} onChange={setPrefix} hint={t('kv.prefixHint')} />
      <div className="buttons">
        <button type="button" disabled={!ready} onClick={() => void list()}>{t('kv.list')}</button>
      </div>
      {keys ? (
        keys.length === 0 ? <p role="status">{t('kv.nothingHere')}</p> : (
          <ul className="results" aria-label={t('kv.secrets')}>
            {keys.map((key) => (
              <li key={key}>
                {key.endsWith('/')
                  ? <button type="button" disabled={!ready} onClick={() => { setPrefix(`${prefix}${key}`); setKeys(undefined); }}>{`${prefix}${key}`}</button>
                  : <button type="button" disabled={!ready} onClick={() => void open(`${prefix}${key}`)}>{`${prefix}${key}`}</button>}
              </li>
            ))}
          </ul>
        )
      ) : null}
      {secret ? (
        <div role="group" aria-label={t('kv.secretNamed', { path: secret.path })}>
          <h3>{secret.path}</h3>
          <p>{t('kv.versionCreated', { version: secret.version, created: secret.createdTime ?? '—' })}</p>
          {secret.fields.length === 0 ? <p>{t('kv.latestDeleted')}</p> : (
            <table>
              <thead><tr><th scope="col">{t('kv.field')}</th><th scope="col">{t('kv.fingerprint')}</th><th scope="col">{t('kv.value')}</th></tr></thead>
              <tbody>
                {secret.fields.map((f) => (
                  <tr key={f.name}>
                    <td><code>{f.name}</code></td>
                    <td><code>{f.fingerprint}</code></td>
                    <td>
                      {revealed?.field === f.name
                        ? <code aria-label={t('kv.revealedValue', { field: f.name })}>{revealed.value}</code>
                        : <button type="button" disabled={!ready} aria-label={t('kv.revealField', { field: f.name })} onClick={async () => {
                          const result = await run((typed) => withPresence(() => call('vaultKvReveal', { ...request, token: typed, mount, path: secret.path, field: f.name })));
                          if (result) setRevealed({ field: result.field, value: result.value, seconds: result.clearsAfterSeconds });
                        }}>{t('kv.reveal')}</button>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {revealed ? <p role="status">{t('kv.clearsAfter', { seconds: revealed.seconds })}</p> : null}
          <ul aria-label={t('kv.versions')}>
            {secret.versions.map((v) => (
              <li key={v.version}>{t(v.destroyed ? 'kv.versionDestroyed' : v.deletionTime ? 'kv.versionDeleted' : 'kv.versionLive', { version: v.version, created: v.createdTime ?? '—', deleted: v.deletionTime ?? '' })}</li>
            ))}
          </ul>
          <div className="buttons">
            <ConfirmButton label={t('kv.delete')} disabled={!ready || secret.fields.length === 0}
              title={t('kv.deleteTitle', { path: secret.path })}
              message={<p>{t('kv.deleteMessage')}</p>}
              confirmLabel={t('kv.deleteNow')}
              onConfirm={async () => {
                const result = await run((typed) => call('vaultKvDelete', { ...request, token: typed, mount, path: secret.path }));
                if (result) {
                  // open() clears the notice: re-read first, then say what was done.
                  await open(secret.path);
                  setNotice(t('kv.deleted', { path: secret.path, versions: result.versions.join(', ') }));
                }
              }} />
            <button type="button" onClick={() => { setSecret(undefined); setRevealed(undefined); }}>{t('kv.close')}</button>
          </div>
        </div>
      ) : null}
      <h3>{t('kv.generateTitle')}</h3>
      <p>{t('kv.generateIntro')}</p>
      <Field label={t('kv.path')} value={newPath} onChange={setNewPath} hint={t('kv.pathHint')} />
      <Field label={t('kv.fieldName')} value={newField} onChange={setNewField} />
      <div className="buttons">
        <button type="button" disabled={!ready || !newPath || !newField} onClick={async () => {
          const result = await run((typed) => call('vaultKvPut', { ...request, token: typed, mount, path: newPath, generate: [{ field: newField, length: 32 }], values: [] }));
          if (result) {
            await open(newPath);
            setNotice(t('kv.written', { path: newPath, version: result.version }));
          }
        }}>{t('kv.generateAndWrite')}</button>
      </div>
      {task.busy ? <Busy label={t('kv.asking')} /> : null}
      {notice ? <p className="notice ok" role="status">{notice}</p> : null}
      <ErrorNotice error={task.error} />
    </section>
  );
}
