import { useState, type ReactNode } from 'react';

/**
 * Hands secrets out one holder at a time (init shares, rekeyed shares, a new root token): each is shown only
 * after its holder asks for it, hidden again before the next holder's turn, and all are dropped at the end.
 */
export function SecretHandout({ title, items, onFinished }: { title: string; items: Array<{ label: string; secret: string }>; onFinished: () => void }): ReactNode {
  const [index, setIndex] = useState(0);
  const [shown, setShown] = useState(false);
  const item = items[index];
  if (!item) return null;
  const last = index === items.length - 1;
  return (
    <div className="handout" role="region" aria-label={title}>
      <h3>{title}: {item.label} ({index + 1} of {items.length})</h3>
      <p>Only {item.label.toLowerCase()} should see the screen now. Record it, then continue; it will not be shown again.</p>
      {shown ? (
        <div className="reveal" role="region" aria-label={`Secret for ${item.label}`}><code>{item.secret}</code></div>
      ) : (
        <button type="button" autoFocus onClick={() => setShown(true)}>Reveal for {item.label}</button>
      )}
      <button type="button" disabled={!shown} onClick={() => {
        setShown(false);
        if (last) onFinished(); else setIndex(index + 1);
      }}>{last ? 'I have recorded it: finish' : 'I have recorded it: next holder'}</button>
    </div>
  );
}
