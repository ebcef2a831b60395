import {
  type Database,
  type Kysely,
  TASK_STATUSES,
  type TaskStatus,
  withoutIndexHint,
} from '@trellis/db';
import { sql } from 'kysely';
import type { z } from 'zod';
import type { statsOutput } from '../outputs.js';

/** How many days the per-day series cover: today (UTC) and the 29 days before. */
export const STATS_DAYS = 30;
/** Task priorities, lowest first. */
export const PRIORITIES = [0, 1, 2, 3, 4] as const;
/** Statuses of tasks that still need work. */
export const OPEN_STATUSES = TASK_STATUSES.filter(
  (status) => status !== 'done' && status !== 'canceled',
);

/** A workspace's dashboard numbers. */
export type StatsOverview = z.output<typeof statsOutput>;

/** The UTC day (`YYYY-MM-DD`) `offset` days after `now`'s. */
export function utcDay(now: Date, offset: number): string {
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + offset);
  return new Date(day).toISOString().slice(0, 10);
}

/** The UTC days of the window ending on `now`'s day, oldest first. */
export function statsDays(now: Date): string[] {
  return Array.from({ length: STATS_DAYS }, (_, i) => utcDay(now, i - (STATS_DAYS - 1)));
}

// Timestamps are ISO-8601 UTC text, so their first ten characters are the UTC day and
// text comparison with a bare day ('2030-06-01' < '2030-06-01T…') bounds a range of days.
const dayOf = (column: 'created_at' | 'completed_at') =>
  sql<string>`substr(${sql.ref(column)}, 1, 10)`;

/**
 * The aggregate queries behind `statsOverview`, exposed so that tests can check their
 * plans: each one searches an index led by workspace_id, none scans the tasks table.
 */
export function statsQueries(
  db: Kysely<Database>,
  workspaceId: string,
  window: { firstDay: string; dayAfter: string; now: string },
) {
  const tasks = db.selectFrom('tasks').where('tasks.workspace_id', '=', workspaceId);
  const count = sql<number>`count(*)`.as('count');
  return {
    byStatus: tasks.select(['status', count]).groupBy('status'),
    byPriority: tasks.select(['priority', count]).groupBy('priority'),
    // Counted per assignee first, then named. Grouped by `+assignee_id` so that SQLite
    // reads only the open tasks' entries of (workspace_id, status, assignee_id) instead of
    // walking every task through the assignee index to get the groups in order (~10x).
    openByAssignee: db
      .selectFrom(
        tasks
          .select(['assignee_id', count])
          .where('status', 'in', OPEN_STATUSES)
          .groupBy(withoutIndexHint(db, 'assignee_id'))
          .as('open'),
      )
      .leftJoin('users', 'users.id', 'open.assignee_id')
      .select(['open.assignee_id as assigneeId', 'users.name', 'open.count'])
      .orderBy('open.count', 'desc')
      // Ties: people by name, then the unassigned pile, the same way on every dialect.
      .orderBy(sql`${sql.ref('open.assignee_id')} is null`)
      .orderBy('users.name')
      .orderBy('open.assignee_id'),
    createdPerDay: tasks
      .select([dayOf('created_at').as('day'), count])
      .where('created_at', '>=', window.firstDay)
      .where('created_at', '<', window.dayAfter)
      .groupBy(dayOf('created_at')),
    // Only done tasks count as completed; the status also lets the query use an index.
    completedPerDay: tasks
      .select([dayOf('completed_at').as('day'), count])
      .where('status', '=', 'done')
      .where('completed_at', '>=', window.firstDay)
      .where('completed_at', '<', window.dayAfter)
      .groupBy(dayOf('completed_at')),
    overdue: tasks
      .select(count)
      .where('due_at', '<', window.now)
      .where('status', 'in', OPEN_STATUSES),
  };
}

function perDay(days: readonly string[], rows: readonly { day: string; count: number }[]) {
  const counts = new Map(rows.map((row) => [row.day, Number(row.count)]));
  return days.map((day) => ({ day, count: counts.get(day) ?? 0 }));
}

/**
 * A read transaction: every number it reads describes the same moment. SQLite's transaction
 * reads one snapshot as it is; PostgreSQL's default (READ COMMITTED) takes a new one per
 * statement, so it is asked for REPEATABLE READ (SQLite's driver ignores the setting).
 */
function snapshotOf(db: Kysely<Database>) {
  return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only');
}

/** A workspace's dashboard numbers as of `now`, from SQL aggregates (no task rows loaded). */
export function statsOverview(
  db: Kysely<Database>,
  workspaceId: string,
  now: Date,
): Promise<StatsOverview> {
  return snapshotOf(db).execute((trx) => readStats(trx, workspaceId, now));
}

/**
 * The workspace's data version: its newest activity entry's number. Every change writes its
 * activity entry in its own transaction, so the version moves exactly when the workspace's
 * data does, in every process at once (it is read from the database).
 */
export async function workspaceVersion(db: Kysely<Database>, workspaceId: string): Promise<number> {
  const row = await db
    .selectFrom('activity')
    .select((eb) => eb.fn.max('workspace_seq').as('version'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  return Number(row?.version ?? 0);
}

/** The overview with what decides how long it holds, all read in one snapshot. */
export interface StatsSnapshot {
  overview: StatsOverview;
  /** The workspace's data version the overview was computed at. */
  version: number;
  /**
   * When time alone changes the overview: the earliest due date, at or after `now`, of an
   * open task (it then counts as overdue); null when none is due later.
   */
  changesAt: string | null;
}

/** {@link statsOverview} with its data version and the moment time alone changes it. */
export function statsSnapshot(
  db: Kysely<Database>,
  workspaceId: string,
  now: Date,
): Promise<StatsSnapshot> {
  return snapshotOf(db).execute(async (trx) => {
    const version = await workspaceVersion(trx, workspaceId);
    const next = await trx
      .selectFrom('tasks')
      .select((eb) => eb.fn.min('due_at').as('due'))
      .where('workspace_id', '=', workspaceId)
      .where('status', 'in', OPEN_STATUSES)
      .where('due_at', '>=', now.toISOString())
      .executeTakeFirst();
    const overview = await readStats(trx, workspaceId, now);
    return { overview, version, changesAt: next?.due ?? null };
  });
}

async function readStats(
  trx: Kysely<Database>,
  workspaceId: string,
  now: Date,
): Promise<StatsOverview> {
  const days = statsDays(now);
  const firstDay = days[0] ?? utcDay(now, 0);
  const dayAfter = utcDay(now, 1);
  const q = statsQueries(trx, workspaceId, { firstDay, dayAfter, now: now.toISOString() });
  const rows = {
    byStatus: await q.byStatus.execute(),
    byPriority: await q.byPriority.execute(),
    openByAssignee: await q.openByAssignee.execute(),
    createdPerDay: await q.createdPerDay.execute(),
    completedPerDay: await q.completedPerDay.execute(),
    overdue: await q.overdue.executeTakeFirstOrThrow(),
  };
  const byStatus = Object.fromEntries(TASK_STATUSES.map((status) => [status, 0])) as Record<
    TaskStatus,
    number
  >;
  for (const row of rows.byStatus) byStatus[row.status] = Number(row.count);
  const priorities = new Map(rows.byPriority.map((row) => [row.priority, Number(row.count)]));
  return {
    byStatus,
    byPriority: PRIORITIES.map((priority) => ({ priority, count: priorities.get(priority) ?? 0 })),
    openByAssignee: rows.openByAssignee.map((row) => ({
      assigneeId: row.assigneeId,
      name: row.name,
      count: Number(row.count),
    })),
    createdPerDay: perDay(days, rows.createdPerDay),
    completedPerDay: perDay(days, rows.completedPerDay),
    totals: {
      tasks: TASK_STATUSES.reduce((sum, status) => sum + byStatus[status], 0),
      open: OPEN_STATUSES.reduce((sum, status) => sum + byStatus[status], 0),
      overdue: Number(rows.overdue.count),
    },
  };
}
