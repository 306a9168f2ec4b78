/**
 * A hand-out: the secrets a ceremony made (init shares and root token, rekeyed shares, a new root token), kept
 * in main and given to the renderer ONE at a time, for the holder whose turn it is. The renderer holds no list
 * of secrets, so navigating away, locking, reloading or closing the window loses nothing: the next screen asks
 * main where the hand-out stands and goes on with the same holder.
 *
 * Each secret is a Buffer, wiped as soon as its holder confirms they recorded it; everything left is wiped when
 * the hand-out is abandoned (only with the typed phrase that names who did not get their secret) or closed.
 */
import type { HandoutItemView, HandoutSecret, HandoutView } from '../../../src-shared/contract.js';
import { CustodianError } from '../../core/errors.js';

export interface HandoutItem {
  kind: 'share' | 'root-token';
  /** The secret's bytes: raw share bytes (shown as base64), a PGP message (base64) or the token text (utf8). */
  secret: Buffer;
  encoding: 'base64' | 'utf8';
}

interface Slot extends HandoutItem {
  label: string;
  shareNumber?: number;
  handedOut: boolean;
}

export class Handout {
  private readonly slots: Slot[];
  private ended = false;

  constructor(items: HandoutItem[], readonly encrypted: boolean) {
    let share = 0;
    this.slots = items.map((item) => {
      if (item.kind === 'share') {
        share += 1;
        return { ...item, label: `Holder ${share}`, shareNumber: share, handedOut: false };
      }
      return { ...item, label: 'Root token holder', handedOut: false };
    });
  }

  /** Index of the next item to hand out, -1 when every item is handed out. */
  get next(): number {
    return this.ended ? -1 : this.slots.findIndex((slot) => !slot.handedOut);
  }

  get complete(): boolean {
    return this.next === -1;
  }

  /** Items not handed out yet (for the unload confirmation and the abandon phrase). */
  get outstanding(): number {
    return this.ended ? 0 : this.slots.filter((slot) => !slot.handedOut).length;
  }

  view(): HandoutView {
    const items: HandoutItemView[] = this.slots.map((slot) => ({
      label: slot.label, kind: slot.kind, handedOut: slot.handedOut, ...(slot.shareNumber ? { shareNumber: slot.shareNumber } : {}),
    }));
    return {
      items,
      next: this.next,
      shareCount: this.slots.filter((slot) => slot.kind === 'share').length,
      encrypted: this.encrypted,
      abandonPhrase: this.abandonPhrase(),
    };
  }

  /**
   * The secret of item `index` for its holder. Only the next item can be revealed (asking again for the same
   * one is fine: the window may have been reloaded before the holder confirmed). The answer is a JS string
   * because IPC carries JSON; it is the one place where the feature is to show the secret.
   */
  reveal(index: number): HandoutSecret {
    const slot = this.turn(index);
    return { index, label: slot.label, kind: slot.kind, secret: slot.secret.toString(slot.encoding), encrypted: this.encrypted };
  }

  /** The holder of item `index` recorded it: mark it handed out and wipe main's copy. */
  confirm(index: number): void {
    const slot = this.turn(index);
    slot.handedOut = true;
    slot.secret.fill(0);
  }

  /**
   * What the officer types to give up on the holders still waiting, e.g. "abandon holders 4-5 and root token".
   * Empty once nothing is outstanding.
   */
  abandonPhrase(): string {
    const waiting = this.ended ? [] : this.slots.filter((slot) => !slot.handedOut);
    if (waiting.length === 0) return '';
    const numbers = waiting.flatMap((slot) => (slot.shareNumber ? [slot.shareNumber] : []));
    const parts: string[] = [];
    if (numbers.length > 0) parts.push(`${numbers.length === 1 ? 'holder' : 'holders'} ${ranges(numbers)}`);
    if (waiting.some((slot) => slot.kind === 'root-token')) parts.push('root token');
    return `abandon ${parts.join(' and ')}`;
  }

  /** Throws HANDOUT_OPEN unless `typed` is the abandon phrase (or nothing is outstanding). Changes nothing. */
  checkAbandon(typed: string | undefined): void {
    const phrase = this.abandonPhrase();
    if (phrase === '' || normalise(typed ?? '') === normalise(phrase)) return;
    const waiting = this.slots.filter((slot) => !slot.handedOut).map((slot) => slot.label);
    throw new CustodianError('HANDOUT_OPEN', `${listed(waiting)} ${waiting.length === 1 ? 'has' : 'have'} not received ${waiting.length === 1 ? 'their secret' : 'their secrets'} yet; nothing was abandoned.`, {
      hint: `Finish the hand-out, or type "${phrase}" to confirm that they will not get it.`,
      details: { waiting },
    });
  }

  /** Wipes every secret still held. The hand-out is over. */
  wipe(): void {
    for (const slot of this.slots) slot.secret.fill(0);
    this.ended = true;
  }

  private turn(index: number): Slot {
    const next = this.next;
    const slot = this.slots[index];
    if (!slot || index !== next) {
      const expected = this.slots[next];
      throw new CustodianError('INVALID_INPUT', expected
        ? `It is ${expected.label.toLowerCase()}'s turn; secrets are handed out in order, one holder at a time.`
        : 'Every secret of this hand-out has been handed out.', { hint: 'Reopen the Vault screen to see where the hand-out stands.' });
    }
    return slot;
  }
}

function normalise(text: string): string {
  return text.trim().toLowerCase().replace(/\s+/g, ' ').replace(/\s*([,-])\s*/g, '$1');
}

/** [1,2,3,5] -> "1-3, 5" */
function ranges(numbers: number[]): string {
  const out: string[] = [];
  let start = numbers[0]!;
  let previous = start;
  for (const n of [...numbers.slice(1), Number.NaN]) {
    if (n === previous + 1) {
      previous = n;
      continue;
    }
    out.push(start === previous ? `${start}` : `${start}-${previous}`);
    start = n;
    previous = n;
  }
  return out.join(', ');
}

function listed(labels: string[]): string {
  if (labels.length <= 1) return labels.join('');
  if (labels.length > 8) return `${labels.slice(0, 6).join(', ')} and ${labels.length - 6} more`;
  return `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}`;
}
