import { useState, type ReactNode } from 'react';
import type { HandoutProgress, HandoutSecret, HandoutView } from '../../../src-shared/contract.js';
import { call } from '../../api.js';
import { ConfirmButton } from '../../components/Confirm.js';
import { Busy, ErrorNotice } from '../../components/common.js';
import { useTask } from '../../hooks.js';
import { withPresence } from '../../presence.js';

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
    ? `${item.label} (share ${item.shareNumber} of ${handout.shareCount})`
    : `${item.label} (the root token, not a share)`;
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
      <ol className="handout-list" aria-label="Hand-out progress">
        {handout.items.map((i, n) => (
          <li key={i.label} className={i.handedOut ? 'done' : n === index ? 'current' : 'waiting'}>
            {i.label}: {i.handedOut ? 'recorded' : n === index ? 'now' : 'waiting'}
          </li>
        ))}
      </ol>
      <p>Only {item.label.toLowerCase()} should see the screen now. Record it, then continue; it will not be shown again.</p>
      {shown ? (
        <div className="reveal" role="region" aria-label={`Secret for ${item.label}`}>
          <code className={item.kind === 'share' && !shown.encrypted ? 'grouped' : 'wrap'}>{item.kind === 'share' && !shown.encrypted ? groups(shown.secret) : shown.secret}</code>
          {item.kind === 'share' && !shown.encrypted ? <small>Shown in groups of 4 for reading; the spaces are not part of the share.</small> : null}
        </div>
      ) : (
        <button type="button" autoFocus onClick={reveal} disabled={task.busy}>Reveal for {item.label}</button>
      )}
      <button type="button" disabled={!shown || task.busy} onClick={recorded}>
        {remaining === 1 ? 'I have recorded it: finish' : 'I have recorded it: next holder'}
      </button>
      {task.busy ? <Busy label="Asking Key Custodian" /> : null}
      <ErrorNotice error={task.error} onDismiss={task.clearError} />
      <ConfirmButton
        label="Abandon hand-out…"
        title="Abandon the hand-out?"
        message={<p>{listed(waiting)} {waiting.length === 1 ? 'has' : 'have'} not received {waiting.length === 1 ? 'their secret' : 'their secrets'}.
          Key Custodian wipes {waiting.length === 1 ? 'it' : 'them'} now and can never show {waiting.length === 1 ? 'it' : 'them'} again.</p>}
        confirmLabel="Abandon and wipe"
        phrase={handout.abandonPhrase}
        disabled={task.busy}
        onConfirm={abandon}
      />
    </div>
  );
}

/** "Holder 4, Holder 5 and Root token holder" */
function listed(labels: string[]): string {
  return labels.length <= 1 ? labels.join('') : `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}`;
}

/** "AbCdEfGh…" -> "AbCd EfGh …", as holders read and write a share. */
export function groups(text: string, size = 4): string {
  return text.replace(new RegExp(`(.{${size}})(?=.)`, 'g'), '$1 ');
}
