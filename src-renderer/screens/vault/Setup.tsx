import { useRef, useState, type ReactNode } from 'react';
import type { VaultSetupDiffView, VaultSetupReportView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { ConfirmButton } from '../../components/Confirm.js';
import { Busy, ErrorNotice, Field } from '../../components/common.js';
import { SecretField, type SecretHandle } from '../../components/SecretField.js';
import { useTask, type ClusterTarget } from '../../hooks.js';
import { t } from '../../i18n/index.js';

/** The catalogue keys of each step state and outcome (a table, so that every key is visibly used). */
const STATE = {
  present: 'setup.state.present', missing: 'setup.state.missing', different: 'setup.state.different', conflict: 'setup.state.conflict', skipped: 'setup.state.skipped',
} as const;
const OUTCOME = {
  unchanged: 'setup.outcome.unchanged', applied: 'setup.outcome.applied', failed: 'setup.outcome.failed', 'not-run': 'setup.outcome.not-run', skipped: 'setup.outcome.skipped',
} as const;

/**
 * `custodian vault setup` (docs/vault-setup.md): the plan against the cluster (present, missing, different,
 * conflict), then apply with a result per step. The token is typed into an uncontrolled field, read once for each
 * call and cleared at once (never in React state); it is revoked at the end unless "keep the token" is ticked.
 */
export function VaultSetup({ target }: { target: ClusterTarget }): ReactNode {
  const token = useRef<SecretHandle>(null);
  const [filled, setFilled] = useState(false);
  const [app, setApp] = useState('mail-helper');
  const [auditFile, setAuditFile] = useState('/var/log/openbao/audit.log');
  const [keepToken, setKeepToken] = useState(false);
  const [diff, setDiff] = useState<VaultSetupDiffView | undefined>();
  const [report, setReport] = useState<VaultSetupReportView | undefined>();
  const task = useTask();
  const request = target.profile ? { addrs: target.addrs, profile: target.profile } : { addrs: target.addrs };
  const ready = filled && target.addrs.length > 0 && !task.busy;
  const run = async <T,>(use: (typed: string) => Promise<T>): Promise<T | undefined> => {
    const typed = token.current?.read().trim() ?? '';
    token.current?.clear();
    return task.run(() => use(typed));
  };
  const body = (typed: string) => ({ ...request, token: typed, app, auditFilePath: auditFile, keepToken });
  const shown = report ?? diff;

  return (
    <section className="card" aria-labelledby="setup-title">
      <h2 id="setup-title">{t('setup.title')}</h2>
      <p>{t('setup.intro')}</p>
      <Field label={t('setup.app')} value={app} onChange={(v) => { setApp(v); setDiff(undefined); setReport(undefined); }} hint={t('setup.appHint')} />
      <Field label={t('setup.auditFile')} value={auditFile} onChange={setAuditFile} hint={t('setup.auditFileHint')} />
      <SecretField label={t('setup.vaultToken')} handle={token} onFilledChange={setFilled} hint={t('setup.tokenHint')} />
      <label className="checkbox">
        <input type="checkbox" checked={keepToken} onChange={(e) => setKeepToken(e.target.checked)} /> {t('setup.keepToken')}
      </label>
      <div className="buttons">
        <button type="button" disabled={!ready} onClick={async () => {
          setReport(undefined);
          const result = await run((typed) => call('vaultSetupPlan', body(typed)));
          if (result) setDiff(result);
        }}>{t('setup.showDifference')}</button>
        <ConfirmButton label={t('setup.apply')} disabled={!ready}
          title={t('setup.applyTitle', { app })}
          message={<p>{keepToken ? t('setup.applyKeeps') : t('setup.applyRevokes')}</p>}
          confirmLabel={t('setup.applyNow')}
          onConfirm={async () => {
            const result = await run((typed) => call('vaultSetupApply', body(typed)));
            if (result) setReport(result);
          }} />
      </div>
      {task.busy ? <Busy label={t('setup.asking')} /> : null}
      {shown ? (
        <table aria-label={t('setup.planTable')}>
          <thead><tr><th>{t('setup.step')}</th><th>{t('setup.state')}</th><th>{t('setup.what')}</th>{report ? <th>{t('setup.result')}</th> : null}</tr></thead>
          <tbody>
            {shown.steps.map((step) => {
              const result = report?.results.find((r) => r.id === step.id);
              return (
                <tr key={step.id} className={step.state}>
                  <td><code>{step.target}</code></td>
                  <td>{t(STATE[step.state])}</td>
                  <td>{step.summary}{step.differences.length ? <ul>{step.differences.map((d) => <li key={d}>{d}</li>)}</ul> : null}</td>
                  {report ? <td>{result ? `${t(OUTCOME[result.outcome])}${result.detail ? `: ${result.detail}` : ''}` : ''}</td> : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {diff && !report ? (
        <p role="status">{diff.conflicts > 0 ? t('setup.conflicts', { count: diff.conflicts }) : diff.changes === 0 ? t('setup.nothingToChange') : t('setup.changes', { count: diff.changes })}
          {diff.missingCapabilities.length > 0 ? ` ${t('setup.tokenLacks', { list: diff.missingCapabilities.map((m) => `${m.capability} on ${m.path}`).join('; ') })}` : ''}</p>
      ) : null}
      {report ? (
        <p className="notice ok" role="status">{report.changed ? t('setup.applied', { app: report.app }) : t('setup.unchanged', { app: report.app })} {report.tokenRevoked ? t('setup.revoked') : t('setup.kept')}</p>
      ) : null}
      <ErrorNotice error={task.error} />
    </section>
  );
}
