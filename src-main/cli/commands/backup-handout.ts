import { CustodianError } from '../../core/errors.js';
import { pickCheckPositions, type Slip39Share } from '../../core/backup/slip39.js';
import type { CliIO } from '../io.js';
import { readHiddenLine } from '../terminal.js';
import { hiddenLine } from './backup-input.js';

/**
 * The terminal hand-out of SLIP-39 shares, one holder at a time: the screen shows the holder's name, share k of n
 * and the numbered words; the holder proves they wrote the words down by typing back two words at positions the
 * app picks at random (input hidden); the screen (and its scrollback) is cleared before the check and between
 * holders, so the next holder never sees the previous one's words.
 */
export interface HandoutPlan {
  keyName: string;
  keyId: string;
  threshold: number;
  total: number;
  passphraseProtected: boolean;
  holders: string[];
  shares: Slip39Share[];
}

/** Erase the screen, the scrollback (xterm's 3J) and put the cursor home. */
export const CLEAR_SCREEN = '\x1b[2J\x1b[3J\x1b[H';
/** Times a holder may see the words again after a wrong check word, before the hand-out stops. */
const MAX_CHECKS = 3;
const CHECK_WORDS = 2;

/** Runs the hand-out for every holder in turn; throws (saying how many holders got a share) if it stops early. */
export async function handOut(io: CliIO, plan: HandoutPlan): Promise<void> {
  const screen = (text: string): void => { io.stdout.write(text); };
  let confirmed = 0;
  try {
    screen(`${CLEAR_SCREEN}SLIP-39 hand-out for key "${plan.keyName}" (${plan.keyId}).\n`
      + `${plan.total} holders each get one share; any ${plan.threshold} of them restore the key.\n`);
    for (const [i, share] of plan.shares.entries()) {
      const holder = plan.holders[i] ?? `Holder ${i + 1}`;
      await pressEnter(io, `\n${i === 0 ? '' : `Thank you. `}${holder} (share ${share.index} of ${plan.total}): take the screen; everyone else, look away. Press Enter when ready. `);
      await handOne(io, plan, share, holder);
      confirmed++;
      screen(CLEAR_SCREEN);
      screen(`${holder} confirmed share ${share.index} of ${plan.total}.\n`);
    }
    screen(`\nAll ${plan.total} holders have their shares. Keep them apart; any ${plan.threshold} restore the key with \`custodian backup restore\`.\n`);
  } catch (error) {
    screen(CLEAR_SCREEN);
    if (error instanceof CustodianError) {
      throw new CustodianError(error.code, `${error.message} The hand-out stopped after ${confirmed} of ${plan.total} holders: destroy the shares already written down and split again.`, {
        ...(error.hint ? { hint: error.hint } : {}),
        details: { confirmed, total: plan.total },
      });
    }
    throw error;
  }
}

async function handOne(io: CliIO, plan: HandoutPlan, share: Slip39Share, holder: string): Promise<void> {
  for (let attempt = 1; attempt <= MAX_CHECKS; attempt++) {
    io.stdout.write(`${CLEAR_SCREEN}${sheetText(plan, share, holder)}`);
    await pressEnter(io, `Write the ${share.words.length} words down in order, with their numbers. Press Enter when done. `);
    io.stdout.write(CLEAR_SCREEN);
    const positions = pickCheckPositions(share.words.length, CHECK_WORDS);
    let right = true;
    for (const position of positions) {
      const typed = await hiddenLine(io, `${holder}, to show you wrote it down, type word ${position} of your share (input hidden): `, 'The hand-out was cancelled.');
      const expected = Buffer.from(share.words[position - 1] as string);
      right = typedWordMatches(typed, expected) && right;
      typed.fill(0);
      expected.fill(0);
    }
    if (right) return;
    io.stdout.write(attempt < MAX_CHECKS
      ? `That does not match what you were shown for word ${positions.join(' or ')}. Your words are shown again.\n`
      : '');
  }
  throw new CustodianError('CONFIRMATION_REQUIRED', `${holder} could not type back the check words of share ${share.index}.`, {
    hint: 'Run the split again when the holder can copy the words carefully; a sheet with a wrong word fails at restore.',
  });
}

/** What the holder sees: name, share k of n, the words numbered in columns. */
function sheetText(plan: HandoutPlan, share: Slip39Share, holder: string): string {
  const rows = Math.ceil(share.words.length / 3);
  const lines: string[] = [];
  for (let row = 0; row < rows; row++) {
    const cells: string[] = [];
    for (let column = 0; column < 3; column++) {
      const i = column * rows + row;
      const word = share.words[i];
      if (word !== undefined) cells.push(`${String(i + 1).padStart(2)}. ${word.padEnd(9)}`);
    }
    lines.push(`   ${cells.join('    ')}`);
  }
  return `Holder: ${holder}\nKey: "${plan.keyName}" (${plan.keyId})\nShare ${share.index} of ${plan.total}; any ${plan.threshold} shares restore the key.`
    + `${plan.passphraseProtected ? ' The SLIP-39 passphrase is also needed; it is not part of this share.' : ''}\n\n${lines.join('\n')}\n\n`;
}

/** Case-insensitive and trimmed; the SLIP-39 list is lower case ASCII. */
function typedWordMatches(typed: Buffer, expected: Buffer): boolean {
  let start = 0;
  let end = typed.length;
  while (start < end && (typed[start] === 0x20 || typed[start] === 0x09)) start++;
  while (end > start && (typed[end - 1] === 0x20 || typed[end - 1] === 0x09)) end--;
  if (end - start !== expected.length) return false;
  let same = true;
  for (let i = 0; i < expected.length; i++) {
    const byte = typed[start + i] as number;
    const lower = byte >= 0x41 && byte <= 0x5a ? byte + 0x20 : byte;
    if (lower !== expected[i]) same = false;
  }
  return same;
}

/** Waits for Enter (raw mode: nothing typed is echoed); Ctrl-C or Ctrl-D stops the hand-out. */
async function pressEnter(io: CliIO, prompt: string): Promise<void> {
  const line = await readHiddenLine(io, prompt, 256);
  if (line.outcome !== 'line') throw new CustodianError('CONFIRMATION_REQUIRED', 'The hand-out was cancelled.', { hint: 'Run the split again with all holders present.' });
  line.bytes.fill(0);
}
