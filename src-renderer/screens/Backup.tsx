import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { AppInfo, BackupHandoutView, KeyView } from '../../src-shared/contract.js';
import { call } from '../api.js';
import { ErrorNotice, NotAvailable } from '../components/common.js';
import { useTask } from '../hooks.js';
import { AgeExport, AgeImport, OwnRecipient } from './backup/AgeFiles.js';
import { Handout } from './backup/Handout.js';
import { RestoreWizard } from './backup/Restore.js';
import { SplitForm } from './backup/Split.js';
import { StateBackup } from './backup/StateBackup.js';
import { t, type MessageKey } from '../i18n/index.js';

type Tab = 'split' | 'restore' | 'drill' | 'age' | 'state';
const TABS: Array<{ id: Tab; label: MessageKey }> = [
  { id: 'split', label: 'backup.tabSplit' },
  { id: 'restore', label: 'backup.tabRestore' },
  { id: 'drill', label: 'backup.tabDrill' },
  { id: 'age', label: 'backup.tabAge' },
  { id: 'state', label: 'backup.tabState' },
];

/**
 * Backup and recovery: SLIP-39 paper shares handed out holder by holder, the restore wizard and drills, age
 * files (export/import, this custodian's recipient) and the custodian's state backup. Hand-outs and restores
 * live in main; this screen re-attaches to them when it is shown again.
 */
export function Backup({ info }: { info: AppInfo | undefined }): ReactNode {
  const [tab, setTab] = useState<Tab>('split');
  const [keys, setKeys] = useState<KeyView[]>([]);
  const [handouts, setHandouts] = useState<BackupHandoutView[]>([]);
  const [notice, setNotice] = useState<string | undefined>();
  const load = useTask();
  const refresh = useCallback(() => load.run(async () => {
    setKeys(await call('listKeys', {}));
    setHandouts(await call('backupHandouts', {}));
  }), [load.run]);
  useEffect(() => { void refresh(); }, [refresh]);

  if (info && !info.features.keys.available) return <NotAvailable feature={info.features.keys} title={t('backup.backup')} />;
  const handout = handouts[0];
  return (
    <div className="screen">
      <h1>{t('backup.backup')}</h1>
      <p className="lead">{t('backup.paperSharesAnySlip39')}</p>
      {notice ? <p className="notice ok" role="status">{notice}</p> : null}
      <ErrorNotice error={load.error} />
      <div className="tabs" role="group" aria-label={t('backup.backupTask')}>
        {TABS.map((tabItem) => (
          <button key={tabItem.id} type="button" aria-pressed={tab === tabItem.id} onClick={() => { setTab(tabItem.id); setNotice(undefined); }}>{t(tabItem.label)}</button>
        ))}
      </div>
      {tab === 'split' ? (
        <section className="card" aria-label={t('backup.paperShares')}>
          {handout ? (
            <Handout key={handout.handoutId} initial={handout} onEnded={(ended, view) => {
              setNotice(`${t('backup.handoutEnded', { key: view.keyName, confirmed: ended.confirmed, total: view.total })}${ended.missing.length > 0 ? t('backup.handoutMissing', { names: ended.missing.join(', ') }) : ''}. ${ended.backedUp ? t('backup.handoutBackedUp') : t('backup.handoutNotBackedUp')}`);
              void refresh();
            }} />
          ) : (
            <SplitForm keys={keys} onStarted={(view) => setHandouts([view])} />
          )}
        </section>
      ) : null}
      {tab === 'restore' ? (
        <section className="card" aria-label={t('backup.restoreFromShares')}>
          <RestoreWizard key="restore" mode="restore" keys={keys} onDone={() => void refresh()} />
        </section>
      ) : null}
      {tab === 'drill' ? (
        <section className="card" aria-label={t('backup.drills')}>
          <RestoreWizard key="drill" mode="drill" keys={keys} onDone={() => void refresh()} />
        </section>
      ) : null}
      {tab === 'age' ? (
        <>
          <OwnRecipient />
          <div className="columns">
            <AgeExport keys={keys} onExported={() => void refresh()} />
            <AgeImport onImported={() => void refresh()} />
          </div>
        </>
      ) : null}
      {tab === 'state' ? <StateBackup onChanged={() => void refresh()} /> : null}
    </div>
  );
}
