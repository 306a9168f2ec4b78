import { CustodianError } from '../errors.js';

/**
 * Splits a hook command written as one flag value into argv, the way a shell splits words, and nothing more:
 * whitespace separates words; '...' is literal; "..." allows \" and \\; a backslash outside quotes escapes the
 * next character. No variables, globs, pipes or redirections: the hook runs without a shell (execFile), so a
 * server name or error code can never be interpreted as shell syntax. Who wants a shell writes `sh -c '...'`
 * (the event is in the environment: "$CUSTODIAN_SERVER").
 */
export function splitCommand(text: string, flag: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined; else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new CustodianError('USAGE', `${flag}: a quote is not closed.`, { hint: `Quote the whole command for your shell, e.g. ${flag} 'notify-send "Server locked"'.` });
  if (inWord) words.push(word);
  if (words.length === 0) throw new CustodianError('USAGE', `${flag} needs a command to run.`, { hint: `For example ${flag} 'logger -t custodian server locked'.` });
  return words;
}
