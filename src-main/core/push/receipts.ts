/** Signed unlock and lock receipts (`kind`; absent = unlock, as written before revision 2), kept as evidence in receipts.json under the custodian home (newest last, capped). */
import { join } from 'node:path';
import { z } from 'zod';
import { JsonFile } from '../storage/json-file.js';

const MAX_RECEIPTS = 10_000;

const receiptSchema = z.object({
  kind: z.enum(['unlock', 'lock']).optional(),
  server: z.string(),
  url: z.string(),
  serverId: z.string(),
  identity: z.string(),
  bootId: z.string(),
  custodian: z.string(),
  keyIds: z.array(z.string()),
  /** Unlock: installed_at; lock: locked_at (receiver clock). */
  installedAt: z.number(),
  receivedAt: z.string(),
  jws: z.string(),
});
const fileSchema = z.object({ version: z.literal(1), receipts: z.array(receiptSchema) });

export type StoredReceipt = z.infer<typeof receiptSchema>;

export class ReceiptLog {
  private readonly file: JsonFile<z.infer<typeof fileSchema>>;

  constructor(home: string) {
    this.file = new JsonFile(join(home, 'receipts.json'), () => ({ version: 1 as const, receipts: [] }), (value) => fileSchema.parse(value));
  }

  get path(): string {
    return this.file.path;
  }

  async add(receipts: readonly StoredReceipt[]): Promise<void> {
    if (receipts.length === 0) return;
    await this.file.update((current) => {
      current.receipts.push(...receipts);
      if (current.receipts.length > MAX_RECEIPTS) current.receipts.splice(0, current.receipts.length - MAX_RECEIPTS);
    });
  }

  async list(): Promise<StoredReceipt[]> {
    return (await this.file.read()).receipts;
  }
}
