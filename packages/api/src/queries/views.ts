import type { Database, Kysely, ViewsTable } from '@trellis/db';
import type { z } from 'zod';
import type { viewOutput } from '../outputs.js';
import type { TaskListFilters } from '../task-filters.js';

/** A saved view as clients see it. */
export type ViewView = z.output<typeof viewOutput>;

function views(db: Kysely<Database>, workspaceId: string) {
  return db
    .selectFrom('views')
    .select([
      'id',
      'workspace_id',
      'owner_id',
      'name',
      'shared',
      'filters',
      'sort',
      'sort_order',
      'created_at',
      'updated_at',
    ])
    .where('workspace_id', '=', workspaceId);
}

type Row = ViewsTable;

// `filters` was validated by tasks.list's schema when written; `shared` is 0 or 1 on both
// dialects (SQLite has no boolean).
function toView(row: Row): ViewView {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    shared: Number(row.shared) === 1,
    ownerId: row.owner_id,
    filters: JSON.parse(row.filters) as TaskListFilters,
    sort: row.sort as ViewView['sort'],
    order: row.sort_order as ViewView['order'],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The workspace a view belongs to, or undefined (locate.view). */
export async function workspaceIdOfView(
  db: Kysely<Database>,
  viewId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('views')
    .select('workspace_id')
    .where('id', '=', viewId)
    .executeTakeFirst();
  return row?.workspace_id;
}

/** One view of a workspace, whoever may see it, or undefined. */
export async function getView(
  db: Kysely<Database>,
  workspaceId: string,
  viewId: string,
): Promise<ViewView | undefined> {
  const row = await views(db, workspaceId).where('id', '=', viewId).executeTakeFirst();
  return row && toView(row);
}

/** The views `userId` sees in a workspace: their own, then the others' shared ones; by name. */
export async function listViews(
  db: Kysely<Database>,
  workspaceId: string,
  userId: string,
): Promise<ViewView[]> {
  const own = await views(db, workspaceId).where('owner_id', '=', userId).execute();
  const shared = await views(db, workspaceId)
    .where('shared', '=', 1)
    .where('owner_id', '!=', userId)
    .execute();
  const byName = (a: Row, b: Row) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1;
  return [...own.sort(byName), ...shared.sort(byName)].map(toView);
}

/** How many views `ownerId` has in a workspace (the cap). */
export async function countOwnViews(
  db: Kysely<Database>,
  workspaceId: string,
  ownerId: string,
): Promise<number> {
  const row = await db
    .selectFrom('views')
    .select((eb) => eb.fn.countAll<string | number>().as('count'))
    .where('workspace_id', '=', workspaceId)
    .where('owner_id', '=', ownerId)
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}

function toRow(view: ViewView): Row {
  return {
    id: view.id,
    workspace_id: view.workspaceId,
    owner_id: view.ownerId,
    name: view.name,
    shared: view.shared ? 1 : 0,
    filters: JSON.stringify(view.filters),
    sort: view.sort,
    sort_order: view.order,
    created_at: view.createdAt,
    updated_at: view.updatedAt,
  };
}

/** Inserts a new view. */
export async function insertView(db: Kysely<Database>, view: ViewView): Promise<void> {
  await db.insertInto('views').values(toRow(view)).execute();
}

/** Writes a view's changeable columns. */
export async function updateView(db: Kysely<Database>, view: ViewView): Promise<void> {
  const { name, shared, filters, sort, sort_order, updated_at } = toRow(view);
  await db
    .updateTable('views')
    .set({ name, shared, filters, sort, sort_order, updated_at })
    .where('id', '=', view.id)
    .where('workspace_id', '=', view.workspaceId)
    .execute();
}

/** Deletes a view. */
export async function deleteView(
  db: Kysely<Database>,
  workspaceId: string,
  viewId: string,
): Promise<void> {
  await db
    .deleteFrom('views')
    .where('id', '=', viewId)
    .where('workspace_id', '=', workspaceId)
    .execute();
}
