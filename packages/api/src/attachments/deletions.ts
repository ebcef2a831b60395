import { EventEmitter } from 'node:events';

// Rows go before files: a delete commits the row's removal with its keys queued in
// `attachment_deletions`, then tells this process's attachment sweeper (the server's) to
// remove the files now rather than at its next sweep. Other processes find the queue at
// their next sweep; a crash before that leaves the queue to the next start.

class DeletionSignal extends EventEmitter {
  /** Files were queued for removal (after commit). */
  queued(): void {
    this.emit('queued');
  }
}

/** This process's signal to its attachment sweeper. */
export const attachmentDeletions = new DeletionSignal();
