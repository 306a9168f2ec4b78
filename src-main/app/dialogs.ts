/**
 * The file dialogs the Backup screen needs, as a port: Electron implements it with `dialog.*`
 * (src-main/electron/dialogs.ts), the end-to-end bridge with a test directory. Main asks, the user chooses; a
 * path never comes from the renderer, so a compromised renderer cannot make main read or write a file of its
 * choosing.
 *
 * Every method resolves to undefined when the user cancels.
 */
export interface DialogPort {
  /** A directory to write share sheets into. */
  chooseDirectory(options: { title: string }): Promise<string | undefined>;
  /** A file to write (a backup), suggested as `defaultName`. Overwriting is confirmed by the dialog. */
  chooseSaveFile(options: { title: string; defaultName: string; extensions: string[] }): Promise<string | undefined>;
  /** An existing file to read (a backup, an identity file). */
  chooseOpenFile(options: { title: string; extensions?: string[] }): Promise<string | undefined>;
}

/** For a face without dialogs (tests, a headless core): the user cancels every choice, so nothing is read or written. */
export const NO_DIALOGS: DialogPort = {
  chooseDirectory: async () => undefined,
  chooseSaveFile: async () => undefined,
  chooseOpenFile: async () => undefined,
};
