/**
 * The dialog port for the e2e bridge: it plays the person in front of the native dialog. Save dialogs and
 * directory dialogs answer inside one test directory; open dialogs answer with the file the test queued (POST
 * /__test/open-file), or "cancelled" when none was queued. Every request is recorded (titles only).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DialogPort } from '../../../src-main/app/dialogs.js';

export class TestDialogs implements DialogPort {
  readonly directory: string;
  readonly asked: Array<{ kind: 'directory' | 'save' | 'open'; title: string; answer: string | null }> = [];
  private readonly openQueue: Array<string | undefined> = [];
  private directories = 0;

  constructor(directory: string | undefined) {
    this.directory = directory ?? mkdtempSync(join(tmpdir(), 'custodian-e2e-files-'));
    mkdirSync(this.directory, { recursive: true, mode: 0o700 });
  }

  queueOpen(path: string | undefined): void {
    this.openQueue.push(path);
  }

  async chooseDirectory({ title }: { title: string }): Promise<string | undefined> {
    this.directories += 1;
    const answer = join(this.directory, `sheets-${this.directories}`);
    this.asked.push({ kind: 'directory', title, answer });
    return answer;
  }

  async chooseSaveFile({ title, defaultName }: { title: string; defaultName: string }): Promise<string | undefined> {
    const answer = join(this.directory, defaultName);
    this.asked.push({ kind: 'save', title, answer });
    return answer;
  }

  async chooseOpenFile({ title }: { title: string }): Promise<string | undefined> {
    const answer = this.openQueue.shift();
    this.asked.push({ kind: 'open', title, answer: answer ?? null });
    return answer;
  }
}
