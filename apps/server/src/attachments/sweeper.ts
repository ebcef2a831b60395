import { attachments } from '@trellis/api';
import type { Database, Kysely } from '@trellis/db';
import type { FastifyBaseLogger } from 'fastify';
import type { AttachmentStore } from './store.js';

// Removes attachment files whose rows are gone. Rows go first (attachments.delete, or the
// orphan step here for tasks purged from the trash or gone with their project), with their
// keys queued in the same transaction; the files go here, then the queue entry. A crash in
// between leaves the entry for the next sweep: never a row without its file, no file kept
// for good. Every process sweeps; removing a file twice is harmless.

const BATCH = 100;

export class AttachmentSweeper {
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly store: AttachmentStore,
    private readonly now: () => Date,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Sweeps now, or once more after the sweep under way. */
  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  /** Resolves once no sweep runs (shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.sweep();
      } catch (error) {
        this.log.error({ err: error }, 'attachment sweep failed');
      }
    } while (this.again && !this.closed);
  }

  private async sweep(): Promise<void> {
    const at = this.now().toISOString();
    while ((await attachments.queueOrphanAttachments(this.db, BATCH, at)) === BATCH) {
      if (this.closed) return;
    }
    for (;;) {
      const pending = await attachments.pendingDeletions(this.db, BATCH);
      for (const entry of pending) {
        if (this.closed) return;
        if (entry.previewKey) await this.store.remove(entry.previewKey);
        await this.store.remove(entry.storageKey);
        await attachments.forgetDeletion(this.db, entry.storageKey);
      }
      if (pending.length < BATCH) return;
    }
  }
}
