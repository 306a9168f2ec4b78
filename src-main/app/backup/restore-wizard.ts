/**
 * One restore (or drill) held in main: holders' shares arrive one at a time, each is checked as it arrives
 * (ShareCollector: word list, length, checksum, same set, duplicate), and the renderer sees only counts and
 * share numbers. Finishing recombines the key; a restore stores it under the chosen name, a drill only compares
 * its id with the key's.
 */
import type { RestoreView } from '../../../src-shared/contract.js';
import { decodeShare, KEY_SHARE_WORDS, ShareCollector, shareWords } from '../../core/backup/slip39.js';

export type RestoreTarget =
  | { mode: 'restore'; name: string; expectedId?: string }
  | { mode: 'drill'; key: { id: string; name: string } };

export class RestoreWizard {
  readonly collector = new ShareCollector();
  private readonly numbers: number[] = [];

  constructor(readonly id: string, readonly target: RestoreTarget) {}

  /**
   * Adds one share from the word fields. A field may hold several words (a pasted or scanned share): the words
   * are taken in order, whatever the fields. The collector's error (MNEMONIC_*) leaves the wizard as it was.
   */
  add(fields: string[]): void {
    // A JS string: the library takes the share as text. It lives for this call only.
    const text = fields.flatMap((field) => shareWords(field)).join(' ');
    this.collector.add(text);
    this.numbers.push(decodeShare(text, { wordCount: KEY_SHARE_WORDS }).memberIndex + 1);
  }

  view(): RestoreView {
    const progress = this.collector.progress();
    const view: RestoreView = {
      restoreId: this.id,
      mode: this.target.mode,
      accepted: progress.accepted,
      complete: progress.complete,
      shareNumbers: [...this.numbers].sort((a, b) => a - b),
    };
    if (this.target.mode === 'restore') view.name = this.target.name;
    else view.key = { ...this.target.key };
    if (progress.accepted > 0) {
      view.threshold = progress.threshold;
      view.missing = progress.missing;
    }
    return view;
  }

  clear(): void {
    this.collector.clear();
    this.numbers.length = 0;
  }
}
