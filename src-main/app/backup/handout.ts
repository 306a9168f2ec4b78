/**
 * One SLIP-39 hand-out, held in main for as long as it is open: the shares never sit in the renderer longer than
 * one holder's turn. Holders get their share in order; before the next holder's turn, the current holder types
 * back two words at positions main picked at random. Navigation, a lock or a reload of the window lose nothing:
 * the renderer re-attaches with the hand-out id (or lists the open hand-outs).
 *
 * Shares are kept as Buffers of the mnemonic text and wiped when the hand-out ends. (The SLIP-39 library returns
 * JS strings, and the words a holder reads go to the renderer as strings: those copies cannot be wiped.)
 */
import { timingSafeEqual } from 'node:crypto';
import type { BackupHandoutView, HolderWords } from '../../../src-shared/contract.js';
import { pickCheckPositions, type Slip39Split } from '../../core/backup/slip39.js';
import { CustodianError } from '../../core/errors.js';

type HolderState = 'waiting' | 'shown' | 'confirmed';

interface Holder {
  index: number;
  name: string;
  state: HolderState;
  /** The share's words joined by single spaces. SECRET; wiped at the end. */
  share: Buffer;
  /** Word positions (1-based) this holder types back; picked when their words are first shown. */
  positions?: number[];
  /** Saved on a sheet (counts as handed out on paper when the hand-out ends). */
  sheet?: string;
}

export class Handout {
  readonly started = new Date();
  private readonly holders: Holder[];
  private readonly sheetPaths: string[] = [];
  private ended = false;

  constructor(
    readonly id: string,
    readonly key: { id: string; name: string },
    readonly threshold: number,
    readonly passphraseProtected: boolean,
    split: Slip39Split,
    names: string[],
  ) {
    this.holders = split.shares.map((share, i) => ({
      index: share.index,
      name: holderName(names[i], share.index),
      state: 'waiting',
      share: Buffer.from(share.words.join(' '), 'utf8'),
    }));
  }

  get total(): number {
    return this.holders.length;
  }

  /** The holder whose turn it is: the first one who has not confirmed. */
  get current(): Holder | undefined {
    return this.holders.find((holder) => holder.state !== 'confirmed');
  }

  view(): BackupHandoutView {
    const current = this.current;
    const view: BackupHandoutView = {
      handoutId: this.id,
      keyId: this.key.id,
      keyName: this.key.name,
      threshold: this.threshold,
      total: this.total,
      passphraseProtected: this.passphraseProtected,
      holders: this.holders.map(({ index, name, state, sheet }) => ({ index, name, state, sheet: sheet !== undefined })),
      sheets: [...this.sheetPaths],
      started: this.started.toISOString(),
    };
    if (current) view.current = current.index;
    if (current?.positions && current.state === 'shown') view.check = { index: current.index, positions: [...current.positions] };
    return view;
  }

  /** The current holder's words (only theirs: the hand-out goes in order). Picks their check positions once. */
  words(index: number): HolderWords {
    const holder = this.turnOf(index);
    holder.state = 'shown';
    const words = holder.share.toString('utf8').split(' ');
    holder.positions ??= pickCheckPositions(words.length, 2);
    return { index: holder.index, name: holder.name, words };
  }

  /** The holder types back the words at their check positions; a wrong word keeps the turn with them. */
  confirm(index: number, typed: string[]): Holder {
    const holder = this.turnOf(index);
    if (holder.state !== 'shown' || !holder.positions) {
      throw new CustodianError('CONFIRMATION_REQUIRED', `${holder.name} has not been shown their share yet.`, {
        hint: 'Show the holder their words first, then ask them to type back the two words.',
      });
    }
    const words = holder.share.toString('utf8').split(' ');
    const wrong = holder.positions.filter((position, i) => !sameWord(words[position - 1] ?? '', typed[i] ?? ''));
    if (wrong.length > 0) {
      // Which positions were wrong, never what was typed or what the word is.
      throw new CustodianError('CONFIRMATION_REQUIRED', `${wrong.length === 1 ? `Word ${wrong[0]} does` : `Words ${wrong.join(' and ')} do`} not match ${holder.name}'s share.`, {
        hint: 'Let the holder check what they wrote down against the words (show them again), then type the two words once more.',
        details: { positions: wrong },
      });
    }
    holder.state = 'confirmed';
    return holder;
  }

  /** What a sheet for holder `index` (or every holder) needs: their words, in order. */
  sheetShares(index?: number): Array<{ index: number; name: string; words: string[] }> {
    const chosen = index === undefined ? this.holders : [this.holderAt(index)];
    return chosen.map((holder) => ({ index: holder.index, name: holder.name, words: holder.share.toString('utf8').split(' ') }));
  }

  recordSheets(paths: string[], indices: number[]): void {
    this.sheetPaths.push(...paths);
    for (const index of indices) this.holderAt(index).sheet = paths[indices.indexOf(index)];
  }

  /** Holders who have neither confirmed their words nor had their sheet saved. */
  missing(): string[] {
    return this.holders.filter((holder) => holder.state !== 'confirmed' && !holder.sheet).map((holder) => holder.name);
  }

  confirmed(): string[] {
    return this.holders.filter((holder) => holder.state === 'confirmed').map((holder) => holder.name);
  }

  /** Holders who have their share one way or the other (typed back, or on a saved sheet). */
  get delivered(): number {
    return this.holders.filter((holder) => holder.state === 'confirmed' || holder.sheet).length;
  }

  /**
   * Ends the hand-out. While a holder has not received their share, `confirmation` must name them, exactly as
   * `expectedConfirmation` says (HANDOUT_OPEN otherwise, and nothing ends).
   */
  checkEnd(confirmation: string | undefined): void {
    const missing = this.missing();
    if (missing.length === 0) return;
    const expected = expectedConfirmation(missing);
    if (normalise(confirmation ?? '') !== normalise(expected)) {
      throw new CustodianError('HANDOUT_OPEN', `${missing.length === 1 ? `${missing[0]} has` : `${missing.join(', ')} have`} not received ${missing.length === 1 ? 'their share' : 'their shares'}: once the hand-out ends, nobody can get ${missing.length === 1 ? 'it' : 'them'} again.`, {
        hint: `Finish the hand-out, or type "${expected}" to confirm that ${missing.length === 1 ? 'this holder' : 'these holders'} will not get a share.`,
        details: { missing, confirmation: expected },
      });
    }
  }

  /** Wipes every share. */
  wipe(): void {
    if (this.ended) return;
    this.ended = true;
    for (const holder of this.holders) holder.share.fill(0);
  }

  private turnOf(index: number): Holder {
    const holder = this.holderAt(index);
    const current = this.current;
    if (!current || current.index !== index) {
      throw new CustodianError('CONFIRMATION_REQUIRED', current
        ? `It is ${current.name}'s turn (share ${current.index} of ${this.total}), not ${holder.name}'s.`
        : `Every holder has received their share; ${holder.name}'s words are not shown again.`, {
        hint: 'Shares are handed out one holder at a time, in order.',
      });
    }
    return holder;
  }

  private holderAt(index: number): Holder {
    const holder = this.holders.find((h) => h.index === index);
    if (!holder) throw new CustodianError('INVALID_INPUT', `This hand-out has shares 1 to ${this.total}.`, { hint: 'Choose one of the listed holders.' });
    return holder;
  }
}

/** What the officer types to end a hand-out that left holders without a share. */
export function expectedConfirmation(missing: string[]): string {
  return `no share for ${missing.join(', ')}`;
}

function holderName(given: string | undefined, index: number): string {
  const name = (given ?? '').trim();
  return name.length > 0 ? name : `Holder ${index}`;
}

function normalise(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}

/** Compares a typed word with the share's word (case and surrounding spaces ignored) in constant time. */
function sameWord(expected: string, typed: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), 'utf8');
  const b = Buffer.from(typed.trim().toLowerCase(), 'utf8');
  const equal = a.length === b.length && timingSafeEqual(a, b);
  a.fill(0);
  b.fill(0);
  return equal;
}
