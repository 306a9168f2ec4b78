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

type Tab = 'split' | 'restore' | 'drill' | 'age' | 'state';
const TABS: Array<{ id: Tab; label: string }> = [
  { id: 'split', label: 'Paper shares' },
  { id: 'restore', label: 'Restore' },
  { id: 'drill', label: 'Drill' },
  { id: 'age', label: 'Encrypted files' },
  { id: 'state', label: 'Custodian state' },
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

  if (info && !info.features.keys.available) return <NotAvailable feature={info.features.keys} title="Backup" />;
  const handout = handouts[0];
  return (
    <div className="screen">
      <h1>Backup</h1>
      <p className="lead">Paper shares any SLIP-39 tool can recover, encrypted age files, yearly drills, and this custodian's own state.</p>
      {notice ? <p className="notice ok" role="status">{notice}</p> : null}
      <ErrorNotice error={load.error} />
      <div className="tabs" role="group" aria-label="Backup task">
        {TABS.map((t) => (
          <button key={t.id} type="button" aria-pressed={tab === t.id} onClick={() => { setTab(t.id); setNotice(undefined); }}>{t.label}</button>
        ))}
      </div>
      {tab === 'split' ? (
        <section className="card" aria-label="Paper shares">
          {handout ? (
            <Handout key={handout.handoutId} initial={handout} onEnded={(ended, view) => {
              setNotice(`Hand-out of "${view.keyName}" ended: ${ended.confirmed} of ${view.total} holders confirmed their share${ended.missing.length > 0 ? `; no share for ${ended.missing.join(', ')}` : ''}.${ended.backedUp ? ' The key is marked as backed up.' : ' Fewer holders than the threshold have a share: the key is NOT marked as backed up.'}`);
              void refresh();
            }} />
          ) : (
            <SplitForm keys={keys} onStarted={(view) => setHandouts([view])} />
          )}
        </section>
      ) : null}
      {tab === 'restore' ? (
        <section className="card" aria-label="Restore from shares">
          <RestoreWizard key="restore" mode="restore" keys={keys} onDone={() => void refresh()} />
        </section>
      ) : null}
      {tab === 'drill' ? (
        <section className="card" aria-label="Drills">
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
