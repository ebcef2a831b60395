import { type Database, type Kysely, newId, TASK_STATUSES } from '@trellis/db';
import { type CompiledQuery, sql } from 'kysely';
import { insertProjectRow } from './project-rows.js';

// PostgreSQL chooses plans from table statistics: with a handful of rows a sequential scan
// is its right choice, so plan tests there need a realistically filled table. These
// helpers fill one and read plans as data (EXPLAIN (FORMAT JSON)).

/** One node of a PostgreSQL plan. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const flatten = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flatten)];

/** Every node of PostgreSQL's plan for `query`, parents before children. */
export async function postgresPlan(
  db: Kysely<Database>,
  query: CompiledQuery,
): Promise<PlanNode[]> {
  const { rows } = await db.executeQuery<{ 'QUERY PLAN': { Plan: PlanNode }[] }>({
    ...query,
    sql: `explain (format json) ${query.sql}`,
  });
  return (rows[0]?.['QUERY PLAN'] ?? []).flatMap((root) => flatten(root.Plan));
}

/** The plan's sequential scans of `table`: what an index should have replaced. */
export const seqScansOf = (plan: PlanNode[], table: string): PlanNode[] =>
  plan.filter((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === table);

/**
 * A neighbouring workspace with `count` tasks (all labelled `bug`, all saying "crash", one
 * activity entry each; task `n` has id `<workspaceId>-n`), then ANALYZE: the other
 * workspaces' rows become a small part of each table, as in production. Returns its id.
 */
export async function fillNeighbourWorkspace(
  db: Kysely<Database>,
  createdBy: string,
  count = 3000,
): Promise<string> {
  const workspaceId = newId();
  const projectId = newId();
  const at = '2030-01-01T00:00:00.000Z';
  await db
    .insertInto('workspaces')
    .values({
      id: workspaceId,
      name: 'Big',
      slug: `big-${workspaceId.slice(0, 8).toLowerCase()}`,
      created_at: at,
      updated_at: at,
    })
    .execute();
  const states = await insertProjectRow(db, {
    id: projectId,
    workspace_id: workspaceId,
    key: 'BIG',
    name: 'Big',
    archived_at: null,
    created_at: at,
    updated_at: at,
  });
  const minute = (i: string) =>
    sql`to_char(timestamp '2030-01-01' + ${sql.raw(i)} * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const stateIds = TASK_STATUSES.map((status) => states[status]);
  await sql`insert into tasks (id, workspace_id, project_id, number, title, description,
      status, state_id, priority, assignee_id, due_at, created_by, created_at, updated_at,
      completed_at)
    select ${workspaceId} || '-' || i, ${workspaceId}, ${projectId}, i, 'Crash report ' || i,
      'bug crash', (array['backlog', 'todo', 'in_progress', 'done', 'canceled'])[1 + i % 5],
      (array[${sql.join(stateIds)}])[1 + i % 5],
      i % 5, ${createdBy}, ${minute('i')}, ${createdBy}, ${minute('i')}, ${minute('i')},
      case when i % 5 = 3 then ${minute('i')} end
    from generate_series(1, ${count}) as i`.execute(db);
  await sql`insert into task_labels (task_id, workspace_id, label)
    select ${workspaceId} || '-' || i, ${workspaceId}, 'bug'
    from generate_series(1, ${count}) as i`.execute(db);
  await sql`insert into activity (id, workspace_id, workspace_seq, project_id, task_id, actor_id,
      type, data, created_at)
    select ${workspaceId} || '-a' || i, ${workspaceId}, i, ${projectId}, ${workspaceId} || '-' || i,
      ${createdBy}, 'task.created', '{}', ${minute('i')}
    from generate_series(1, ${count}) as i`.execute(db);
  await sql`update workspaces set activity_seq = ${count} where id = ${workspaceId}`.execute(db);
  await sql`analyze`.execute(db);
  return workspaceId;
}
