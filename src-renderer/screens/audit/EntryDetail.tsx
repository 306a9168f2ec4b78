import type { ReactNode } from 'react';
import type { AuditEntryView } from '../../../src-shared/contract.js';
import { t } from '../../i18n/index.js';

interface TranscriptHolder { turn: number; shareIndex: number | null; name?: string; result: string }
interface TranscriptNode { address: string; result: string }

const SHOWN_APART = new Set(['seq', 'time', 'action', 'outcome', 'by', 'prev']);

/**
 * One audit entry. A ceremony transcript (`vault.transcript`) shows as what it is: ceremony, id, fingerprint,
 * cluster, a table of the holders (name as typed, the share's Shamir index, what happened to it), the per-node
 * results and the final state; any other entry as its fields. Export writes the entry with its inclusion proof.
 */
export function EntryDetail({ entry, onClose, onExport, busy }: { entry: AuditEntryView; onClose: () => void; onExport: () => void; busy: boolean }): ReactNode {
  const transcript = entry.action === 'vault.transcript';
  const holders = Array.isArray(entry['holders']) ? entry['holders'] as TranscriptHolder[] : [];
  const nodes = Array.isArray(entry['nodes']) ? entry['nodes'] as unknown[] : [];
  return (
    <section className="card" aria-labelledby="audit-entry-title">
      <h2 id="audit-entry-title">{transcript ? t('audit.transcriptTitle', { seq: entry.seq }) : t('audit.entryTitle', { seq: entry.seq })}</h2>
      <dl>
        <dt>{t('audit.time')}</dt><dd><time dateTime={entry.time}>{new Date(entry.time).toLocaleString()}</time></dd>
        <dt>{t('audit.action')}</dt><dd>{entry.action}</dd>
        <dt>{t('audit.outcome')}</dt><dd>{entry.outcome === 'ok' ? t('audit.outcomeOk') : t('audit.outcomeError')}</dd>
        {entry.by ? <><dt>{t('audit.who')}</dt><dd>{`${entry.by.user ?? '?'}@${entry.by.host ?? '?'} (${entry.by.source ?? '?'})`}{entry.by.custodian ? ` ${entry.by.custodian}` : ''}</dd></> : null}
        {transcript ? (
          <>
            <dt>{t('audit.ceremony')}</dt><dd>{String(entry['ceremony'] ?? '')}</dd>
            <dt>{t('audit.ceremonyId')}</dt><dd className="code">{String(entry['ceremonyId'] ?? '')}</dd>
            {entry['fingerprint'] ? <><dt>{t('audit.fingerprint')}</dt><dd className="code">{String(entry['fingerprint'])}</dd></> : null}
            <dt>{t('audit.cluster')}</dt><dd>{Array.isArray(entry['cluster']) ? (entry['cluster'] as string[]).join(', ') : ''}</dd>
            <dt>{t('audit.finalState')}</dt><dd>{String(entry['state'] ?? '')}</dd>
          </>
        ) : Object.entries(entry).filter(([key]) => !SHOWN_APART.has(key)).map(([key, value]) => (
          <FieldRow key={key} name={key} value={value} />
        ))}
      </dl>
      {transcript ? (
        <>
          <table aria-label={t('audit.holders')}>
            <thead><tr><th scope="col">{t('audit.turn')}</th><th scope="col">{t('audit.holderName')}</th><th scope="col">{t('audit.shareIndex')}</th><th scope="col">{t('audit.result')}</th></tr></thead>
            <tbody>
              {holders.map((holder) => (
                <tr key={holder.turn}>
                  <td>{holder.turn}</td>
                  <td>{holder.name ?? t('audit.unnamed')}</td>
                  <td>{holder.shareIndex ?? t('audit.indexUnknown')}</td>
                  <td>{holder.result}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <table aria-label={t('audit.nodes')}>
            <thead><tr><th scope="col">{t('audit.node')}</th><th scope="col">{t('audit.result')}</th></tr></thead>
            <tbody>
              {nodes.map((node, index) => {
                const view = typeof node === 'object' && node !== null ? node as TranscriptNode : { address: String(node), result: '' };
                return <tr key={index}><td>{view.address}</td><td>{view.result}</td></tr>;
              })}
            </tbody>
          </table>
          <p>{t('audit.transcriptExplained')}</p>
        </>
      ) : null}
      <div className="buttons">
        <button type="button" disabled={busy} onClick={onExport}>{t('audit.exportEntry')}</button>
        <button type="button" className="secondary" onClick={onClose}>{t('audit.close')}</button>
      </div>
    </section>
  );
}

function FieldRow({ name, value }: { name: string; value: unknown }): ReactNode {
  return <><dt>{name}</dt><dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd></>;
}
