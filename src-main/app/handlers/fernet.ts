/**
 * Keys screen, "Encrypt and decrypt files": the desktop face of `custodian fernet encrypt|decrypt|rotate`, on
 * files. Main chooses both files in its own dialogs, reads the input, loads the key(s) from the keychain by id
 * (wiped after use), writes the output all-or-nothing with mode 0600 and answers with a summary: paths, sizes
 * and key ids. The window never sees a file's contents or a key's bytes.
 *
 * The work is done before the save dialog opens, so a wrong key or a damaged file is reported with nothing
 * written and no dialog in between. Decrypting writes plaintext to disk, so it needs presence (guard.ts).
 */
import { joinTokens, singleToken, tokenLines } from '../../core/token-file.js';
import type { FernetKeyUsed } from '../../../src-shared/contract.js';
import type { AuditLog } from '../../core/audit.js';
import { MultiFernet, withFernets, type Fernet } from '../../core/crypto/index.js';
import { CustodianError, isCustodianError } from '../../core/errors.js';
import type { KeyRecord, KeyStore } from '../../core/keystore/index.js';
import type { DialogPort } from '../dialogs.js';
import type { Handler } from '../dispatch.js';
import {
  MAX_PLAINTEXT_BYTES, MAX_TOKEN_FILE_BYTES, readChosenFile, suggestedName, writeChosenFile,
} from './fernet-files.js';

type FernetActions = 'fernetEncrypt' | 'fernetDecrypt' | 'fernetRotate';

export interface FernetHandlerDeps {
  keys: () => KeyStore;
  audit: AuditLog;
  dialogs: DialogPort;
}

const TOKEN_FILES = ['token', 'txt'];

export function fernetHandlers(deps: FernetHandlerDeps): { [A in FernetActions]: Handler<A> } {
  /** Records the outcome of one file operation (key ids and sizes; never a path's contents or a key). */
  async function audited<T>(action: string, fields: Record<string, unknown>, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      const code = isCustodianError(error) ? error.code : 'INTERNAL';
      await deps.audit.record({ action, outcome: 'error', code, ...fields, via: 'desktop' }).catch(() => undefined);
      throw error;
    }
  }

  return {
    fernetEncrypt: ({ key }) => audited('fernet.encrypt', { keyRef: key }, async () => {
      const record = await deps.keys().resolve(key);
      const input = await deps.dialogs.chooseOpenFile({ title: `Choose the file to encrypt with ${record.name}` });
      if (!input) return { saved: false };
      const plaintext = await readChosenFile(input, MAX_PLAINTEXT_BYTES);
      try {
        const token = await deps.keys().withKey(record.id, (raw) => withFernets([raw], ([fernet]) => fernet!.encrypt(plaintext)), { purpose: 'fernet.encrypt' });
        const bytes = joinTokens([token]);
        const output = await deps.dialogs.chooseSaveFile({ title: 'Save the Fernet token', defaultName: suggestedName(input, 'encrypt'), extensions: TOKEN_FILES });
        if (!output) return { saved: false };
        await writeChosenFile(output, input, bytes);
        await deps.audit.record({ action: 'fernet.encrypt', outcome: 'ok', keyId: record.id, keyName: record.name, inputBytes: plaintext.length, via: 'desktop' });
        return { saved: true, input, output, inputBytes: plaintext.length, outputBytes: bytes.length, key: used(record) };
      } finally {
        plaintext.fill(0);
      }
    }),

    fernetDecrypt: ({ key, ttl }) => audited('fernet.decrypt', { keyRef: key ?? null }, async () => {
      const candidates = key ? [await deps.keys().resolve(key)] : await deps.keys().list();
      if (candidates.length === 0) {
        throw new CustodianError('KEY_NOT_FOUND', 'There is no key in the keychain to decrypt with.', { hint: 'Import the key the file was encrypted with first.' });
      }
      const input = await deps.dialogs.chooseOpenFile({ title: 'Choose the Fernet token file to decrypt', extensions: TOKEN_FILES });
      if (!input) return { saved: false };
      const file = await readChosenFile(input, MAX_TOKEN_FILE_BYTES);
      const opened = await openWithAny(deps.keys(), candidates, singleToken(file), ttl);
      try {
        const output = await deps.dialogs.chooseSaveFile({ title: 'Save the decrypted file', defaultName: suggestedName(input, 'decrypt'), extensions: [] });
        if (!output) return { saved: false };
        await writeChosenFile(output, input, opened.plaintext);
        await deps.audit.record({ action: 'fernet.decrypt', outcome: 'ok', keyId: opened.record.id, keyName: opened.record.name, outputBytes: opened.plaintext.length, via: 'desktop' });
        return {
          saved: true, input, output, inputBytes: file.length, outputBytes: opened.plaintext.length,
          decryptedBy: used(opened.record), created: new Date(opened.created * 1000).toISOString(),
        };
      } finally {
        opened.plaintext.fill(0);
      }
    }),

    fernetRotate: ({ key, previous }) => audited('fernet.rotate', { keyRef: key }, async () => {
      const primary = await deps.keys().resolve(key);
      const others = previous
        ? await Promise.all(previous.map((ref) => deps.keys().resolve(ref)))
        : (await deps.keys().list()).filter((record) => record.id !== primary.id);
      // The new key comes first (it encrypts, and tokens already under it are opened by it); each key once.
      const records = unique([primary, ...others]);
      if (records.length === 1) {
        throw new CustodianError('INVALID_INPUT', 'Choose a previous key other than the new one: there is nothing to rotate from.', {
          hint: 'Rotation re-encrypts tokens made with an older key under the new key; import the older key first if it is not here.',
        });
      }
      const input = await deps.dialogs.chooseOpenFile({ title: `Choose the token file to re-encrypt under ${primary.name}`, extensions: TOKEN_FILES });
      if (!input) return { saved: false };
      const file = await readChosenFile(input, MAX_TOKEN_FILE_BYTES);
      const lines = tokenLines(file);
      if (lines.length === 0) {
        throw new CustodianError('INVALID_INPUT', 'The chosen file holds no tokens; nothing was written.', { hint: 'Choose a file with one Fernet token per line.' });
      }
      const counts = new Array<number>(records.length).fill(0);
      const rotated = await deps.keys().withKeys(records.map((record) => record.id), (raws) => withFernets(raws, (fernets) => {
        const multi = new MultiFernet(fernets);
        return lines.map((line, index) => {
          const opener = fernets.findIndex((fernet) => opens(fernet, line));
          if (opener < 0) throw lineNotOpened(index + 1, records);
          counts[opener]! += 1;
          return multi.rotate(line);
        });
      }), { purpose: 'fernet.rotate' });
      const bytes = joinTokens(rotated);
      const output = await deps.dialogs.chooseSaveFile({ title: `Save the tokens re-encrypted under ${primary.name}`, defaultName: suggestedName(input, 'rotate'), extensions: TOKEN_FILES });
      if (!output) return { saved: false };
      await writeChosenFile(output, input, bytes);
      const decryptedBy = records.map((record, i) => ({ ...used(record), tokens: counts[i]! })).filter((entry) => entry.tokens > 0);
      await deps.audit.record({
        action: 'fernet.rotate', outcome: 'ok', keyId: primary.id, keyName: primary.name, tokens: lines.length,
        openedBy: decryptedBy.map((entry) => entry.id), via: 'desktop',
      });
      return { saved: true, input, output, inputBytes: file.length, outputBytes: bytes.length, key: used(primary), tokens: lines.length, decryptedBy };
    }),
  };
}

interface Opened { plaintext: Buffer; created: number; record: KeyRecord }

/**
 * Tries the candidates one at a time (each key is loaded, used and wiped before the next), and returns the
 * plaintext from the first whose HMAC matches. An authentic token older than `ttl` is TOKEN_EXPIRED at once,
 * as in MultiFernet: no other key could make it younger.
 */
async function openWithAny(store: KeyStore, candidates: KeyRecord[], token: Buffer, ttl: number | undefined): Promise<Opened> {
  for (const record of candidates) {
    try {
      const opened = await store.withKey(record.id, (raw) => withFernets([raw], ([fernet]) => {
        try {
          const plaintext = fernet!.decrypt(token, ttl === undefined ? {} : { ttl });
          return { plaintext, created: fernet!.extractTimestamp(token) };
        } catch (error) {
          if (isCustodianError(error) && error.code === 'INVALID_TOKEN') return undefined;
          throw error;
        }
      }), { purpose: 'fernet.decrypt' });
      if (opened) return { ...opened, record };
    } catch (error) {
      if (isCustodianError(error) && error.code === 'TOKEN_EXPIRED') {
        throw new CustodianError('TOKEN_EXPIRED', `The token was made with ${record.name} but is older than ${ttl} seconds; nothing was written.`, {
          hint: 'Allow a longer maximum age, or leave it empty to decrypt a token of any age.',
        });
      }
      throw error;
    }
  }
  throw new CustodianError('INVALID_TOKEN', candidates.length === 1
    ? `The file is not a Fernet token made with ${candidates[0]!.name}, or it was changed; nothing was written.`
    : 'No key in the keychain opens this file: it is not a Fernet token made with one of them, or it was changed; nothing was written.', {
    hint: 'Choose a file that holds one token as `custodian fernet encrypt` writes it, and the key it was made with.',
  });
}

/** The key whose HMAC matches the token (no decryption, no time check): which key a rotated line came from. */
function opens(fernet: Fernet, token: Buffer): boolean {
  try {
    fernet.extractTimestamp(token);
    return true;
  } catch (error) {
    if (isCustodianError(error) && error.code === 'INVALID_TOKEN') return false;
    throw error;
  }
}

function lineNotOpened(line: number, records: KeyRecord[]): CustodianError {
  // Which line, nothing more: the token itself is not echoed.
  return new CustodianError('INVALID_TOKEN', `Line ${line} is not a Fernet token made with ${records.map((r) => r.name).join(', ')}, or it was changed; nothing was written.`, {
    hint: 'Check that every line holds one token made with one of the chosen keys; remove the line to rotate the rest.',
    details: { line },
  });
}


/** Each key once, in first-seen order. */
function unique(records: KeyRecord[]): KeyRecord[] {
  return [...new Map(records.map((record) => [record.id, record] as const)).values()];
}

function used(record: KeyRecord): FernetKeyUsed {
  return { id: record.id, name: record.name };
}
