import { useState, type ReactNode } from 'react';
import type { HandoutProgress, HandoutSecret, HandoutView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { ConfirmButton } from '../../components/Confirm.js';
import { Busy, ErrorNotice } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { withPresence } from '../../presence.js';
import { t } from '../../i18n/index.js';

/**
 * Hands out the secrets a ceremony made (init shares and root token, rekeyed shares, a new root token). They
 * stay in main: this screen asks for ONE secret, for the holder whose turn it is, shows it after that holder
 * asks, and tells main once it is recorded (main then wipes its copy). Leaving, locking or reloading loses
 * nothing: the next mount gets the same holder's turn from main. Abandoning needs the typed phrase that names
 * the holders still waiting.
 */
export function SecretHandout({ ceremonyId, title, handout, onProgress, onAbandoned }: {
  ceremonyId: string;
  title: string;
  handout: HandoutView;
  onProgress: (progress: HandoutProgress) => void;
  onAbandoned: () => void;
}): ReactNode {
  const [secret, setSecret] = useState<HandoutSecret | undefined>();
  const task = useTask();
  const index = handout.next;
  const item = handout.items[index];
  if (!item) return null;
  const shown = secret?.index === index ? secret : undefined;
  const remaining = handout.items.filter((i) => !i.handedOut).length;
  const turn = item.kind === 'share'
    ? t('secretHandout.turnShare', { label: item.label, n: item.shareNumber ?? '?', count: handout.shareCount })
    : t('secretHandout.turnRoot', { label: item.label });
  const waiting = handout.items.filter((i) => !i.handedOut).map((i) => i.label);

  const reveal = async (): Promise<void> => {
    const answer = await task.run(() => withPresence(() => call('handoutReveal', { ceremonyId, index })));
    if (answer) setSecret(answer);
  };
  const recorded = async (): Promise<void> => {
    const progress = await task.run(() => call('handoutConfirm', { ceremonyId, index }));
    if (!progress) return;
    setSecret(undefined);
    onProgress(progress);
  };
  const abandon = async (typed: string): Promise<void> => {
    const done = await task.run(() => call('handoutAbandon', { ceremonyId, confirmation: typed }));
    if (done) { setSecret(undefined); onAbandoned(); }
  };

  return (
    <div className="handout" role="region" aria-label={title}>
      <h3>{title}: {turn}</h3>
      <ol className="handout-list" aria-label={t('secretHandout.handOutProgress')}>
        {handout.items.map((i, n) => (
          <li key={i.label} className={i.handedOut ? 'done' : n === index ? 'current' : 'waiting'}>
            {i.label}: {i.handedOut ? t('secretHandout.recorded') : n === index ? t('secretHandout.now') : t('handout.waiting')}
          </li>
        ))}
      </ol>
      <p>{t('handout.only')}{item.label.toLowerCase()} {t('secretHandout.shouldSeeTheScreenNow')}</p>
      {shown ? (
        <div className="reveal" role="region" aria-label={t('secretHandout.secretFor', { label: item.label })}>
          <code className={item.kind === 'share' && !shown.encrypted ? 'grouped' : 'wrap'}>{item.kind === 'share' && !shown.encrypted ? groups(shown.secret) : shown.secret}</code>
          {item.kind === 'share' && !shown.encrypted ? <small>{t('secretHandout.shownInGroupsOf4')}</small> : null}
        </div>
      ) : (
        <button type="button" autoFocus onClick={reveal} disabled={task.busy}>{t('secretHandout.revealFor')}{item.label}</button>
      )}
      <button type="button" disabled={!shown || task.busy} onClick={recorded}>
        {remaining === 1 ? t('secretHandout.iHaveRecordedItFinish') : t('secretHandout.iHaveRecordedItNext')}
      </button>
      {task.busy ? <Busy label={t('secretHandout.askingKeyCustodian')} /> : null}
      <ErrorNotice error={task.error} onDismiss={task.clearError} />
      <ConfirmButton
        label={t('secretHandout.abandonHandOut')}
        title={t('secretHandout.abandonTheHandOut')}
        message={<p>{listed(waiting)} {waiting.length === 1 ? t('handout.has') : t('handout.have')} {t('secretHandout.notReceived')}{waiting.length === 1 ? t('secretHandout.theirSecret') : t('secretHandout.theirSecrets')}{t('secretHandout.keyCustodianWipes')}{waiting.length === 1 ? t('secretHandout.it') : t('secretHandout.them')} {t('secretHandout.nowAndCanNeverShow')}{waiting.length === 1 ? t('secretHandout.it') : t('secretHandout.them')} {t('secretHandout.again')}</p>}
        confirmLabel={t('secretHandout.abandonAndWipe')}
        phrase={handout.abandonPhrase}
        disabled={task.busy}
        onConfirm={abandon}
      />
    </div>
  );
}

/** "Holder 4, Holder 5 and Root token holder" */
function listed(labels: string[]): string {
  return labels.length <= 1 ? labels.join('') : `${labels.slice(0, -1).join(', ')}${t('handout.and')}${labels[labels.length - 1]}`;
}

/** "AbCdEfGh…" -> "AbCd EfGh …", as holders read and write a share. */
export function groups(text: string, size = 4): string {
  return text.replace(new RegExp(`(.{${size}})(?=.)`, 'g'), '$1 ');
}
