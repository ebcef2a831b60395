import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type {
  Database,
  ImportJobKind,
  ImportJobStatus,
  ImportJobsTable,
  Kysely,
} from '@trellis/db';
import { isoNow, newId } from '@trellis/db';
import type { Selectable } from 'kysely';
import type { z } from 'zod';
import type { importJobOutput } from '../outputs.js';

// Import jobs run in the background, in the process that took the upload; the user who
// started one polls its row. The row says which process runs it (`owner`), so that a
// process starting up can fail the jobs a dead predecessor on this machine left behind.

/** An import job as imports.get answers it. */
export type ImportJobView = z.output<typeof importJobOutput>;
/** An import job's row, with who started it and its temp file. */
export type ImportJobRow = Selectable<ImportJobsTable>;

/** The error of a job whose process died before it finished. */
export const INTERRUPTED = 'interrupted';

// Tells this process apart from an earlier one that had the same pid (pids are reused).
const PROCESS_TOKEN = randomBytes(6).toString('hex');

/**
 * This process, as an import job's `owner`: `<hostname>:<pid>:<token>`. Every server in the
 * process shares it (tests run several), so none takes another's running job for abandoned.
 */
export function processOwner(): string {
  return `${hostname()}:${process.pid}:${PROCESS_TOKEN}`;
}

export interface NewImportJob {
  kind: ImportJobKind;
  /** Who started it: the only user who may read it. */
  userId: string;
  /** The target workspace (null for a workspace import until it is made). */
  workspaceId: string | null;
  /** The uploaded temp file the job reads. */
  file: string;
  now: Date;
}

/** A new job, queued, owned by this process. */
export async function createImportJob(
  db: Kysely<Database>,
  job: NewImportJob,
): Promise<ImportJobRow> {
  const at = isoNow(job.now);
  const row: ImportJobRow = {
    id: newId(),
    kind: job.kind,
    user_id: job.userId,
    workspace_id: job.workspaceId,
    status: 'queued',
    phase: 'queued',
    done: 0,
    total: null,
    error: null,
    report: null,
    file: job.file,
    owner: processOwner(),
    created_at: at,
    updated_at: at,
    finished_at: null,
  };
  await db.insertInto('import_jobs').values(row).execute();
  return row;
}

export interface ImportProgress {
  phase: string;
  done: number;
  /** Null or left out: unknown (or unchanged when left out). */
  total?: number | null;
  /** Set for a workspace import once its workspace is made. */
  workspaceId?: string;
}

/**
 * Marks the job running at `phase`, `done` of `total`. Callers throttle (a few writes a
 * second at most: see progressReporter); it runs outside any import transaction so that a
 * poller sees it at once.
 */
export async function reportProgress(
  db: Kysely<Database>,
  jobId: string,
  progress: ImportProgress,
  now: Date = new Date(),
): Promise<void> {
  await db
    .updateTable('import_jobs')
    .set({
      status: 'running',
      phase: progress.phase,
      done: progress.done,
      ...(progress.total === undefined ? {} : { total: progress.total }),
      ...(progress.workspaceId === undefined ? {} : { workspace_id: progress.workspaceId }),
      updated_at: isoNow(now),
    })
    .where('id', '=', jobId)
    .where('status', 'in', ['queued', 'running'])
    .execute();
}

/** A throttled reportProgress: `report` writes at most once per `intervalMs` (and on a new phase); `flush` writes the last one. */
export interface ProgressReporter {
  report(progress: ImportProgress): Promise<void>;
  flush(): Promise<void>;
}

export function progressReporter(
  db: Kysely<Database>,
  jobId: string,
  intervalMs = 250,
): ProgressReporter {
  let last = 0;
  let lastPhase: string | undefined;
  let pending: ImportProgress | undefined;
  const write = async (progress: ImportProgress) => {
    last = Date.now();
    lastPhase = progress.phase;
    pending = undefined;
    await reportProgress(db, jobId, progress);
  };
  return {
    async report(progress) {
      if (progress.phase !== lastPhase || Date.now() - last >= intervalMs) await write(progress);
      else pending = progress;
    },
    async flush() {
      if (pending) await write(pending);
    },
  };
}

export interface ImportOutcome {
  status: Extract<ImportJobStatus, 'succeeded' | 'failed'>;
  error?: string;
  report?: Record<string, unknown>;
  /** The target workspace; null when a failed workspace import removed what it made. */
  workspaceId?: string | null;
}

/** Ends the job (a job already ended stays as it is). */
export async function finishImportJob(
  db: Kysely<Database>,
  jobId: string,
  outcome: ImportOutcome,
  now: Date = new Date(),
): Promise<void> {
  const at = isoNow(now);
  await db
    .updateTable('import_jobs')
    .set({
      status: outcome.status,
      phase: outcome.status,
      error: outcome.error ?? null,
      report: outcome.report === undefined ? null : JSON.stringify(outcome.report),
      ...(outcome.workspaceId === undefined ? {} : { workspace_id: outcome.workspaceId }),
      updated_at: at,
      finished_at: at,
    })
    .where('id', '=', jobId)
    .where('status', 'in', ['queued', 'running'])
    .execute();
}

/** The job's row, or undefined. Callers check `user_id` against who asks. */
export async function getImportJob(
  db: Kysely<Database>,
  jobId: string,
): Promise<ImportJobRow | undefined> {
  return db.selectFrom('import_jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
}

/** A job row as imports.get answers it. */
export function importJobView(row: ImportJobRow): ImportJobView {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    phase: row.phase,
    done: row.done,
    total: row.total,
    workspaceId: row.workspace_id,
    error: row.error,
    report: row.report === null ? null : (JSON.parse(row.report) as Record<string, unknown>),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * At start: the queued or running jobs of this machine's processes that are gone (or of
 * an earlier process that had this one's pid: its token differs) fail with "interrupted", and the half-made
 * workspace of such a workspace import is deleted. Returns their temp files, for the caller
 * to remove. Jobs of other machines are theirs to clean up.
 */
export async function failAbandonedJobs(
  db: Kysely<Database>,
  now: Date = new Date(),
): Promise<string[]> {
  const prefix = `${hostname()}:`;
  const rows = await db
    .selectFrom('import_jobs')
    .select(['id', 'kind', 'owner', 'file', 'workspace_id'])
    .where('status', 'in', ['queued', 'running'])
    .where('owner', 'like', `${prefix}%`)
    .execute();
  const files: string[] = [];
  for (const row of rows) {
    const [pidText, token] = row.owner.slice(prefix.length).split(':');
    const pid = Number(pidText);
    if (
      pid === process.pid ? token === PROCESS_TOKEN : Number.isInteger(pid) && processIsAlive(pid)
    ) {
      continue;
    }
    // A workspace import's workspace has no members until its last step: unseen, and
    // removed here. (A CSV import's target is an existing workspace, never removed.)
    if (row.kind === 'workspace' && row.workspace_id !== null) {
      await db.deleteFrom('workspaces').where('id', '=', row.workspace_id).execute();
    }
    await finishImportJob(
      db,
      row.id,
      { status: 'failed', error: INTERRUPTED, workspaceId: null },
      now,
    );
    files.push(row.file);
  }
  return files;
}
