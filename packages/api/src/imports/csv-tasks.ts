import { type Database, dialectOf, isoNow, type Kysely, newId } from '@trellis/db';
import { TRPCError } from '@trpc/server';
import type { Actor } from '../access.js';
import { type Clock, recordActivities, writeInWorkspace } from '../activity.js';
import { insertTasks, loadTaskViews } from '../queries/tasks.js';
import { getUserWorkspace } from '../queries/workspaces.js';
import { roleAtLeast } from '../roles.js';
import {
  type ColumnIndexes,
  type CsvTaskImportOptions,
  type RowError,
  resolveColumns,
} from './csv-tasks-columns.js';
import { type CsvRecord, CsvSyntaxError, isBlank, readCsvChunks } from './csv-tasks-read.js';
import { RowChecker, type ValidRow } from './csv-tasks-rows.js';
import { allocateTaskNumbers, csvImportTarget } from './csv-tasks-sql.js';
import type { ImportOutcome, ProgressReporter } from './jobs.js';

export { type CsvTaskImportOptions, csvImportOptions } from './csv-tasks-columns.js';

// A CSV task import (kind 'tasks.csv'), in two passes over the uploaded file. Pass 1
// checks every row and writes nothing. Pass 2, only when every row is valid or
// `skipInvalid` is set, checks again under the workspace's write lock and writes the valid
// rows in ONE transaction: nobody sees half an import, and a failure leaves nothing. Memory
// stays bounded: rows are read and written a chunk at a time; at most MAX_REPORTED_ERRORS
// errors are kept.

/** Rows read, checked and written together (one lookup or insert statement each). */
const CHUNK_ROWS = 500;
/** The report lists at most this many errors; `errorCount` counts them all. */
export const MAX_REPORTED_ERRORS = 1000;

/** What a CSV import job did: the job's `report`. */
export interface CsvImportReport {
  /** Data rows in the file (blank lines aside). */
  rows: number;
  created: number;
  /** Rows with at least one error (skipped, or the reason nothing was imported). */
  invalid: number;
  /** Every error found; `errors` lists the first MAX_REPORTED_ERRORS of them. */
  errorCount: number;
  errors: RowError[];
  /** The first and last task made (their numbers run in between, in file order). */
  firstKey: string | null;
  lastKey: string | null;
}

/** One CSV import to run: its file, and who asked for what. */
export interface CsvTaskJob {
  file: string;
  workspaceId: string;
  actor: Actor;
  options: CsvTaskImportOptions;
  /** Aborted when the server closes: the import stops between chunks, writing nothing. */
  signal?: AbortSignal;
}

/**
 * Before an upload is taken: NOT_FOUND unless the project is the workspace's, CONFLICT when
 * it is archived (tasks.create's answers). The job checks again under the write lock.
 */
export async function checkCsvImportTarget(
  db: Kysely<Database>,
  workspaceId: string,
  projectId: string,
): Promise<void> {
  const project = await csvImportTarget(db, workspaceId, projectId);
  if (!project) throw new TRPCError({ code: 'NOT_FOUND', message: 'Project not found' });
  if (project.archivedAt !== null) {
    const message = `Project ${project.key} is archived and takes no new tasks`;
    throw new TRPCError({ code: 'CONFLICT', message });
  }
}

/** The errors of a pass: every count, the first MAX_REPORTED_ERRORS entries. */
class ErrorLog {
  readonly errors: RowError[] = [];
  count = 0;
  invalidRows = 0;

  add(errors: readonly RowError[]): void {
    this.count += errors.length;
    this.invalidRows += new Set(errors.map((error) => error.row)).size;
    const room = MAX_REPORTED_ERRORS - this.errors.length;
    if (room > 0) this.errors.push(...errors.slice(0, room));
  }
}

/** The file's header and data rows, chunk by chunk; the header's columns resolved first. */
async function* dataChunks(
  file: string,
  options: CsvTaskImportOptions,
): AsyncGenerator<{ header: { columns: ColumnIndexes; length: number }; records: CsvRecord[] }> {
  let header: { columns: ColumnIndexes; length: number } | undefined;
  for await (const chunk of readCsvChunks(file, CHUNK_ROWS)) {
    if (!header) {
      const first = chunk.shift();
      if (!first || isBlank(first)) {
        throw new ImportRefused('The first row must name the columns (title, …)');
      }
      const resolved = resolveColumns(first.fields, options.mapping);
      if (resolved.errors.length > 0) {
        const message = 'The header row does not give the columns needed';
        throw new ImportRefused(message, logOf(resolved.errors));
      }
      header = { columns: resolved.columns, length: first.fields.length };
    }
    yield { header, records: chunk.filter((record) => !isBlank(record)) };
  }
  if (!header) throw new ImportRefused('The file is empty: the first row must name the columns');
}

/**
 * The import cannot go on: the job fails with `message`, and `log`'s errors and `rows` (data
 * rows read so far) in its report. Header problems are errors of row 1.
 */
class ImportRefused extends Error {
  constructor(
    message: string,
    readonly log: ErrorLog = new ErrorLog(),
    readonly rows = 0,
  ) {
    super(message);
  }
}

/** An ErrorLog of these errors. */
function logOf(errors: readonly RowError[]): ErrorLog {
  const log = new ErrorLog();
  log.add(errors);
  return log;
}

/** Pass 1: every row checked; nothing written. */
async function checkFile(
  db: Kysely<Database>,
  job: CsvTaskJob,
  progress: ProgressReporter,
): Promise<{ rows: number; log: ErrorLog }> {
  const log = new ErrorLog();
  let rows = 0;
  let checker: RowChecker | undefined;
  for await (const { header, records } of dataChunks(job.file, job.options)) {
    job.signal?.throwIfAborted();
    checker ??= await RowChecker.load(db, job.workspaceId, job.options.projectId, header);
    log.add((await checker.check(records)).errors);
    rows += records.length;
    await progress.report({ phase: 'validating', done: rows, total: null });
  }
  return { rows, log };
}

/** Refuses an actor who is no longer a member (or above) of the workspace. */
async function requireWriter(trx: Kysely<Database>, workspaceId: string, actor: Actor) {
  const workspace = await getUserWorkspace(trx, actor.userId, workspaceId);
  if (!workspace || !roleAtLeast(workspace.role, 'member')) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'You may no longer add tasks here' });
  }
}

/** Writes one chunk's valid rows: numbers, tasks, labels, then their log entries. */
async function writeRows(
  trx: Kysely<Database>,
  job: CsvTaskJob,
  checker: RowChecker,
  valid: readonly ValidRow[],
  at: string,
): Promise<string[]> {
  const numbers = await allocateTaskNumbers(trx, job.workspaceId, checker.project.id, valid.length);
  if (!numbers) throw new TRPCError({ code: 'NOT_FOUND', message: 'Project not found' });
  if (numbers.archivedAt !== null) {
    const message = `Project ${checker.project.key} is archived and takes no new tasks`;
    throw new TRPCError({ code: 'CONFLICT', message });
  }
  const rows = valid.map(({ task, stateId }, index) => ({
    ...task,
    stateId,
    id: newId(),
    workspaceId: job.workspaceId,
    number: numbers.first + index,
    createdBy: job.actor.userId,
    at,
  }));
  await insertTasks(trx, rows, { remindedAt: at });
  const views = await loadTaskViews(
    trx,
    job.workspaceId,
    rows.map((row) => row.id),
  );
  const entries = views.map((task) => ({
    actor: job.actor,
    type: 'task.created' as const,
    projectId: task.projectId,
    taskId: task.id,
    data: { task },
  }));
  await recordActivities(trx, job.workspaceId, entries, new Date(at));
  return views.map((view) => view.key);
}

/**
 * Pass 2, in one transaction under the workspace's write lock: checks every row again (a
 * member removed since pass 1 no longer takes tasks) and writes the valid ones. A row that
 * has become invalid fails the whole import unless `skipInvalid`.
 */
async function writeFile(
  db: Kysely<Database>,
  job: CsvTaskJob,
  clock: Clock,
  progress: ProgressReporter,
  total: number,
): Promise<{ rows: number; created: number; log: ErrorLog; keys: string[] }> {
  // PostgreSQL shows progress from another connection while the transaction runs; SQLite's
  // one connection is the transaction's until it commits, so there it is shown at the end.
  const live = dialectOf(db) === 'postgres';
  return writeInWorkspace(db, job.workspaceId, clock, async (trx, now) => {
    await requireWriter(trx, job.workspaceId, job.actor);
    const at = isoNow(now);
    const log = new ErrorLog();
    let firstKey: string | undefined;
    let lastKey: string | undefined;
    let rows = 0;
    let created = 0;
    let checker: RowChecker | undefined;
    for await (const { header, records } of dataChunks(job.file, job.options)) {
      job.signal?.throwIfAborted();
      checker ??= await RowChecker.load(trx, job.workspaceId, job.options.projectId, header);
      const { valid, errors } = await checker.check(records);
      log.add(errors);
      rows += records.length;
      if (errors.length > 0 && !job.options.skipInvalid) {
        const message =
          'Rows became invalid while the import waited to write; nothing was imported';
        throw new ImportRefused(message, log, rows);
      }
      if (valid.length > 0) {
        const made = await writeRows(trx, job, checker, valid, at);
        firstKey ??= made[0];
        lastKey = made[made.length - 1];
        created += made.length;
      }
      if (live) await progress.report({ phase: 'writing', done: created, total });
    }
    const keys = firstKey && lastKey ? [firstKey, lastKey] : [];
    return { rows, created, log, keys };
  });
}

function report(
  rows: number,
  created: number,
  log: ErrorLog,
  keys: readonly string[] = [],
): CsvImportReport {
  return {
    rows,
    created,
    invalid: log.invalidRows,
    errorCount: log.count,
    errors: log.errors,
    firstKey: keys[0] ?? null,
    lastKey: keys[1] ?? null,
  };
}

const plural = (count: number, one: string) => `${count} ${one}${count === 1 ? '' : 's'}`;

/**
 * Runs a CSV task import to its end and says how it ended (the caller records it with
 * finishImportJob). Failures that are the file's or the caller's (bad rows, a bad header,
 * a project gone or archived, access lost) are a failed outcome; anything else throws.
 */
export async function runCsvTaskImport(
  db: Kysely<Database>,
  job: CsvTaskJob,
  clock: Clock,
  progress: ProgressReporter,
): Promise<ImportOutcome> {
  try {
    await progress.report({ phase: 'validating', done: 0, total: null });
    const checked = await checkFile(db, job, progress);
    const bad = checked.log.invalidRows;
    if (bad > 0 && !job.options.skipInvalid) {
      const error = `${plural(bad, 'row')} of ${checked.rows} invalid; nothing was imported (skipInvalid=true imports the others)`;
      return { status: 'failed', error, report: { ...report(checked.rows, 0, checked.log) } };
    }
    const total = checked.rows - bad;
    await progress.report({ phase: 'writing', done: 0, total });
    const written = await writeFile(db, job, clock, progress, total);
    const { rows, created, log, keys } = written;
    await progress.report({ phase: 'writing', done: created, total });
    await progress.flush();
    return { status: 'succeeded', report: { ...report(rows, created, log, keys) } };
  } catch (error) {
    if (error instanceof ImportRefused) {
      return {
        status: 'failed',
        error: error.message,
        report: { ...report(error.rows, 0, error.log) },
      };
    }
    if (error instanceof CsvSyntaxError) {
      const log = logOf([{ row: error.row, field: null, message: error.message }]);
      return { status: 'failed', error: error.message, report: { ...report(0, 0, log) } };
    }
    if (error instanceof TRPCError && ['NOT_FOUND', 'CONFLICT', 'FORBIDDEN'].includes(error.code)) {
      return { status: 'failed', error: error.message };
    }
    throw error;
  }
}
