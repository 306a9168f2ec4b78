import { useEffect, useState, type ReactNode } from 'react';
import type { AuditEntryView, AuditExported, AuditVerifyView } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { Busy, ErrorNotice, Field } from '../components/common.js';
import { useTask } from '../hooks.js';
import { t } from '../i18n/index.js';
import { EntryDetail } from './audit/EntryDetail.js';

/**
 * The Audit screen (issue 13 §3): the signed audit log as `custodian audit log|verify|export` shows it. A timeline
 * (newest first) with action and time filters; Verify with the verdict (OK, or the first entry that fails and
 * why); one entry's detail, a ceremony transcript as a table of holders; export of the log or of one entry with
 * its inclusion proof into a directory chosen in main's dialog. Reading records nothing.
 */
export function Audit(): ReactNode {
  const [action, setAction] = useState('');
  const [since, setSince] = useState('');
  const [entries, setEntries] = useState<AuditEntryView[] | undefined>();
  const [selected, setSelected] = useState<AuditEntryView | undefined>();
  const [verdict, setVerdict] = useState<AuditVerifyView | undefined>();
  const [exported, setExported] = useState<AuditExported | undefined>();
  const load = useTask();
  const verify = useTask();
  const exporting = useTask();

  const refresh = async (): Promise<void> => {
    const result = await load.run(() => call('auditLog', { ...(action.trim() ? { action: action.trim() } : {}), ...(since.trim() ? { since: since.trim() } : {}) }));
    if (result) setEntries([...result.entries].reverse());
  };
  useEffect(() => { void refresh(); }, []);

  const exportLog = async (entry?: number): Promise<void> => {
    setExported(undefined);
    const result = await exporting.run(() => call('auditExport', entry === undefined ? {} : { entry }));
    if (result) setExported(result);
  };

  return (
    <>
      <h1>{t('audit.title')}</h1>
      <section className="card" aria-labelledby="audit-verify-title">
        <h2 id="audit-verify-title">{t('audit.verifyTitle')}</h2>
        <p>{t('audit.verifyLead')}</p>
        <button type="button" disabled={verify.busy} onClick={async () => {
          setVerdict(undefined);
          const result = await verify.run(() => call('auditVerify', {}));
          if (result) setVerdict(result);
        }}>{t('audit.verify')}</button>
        {verify.busy ? <Busy label={t('audit.verifying')} /> : null}
        {verdict ? <Verdict verdict={verdict} /> : null}
        <ErrorNotice error={verify.error} />
      </section>

      <section className="card" aria-labelledby="audit-timeline-title">
        <h2 id="audit-timeline-title">{t('audit.timelineTitle')}</h2>
        <form aria-label={t('audit.filters')} onSubmit={(e) => { e.preventDefault(); void refresh(); }}>
          <Field label={t('audit.filterAction')} value={action} onChange={setAction} hint={t('audit.filterActionHint')} />
          <Field label={t('audit.filterSince')} value={since} onChange={setSince} hint={t('audit.filterSinceHint')} />
          <button type="submit" disabled={load.busy}>{t('audit.show')}</button>
        </form>
        <ErrorNotice error={load.error} />
        {load.busy ? <Busy label={t('audit.loading')} /> : null}
        {entries && entries.length === 0 ? <p role="status">{t('audit.noEntries')}</p> : null}
        {entries && entries.length > 0 ? (
          <table aria-label={t('audit.timelineTitle')}>
            <thead>
              <tr><th scope="col">#</th><th scope="col">{t('audit.time')}</th><th scope="col">{t('audit.action')}</th><th scope="col">{t('audit.outcome')}</th><th scope="col">{t('audit.who')}</th><th scope="col"><span className="visually-hidden">{t('audit.details')}</span></th></tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.seq} data-seq={entry.seq} data-action={entry.action}>
                  <td>{entry.seq}</td>
                  <td><time dateTime={entry.time}>{new Date(entry.time).toLocaleString()}</time></td>
                  <td>{entry.action}</td>
                  <td>{entry.outcome === 'ok' ? t('audit.outcomeOk') : t('audit.outcomeError')}</td>
                  <td>{entry.by ? `${entry.by.user ?? '?'}@${entry.by.host ?? '?'} (${entry.by.source ?? '?'})` : ''}</td>
                  <td><button type="button" className="link" aria-label={t('audit.detailsOf', { seq: entry.seq })} onClick={() => setSelected(entry)}>{t('audit.details')}</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>

      {selected ? <EntryDetail entry={selected} onClose={() => setSelected(undefined)} onExport={() => exportLog(selected.seq)} busy={exporting.busy} /> : null}

      <section className="card" aria-labelledby="audit-export-title">
        <h2 id="audit-export-title">{t('audit.exportTitle')}</h2>
        <p>{t('audit.exportLead')}</p>
        <button type="button" disabled={exporting.busy} onClick={() => exportLog()}>{t('audit.exportLog')}</button>
        {exporting.busy ? <Busy label={t('audit.exporting')} /> : null}
        {exported ? (
          <p className="notice ok" role="status">{exported.saved
            ? t('audit.exported', { directory: exported.directory, files: exported.files.join(', ') })
            : t('audit.nothingExported')}</p>
        ) : null}
        <ErrorNotice error={exporting.error} />
      </section>
    </>
  );
}

function Verdict({ verdict }: { verdict: AuditVerifyView }): ReactNode {
  if (verdict.ok) {
    return (
      <div className="notice ok" role="status" data-verdict="ok">
        <p><strong>{t('audit.verifiedOk', { entries: verdict.entries })}</strong></p>
        <p className="code">{t('audit.root', { root: verdict.root ?? '-' })}</p>
        {verdict.warnings.map((warning) => <p key={warning}>{t('audit.warning', { warning })}</p>)}
      </div>
    );
  }
  const failure = verdict.failure;
  return (
    <div className="notice error" role="alert" data-verdict="failed" data-entry={failure?.entry ?? ''} data-reason={failure?.reason ?? ''}>
      <p><strong>{failure?.entry === null || failure === null
        ? t('audit.failedLog', { reason: failure?.reason ?? '?' })
        : t('audit.failedEntry', { entry: failure.entry, reason: failure.reason })}</strong></p>
      {failure ? <p>{failure.detail}</p> : null}
      <p>{t('audit.failedHint')}</p>
    </div>
  );
}
