/**
 * Paper sheets for share holders: one PDF per holder, written 0600 into a directory the caller chose.
 * Two kinds: a SLIP-39 share of a data key (`backup split --pdf`) and a Vault/OpenBao unseal share
 * (`vault init --pdf`). A sheet holds exactly one holder's share and public facts; never the root token.
 */

/** One holder's sheet. */
export type ShareSheet = Slip39Sheet | VaultShareSheet;

interface SheetCommon {
  /** The holder's name as given with --holder (may be empty: "Holder k"). */
  holder: string;
  /** 1-based share number k of n. */
  index: number;
  total: number;
  threshold: number;
  date: Date;
}

export interface Slip39Sheet extends SheetCommon {
  kind: 'slip39';
  keyName: string;
  keyId: string;
  /** The mnemonic's words, in order (the QR code holds them joined by single spaces). */
  words: string[];
  /** True when the split used a SLIP-39 passphrase (the sheet says one is needed, never what it is). */
  passphraseProtected: boolean;
}

export interface VaultShareSheet extends SheetCommon {
  kind: 'vault-unseal';
  /** The cluster's node addresses. */
  addresses: string[];
  /** The share exactly as Vault printed it (base64, or base64 PGP ciphertext when encrypted to a PGP key). */
  share: string;
  pgpEncrypted: boolean;
}

/**
 * Writes one PDF per sheet into `dir` (which must exist or be creatable, mode 0700) as
 * `<baseName>-share-<k>-of-<n>.pdf`, mode 0600, and returns the paths in sheet order. Nothing is left behind on
 * failure (files written so far are removed) and the error is OUTPUT_UNWRITABLE.
 */
export async function writeShareSheets(dir: string, baseName: string, sheets: ShareSheet[]): Promise<string[]> {
  void dir; void baseName; void sheets;
  throw new Error('writeShareSheets is not implemented yet');
}
