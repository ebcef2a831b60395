import { type Database, dialectOf, isoNow, type Kysely } from '@trellis/db';
import * as q from '../queries/workspace-export.js';
import { EXPORT_FORMAT, EXPORT_VERSION, type Section } from './format.js';

// workspaces.export: one JSON document, written page by page (PAGE rows a query) from one
// read transaction, so memory stays the same whatever the workspace's size and every row
// comes from the same moment. PostgreSQL: a repeatable-read, read-only transaction.
// SQLite: a deferred read transaction, which in WAL mode sees one snapshot and never holds
// writers up (the server gives it a connection of its own: see apps/server imports.ts).

const PAGE = 1000;

const json = JSON.stringify;

/** The document as text chunks (a page of rows each), for a response to stream. */
export async function* exportWorkspace(
  db: Kysely<Database>,
  workspaceId: string,
  now: Date,
): AsyncGenerator<string> {
  let trx = db.startTransaction().setAccessMode('read only');
  if (dialectOf(db) === 'postgres') trx = trx.setIsolationLevel('repeatable read');
  const snapshot = await trx.execute();
  let committed = false;
  try {
    yield* documentChunks(snapshot, workspaceId, now);
    await snapshot.commit().execute();
    committed = true;
  } finally {
    // The reader went away (or a query failed): end the snapshot.
    if (!committed) await snapshot.rollback().execute();
  }
}

async function* documentChunks(
  db: Kysely<Database>,
  workspaceId: string,
  now: Date,
): AsyncGenerator<string> {
  const workspace = await q.workspaceRow(db, workspaceId);
  const counts: Record<Section, number> = {
    users: await q.userCount(db, workspaceId),
    ...(await q.sectionCounts(db, workspaceId)),
  };
  const projects = await q.projectRows(db, workspaceId);
  yield `{"format":${json(EXPORT_FORMAT)},"version":${EXPORT_VERSION},"exportedAt":${json(isoNow(now))},"counts":${json(counts)},"workspace":${json({ name: workspace.name, slug: workspace.slug, createdAt: workspace.created_at })}`;

  yield* section('users', userPages(db, workspaceId));
  const members = await q.memberRows(db, workspaceId);
  yield* section(
    'members',
    once(members.map((m) => json({ userId: m.user_id, role: m.role, createdAt: m.created_at }))),
  );
  yield* section(
    'projects',
    once(
      projects.map((p) =>
        json({
          id: p.id,
          key: p.key,
          name: p.name,
          archivedAt: p.archived_at,
          nextTaskNumber: Number(p.next_task_number),
          createdAt: p.created_at,
          updatedAt: p.updated_at,
        }),
      ),
    ),
  );
  yield* section('states', stateChunks(db, projects));
  yield* section('tasks', taskChunks(db, projects));
  yield* section('relations', relationChunks(db, projects));
  yield* section('comments', commentChunks(db, projects));
  yield* section('activity', activityChunks(db, workspaceId));
  yield '}';
}

/** `,"name":[` then the rows (each chunk a comma-joined run of JSON values), then `]`. */
async function* section(name: Section, rows: AsyncIterable<string[]>): AsyncGenerator<string> {
  yield `,${json(name)}:[`;
  let first = true;
  for await (const page of rows) {
    if (page.length === 0) continue;
    yield (first ? '' : ',') + page.join(',');
    first = false;
  }
  yield ']';
}

async function* once(rows: string[]): AsyncGenerator<string[]> {
  yield rows;
}

async function* userPages(db: Kysely<Database>, workspaceId: string): AsyncGenerator<string[]> {
  let after = '';
  for (;;) {
    const rows = await q.userPage(db, workspaceId, after, PAGE);
    if (rows.length === 0) return;
    yield rows.map((u) => json({ id: u.id, email: u.email, name: u.name }));
    after = rows[rows.length - 1]?.email ?? after;
  }
}

type ProjectRow = Awaited<ReturnType<typeof q.projectRows>>[number];

async function* stateChunks(db: Kysely<Database>, projects: ProjectRow[]) {
  for (const project of projects) {
    const rows = await q.stateRows(db, project.id);
    yield rows.map((s) =>
      json({
        id: s.id,
        projectId: s.project_id,
        name: s.name,
        category: s.category,
        position: Number(s.position),
        createdAt: s.created_at,
        updatedAt: s.updated_at,
      }),
    );
  }
}

/** Each project's tasks in number order, a page at a time. */
async function* taskIdPages(db: Kysely<Database>, projects: ProjectRow[]) {
  for (const project of projects) {
    let after = 0;
    for (;;) {
      const rows = await q.taskIdPage(db, project.id, after, PAGE);
      if (rows.length === 0) break;
      yield rows.map((row) => row.id);
      after = Number(rows[rows.length - 1]?.number);
    }
  }
}

async function* taskChunks(db: Kysely<Database>, projects: ProjectRow[]) {
  for (const project of projects) {
    let after = 0;
    for (;;) {
      const rows = await q.taskPage(db, project.id, after, PAGE);
      if (rows.length === 0) break;
      after = Number(rows[rows.length - 1]?.number);
      const labels = new Map<string, string[]>();
      for (const { task_id, label } of await q.labelRows(
        db,
        rows.map((t) => t.id),
      )) {
        const list = labels.get(task_id);
        if (list) list.push(label);
        else labels.set(task_id, [label]);
      }
      yield rows.map((t) =>
        json({
          id: t.id,
          projectId: t.project_id,
          number: Number(t.number),
          title: t.title,
          description: t.description,
          status: t.status,
          stateId: t.state_id,
          priority: Number(t.priority),
          assigneeId: t.assignee_id,
          dueAt: t.due_at,
          labels: labels.get(t.id) ?? [],
          parentId: t.parent_id,
          version: Number(t.version),
          createdBy: t.created_by,
          createdAt: t.created_at,
          updatedAt: t.updated_at,
          completedAt: t.completed_at,
        }),
      );
    }
  }
}

const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

async function* relationChunks(db: Kysely<Database>, projects: ProjectRow[]) {
  for await (const ids of taskIdPages(db, projects)) {
    const order = new Map(ids.map((id, index) => [id, index]));
    const rows = await q.relationRows(db, ids);
    rows.sort(
      (a, b) =>
        compare(order.get(a.task_id) ?? 0, order.get(b.task_id) ?? 0) ||
        compare(a.other_key, b.other_key) ||
        compare(Number(a.other_number), Number(b.other_number)) ||
        compare(a.type, b.type),
    );
    yield rows.map((r) =>
      json({
        taskId: r.task_id,
        otherTaskId: r.other_task_id,
        type: r.type,
        createdBy: r.created_by,
        createdAt: r.created_at,
      }),
    );
  }
}

async function* commentChunks(db: Kysely<Database>, projects: ProjectRow[]) {
  for await (const ids of taskIdPages(db, projects)) {
    const order = new Map(ids.map((id, index) => [id, index]));
    const rows = await q.commentRows(db, ids);
    // Already in time order: a stable sort by task keeps it within each task.
    rows.sort((a, b) => compare(order.get(a.task_id) ?? 0, order.get(b.task_id) ?? 0));
    yield rows.map((c) =>
      json({
        id: c.id,
        taskId: c.task_id,
        authorId: c.author_id,
        body: c.body,
        createdAt: c.created_at,
        updatedAt: c.updated_at,
      }),
    );
  }
}

async function* activityChunks(db: Kysely<Database>, workspaceId: string) {
  let after = 0;
  for (;;) {
    const rows = await q.activityPage(db, workspaceId, after, PAGE);
    if (rows.length === 0) return;
    after = Number(rows[rows.length - 1]?.workspace_seq);
    // `data` is stored as JSON text: written into the document as it is, not re-parsed.
    yield rows.map(
      (a) =>
        `${json({ id: a.id, projectId: a.project_id, taskId: a.task_id, actorId: a.actor_id, type: a.type }).slice(0, -1)},"data":${a.data},"createdAt":${json(a.created_at)}}`,
    );
  }
}
