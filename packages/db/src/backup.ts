import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';

/** How far a backup is, in database pages. */
export interface BackupProgress {
  totalPages: number;
  remainingPages: number;
}

/** Options of {@link backupSqlite}. */
export interface BackupOptions {
  /** Replace `destination` if it exists (otherwise the backup refuses to start). */
  force?: boolean;
  /** Called after each step of the copy. */
  onProgress?(progress: BackupProgress): void;
  /** Called when another connection's write made SQLite start the copy over. */
  onRestart?(): void;
  /** Pages copied per step while nothing else writes (default 1024, 4 MiB at 4 KiB pages). */
  pagesPerStep?: number;
}

/** A backup that was refused or failed, with a message for the operator. */
export class BackupError extends Error {
  override name = 'BackupError';
}

/** better-sqlite3 takes this as "every remaining page in one step". */
const ALL_PAGES = 0x7fffffff;

/**
 * Copies the SQLite database at `source` (a file path) to `destination` with SQLite's
 * online backup API, on a connection of its own, while servers keep reading and writing
 * it. The copy is a consistent snapshot taken during the backup: it holds every
 * transaction committed before the backup started. It is written beside the destination
 * and renamed into place once complete, so a failed backup leaves no half-written file.
 */
export async function backupSqlite(
  source: string,
  destination: string,
  { force = false, onProgress, onRestart, pagesPerStep = 1024 }: BackupOptions = {},
): Promise<BackupProgress> {
  if (existsSync(destination) && !force) {
    throw new BackupError(`${destination} exists; pass --force to replace it`);
  }
  if (!existsSync(source)) throw new BackupError(`no database at ${source}`);
  if (!existsSync(dirname(destination))) {
    throw new BackupError(`${dirname(destination)} does not exist; create it first`);
  }
  const partial = `${destination}.partial-${process.pid}`;
  const db = new SQLite(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    let previous = Number.POSITIVE_INFINITY;
    let step = pagesPerStep;
    const result = await db.backup(partial, {
      progress(progress) {
        onProgress?.(progress);
        // SQLite restarts a step-wise copy whenever another connection writes. Under
        // steady writes it would never finish, so after a restart the rest is copied in one
        // step: one read transaction (WAL lets writers go on meanwhile).
        if (progress.remainingPages > previous && step !== ALL_PAGES) {
          step = ALL_PAGES;
          onRestart?.();
        }
        previous = progress.remainingPages;
        return step;
      },
    });
    const copy = new SQLite(partial, { fileMustExist: true });
    try {
      const check = copy.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new BackupError(`the copy failed its integrity check: ${check}`);
    } finally {
      copy.close();
    }
    const fd = openSync(partial, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // A replaced database's journal files would be read as the new file's.
    for (const suffix of ['-wal', '-shm', '-journal'])
      rmSync(`${destination}${suffix}`, { force: true });
    renameSync(partial, destination);
    return result;
  } finally {
    db.close();
    rmSync(partial, { force: true });
    for (const suffix of ['-wal', '-shm', '-journal'])
      rmSync(`${partial}${suffix}`, { force: true });
  }
}
