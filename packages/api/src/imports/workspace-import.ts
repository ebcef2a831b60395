import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { JSONParser } from '@streamparser/json';
import { normalizeEmail } from '@trellis/auth';
import { type Database, isoNow, type Kysely, type Role } from '@trellis/db';
import type { z } from 'zod';
import { importedReminderMarkers } from '../queries/reminders.js';
import * as q from '../queries/workspace-import.js';
import {
  countsRow,
  EXPORT_FORMAT,
  EXPORT_VERSION,
  SECTIONS,
  type Section,
  type SectionRow,
  sectionRows,
  workspaceRow,
} from './format.js';
import { type ImportOutcome, progressReporter } from './jobs.js';

// workspaces.import: reads an export document from the uploaded file with a streaming
// parser, in bounded memory, into a new workspace with new ids. Rows are written in
// batches as they come, each batch one transaction; the workspace has no member until the
// last transaction, so nobody sees it half-made, and a failure deletes it (with every row
// in it, and the accounts this import made). What stays in memory: the old-to-new id map
// (ids are needed until the end: the activity log names everything) and the sub-task
// pairs, whose parents may come later in the file.

/** Rows kept before a batch is written (one transaction, several statements). */
const BATCH_ROWS = 2000;
/** Bytes read from the file at a time. */
const CHUNK_BYTES = 256 * 1024;

/**
 * newId()'s ids (128 random bits, base64url), drawn from a pool: one call to the random
 * source per 4,096 ids rather than per id, which a large import otherwise spends seconds on.
 */
const POOL_IDS = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;
function newId(): string {
  if (poolAt >= pool.length) {
    pool = randomBytes(16 * POOL_IDS);
    poolAt = 0;
  }
  poolAt += 16;
  return pool.toString('base64url', poolAt - 16, poolAt);
}

/** A document the import refuses: the message names the JSON path of the problem. */
export class ImportDocumentError extends Error {
  override name = 'ImportDocumentError';
}

export interface WorkspaceImportRequest {
  jobId: string;
  file: string;
  /** Who imports: becomes the workspace's owner unless the document makes them a member. */
  userId: string;
  /** Override the document's name or slug. */
  name?: string | undefined;
  slug?: string | undefined;
  now: () => Date;
  /** Aborted when the server closes: the import stops between batches and cleans up. */
  signal?: AbortSignal | undefined;
}

type Header = { format?: unknown; version?: unknown; counts?: unknown; workspace?: unknown };
type Parsed =
  | { section: Section; index: number; value: unknown }
  | { header: keyof Header; value: unknown };

const PATHS = [
  '$.format',
  '$.version',
  '$.counts',
  '$.workspace',
  ...SECTIONS.map((s) => `$.${s}.*`),
];

function rowPath(section: Section, index: number, field?: PropertyKey) {
  return `$.${section}[${index}]${field === undefined ? '' : `.${String(field)}`}`;
}

function parseRow<S extends Section>(section: S, index: number, value: unknown): SectionRow<S> {
  const parsed = (sectionRows[section] as unknown as z.ZodType<SectionRow<S>>).safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.length
    ? rowPath(section, index, issue.path.map(String).join('.'))
    : rowPath(section, index);
  throw new ImportDocumentError(`${path}: ${issue?.message ?? 'invalid'}`);
}

/** Replaces every string of `value` that is an old id with its new id. */
function remapJson(value: unknown, ids: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return ids.get(value) ?? value;
  if (Array.isArray(value)) return value.map((item) => remapJson(item, ids));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = remapJson(item, ids);
    return out;
  }
  return value;
}

export async function importWorkspace(
  db: Kysely<Database>,
  request: WorkspaceImportRequest,
): Promise<ImportOutcome> {
  const importer = new WorkspaceImporter(db, request);
  try {
    return await q.withImportCache(db, () => importer.run());
  } catch (error) {
    await q.removeImport(db, importer.workspaceId, importer.createdUsers);
    throw error;
  }
}

class WorkspaceImporter {
  workspaceId: string | null = null;
  readonly createdUsers: string[] = [];
  private readonly header: Header = {};
  /** Old id → new id, for every row the document brought in. */
  private readonly ids = new Map<string, string>();
  private readonly userIds = new Set<string>();
  private readonly projectIds = new Set<string>();
  private readonly stateProjects = new Map<string, string>();
  private readonly taskIds = new Set<string>();
  private readonly members: { userId: string; role: Role; createdAt: string }[] = [];
  private readonly parents: (readonly [string, string, number])[] = [];
  private readonly nextNumbers = new Map<string, number>();
  private readonly counted = Object.fromEntries(SECTIONS.map((s) => [s, 0])) as Record<
    Section,
    number
  >;
  private batch: { section: Section; rows: { index: number; value: unknown }[] } | null = null;
  private sectionAt = -1;
  private activitySeq = 0;
  private done = 0;
  private total: number | null = null;
  private readonly progress;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly request: WorkspaceImportRequest,
  ) {
    this.progress = progressReporter(db, request.jobId);
  }

  async run(): Promise<ImportOutcome> {
    await this.progress.report({ phase: 'reading', done: 0 });
    const parsed: Parsed[] = [];
    const parser = new JSONParser({ paths: PATHS, keepStack: false });
    parser.onValue = ({ value, key, stack }) => {
      if (stack.length === 1) parsed.push({ header: key as keyof Header, value });
      else parsed.push({ section: stack[1]?.key as Section, index: Number(key), value });
    };
    let offset = 0;
    for await (const chunk of createReadStream(this.request.file, { highWaterMark: CHUNK_BYTES })) {
      try {
        parser.write(chunk as Buffer);
      } catch (error) {
        throw new ImportDocumentError(
          `Not a JSON document (after byte ${offset}): ${(error as Error).message}`,
        );
      }
      offset += (chunk as Buffer).length;
      for (const item of parsed.splice(0)) await this.take(item);
    }
    if (!parser.isEnded) {
      throw new ImportDocumentError('$: the JSON document ends too early');
    }
    await this.flush();
    await this.begin();
    return this.finish();
  }

  private async take(item: Parsed): Promise<void> {
    if ('header' in item) {
      if (this.sectionAt >= 0) {
        throw new ImportDocumentError(
          `$.${item.header}: must come before the sections (${SECTIONS.join(', ')})`,
        );
      }
      this.header[item.header] = item.value;
      return;
    }
    const { section, index, value } = item;
    const at = SECTIONS.indexOf(section);
    if (!Number.isInteger(index)) throw new ImportDocumentError(`$.${section}: must be an array`);
    if (at < this.sectionAt) {
      throw new ImportDocumentError(
        `$.${section}: the sections must come in this order: ${SECTIONS.join(', ')}`,
      );
    }
    await this.begin();
    if (this.batch && (this.batch.section !== section || this.batch.rows.length >= BATCH_ROWS))
      await this.flush();
    this.sectionAt = at;
    this.batch ??= { section, rows: [] };
    this.batch.rows.push({ index, value });
  }

  /** Before the first row: checks the header and makes the (still invisible) workspace. */
  private async begin(): Promise<void> {
    if (this.workspaceId !== null) return;
    const { format, version, counts, workspace } = this.header;
    if (format !== EXPORT_FORMAT) {
      throw new ImportDocumentError(
        `$.format: must be "${EXPORT_FORMAT}"${format === undefined ? ' (missing, or after the sections)' : ''}`,
      );
    }
    if (version !== EXPORT_VERSION) {
      throw new ImportDocumentError(
        `$.version: must be ${EXPORT_VERSION} (this server reads version ${EXPORT_VERSION})`,
      );
    }
    const parsedWorkspace = workspaceRow.safeParse(workspace);
    if (!parsedWorkspace.success) {
      const issue = parsedWorkspace.error.issues[0];
      const field = issue?.path.length ? `.${issue.path.join('.')}` : '';
      throw new ImportDocumentError(
        `$.workspace${field}: ${workspace === undefined ? 'missing, or after the sections' : issue?.message}`,
      );
    }
    const parsedCounts = countsRow.safeParse(counts ?? {});
    if (parsedCounts.success && counts !== undefined) {
      this.total = Object.values(parsedCounts.data).reduce((sum, n) => sum + (n ?? 0), 0);
    }
    const slug = this.request.slug ?? parsedWorkspace.data.slug;
    if (await q.slugTaken(this.db, slug)) {
      throw new ImportDocumentError(
        `$.workspace.slug: a workspace with the slug "${slug}" already exists; import with ?slug= to choose another`,
      );
    }
    const id = newId();
    await q.insertBareWorkspace(this.db, {
      id,
      name: this.request.name ?? parsedWorkspace.data.name,
      slug,
      createdAt: parsedWorkspace.data.createdAt,
    });
    this.workspaceId = id;
    await this.progress.report({ phase: 'reading', done: 0, total: this.total, workspaceId: id });
  }

  private mapId(old: string): string {
    let id = this.ids.get(old);
    if (id === undefined) {
      id = newId();
      this.ids.set(old, id);
    }
    return id;
  }

  /** The new id of an old one of `known`; an error naming `path` when the document has no such row. */
  private known(known: ReadonlySet<string>, old: string, path: string, what: string): string {
    if (!known.has(old)) throw new ImportDocumentError(`${path}: names no ${what} of the document`);
    return this.ids.get(old) as string;
  }

  private async flush(): Promise<void> {
    const batch = this.batch;
    if (!batch || batch.rows.length === 0) return;
    this.request.signal?.throwIfAborted();
    this.batch = null;
    const write = this.writers[batch.section];
    await write(batch.rows);
    this.counted[batch.section] += batch.rows.length;
    this.done += batch.rows.length;
    await this.progress.report({ phase: batch.section, done: this.done, total: this.total });
  }

  private get workspace(): string {
    return this.workspaceId as string;
  }

  private readonly writers: Record<
    Section,
    (rows: { index: number; value: unknown }[]) => Promise<void>
  > = {
    users: async (rows) => {
      const users = rows.map(({ index, value }) => ({ ...parseRow('users', index, value), index }));
      for (const user of users) user.email = normalizeEmail(user.email);
      const existing = await q.usersByEmail(this.db, [...new Set(users.map((u) => u.email))]);
      const allowed = await q.colleaguesOf(this.db, this.request.userId, [...existing.values()]);
      for (const user of users) {
        const id = existing.get(user.email);
        if (id === undefined || allowed.has(id)) continue;
        throw new ImportDocumentError(
          `${rowPath('users', user.index, 'email')}: an account you share no workspace with; ` +
            'an import brings in only you, the people you already work with, and new addresses',
        );
      }
      const fresh: { id: string; email: string; name: string }[] = [];
      for (const user of users) {
        let id = existing.get(user.email);
        if (id === undefined) {
          id = newId();
          existing.set(user.email, id);
          fresh.push({ id, email: user.email, name: user.name });
        }
        this.ids.set(user.id, id);
        this.userIds.add(user.id);
      }
      await this.db
        .transaction()
        .execute((trx) => q.insertAccounts(trx, fresh, isoNow(this.request.now())));
      this.createdUsers.push(...fresh.map((u) => u.id));
    },
    members: async (rows) => {
      for (const { index, value } of rows) {
        const member = parseRow('members', index, value);
        const userId = this.known(
          this.userIds,
          member.userId,
          rowPath('members', index, 'userId'),
          'user',
        );
        if (this.members.some((m) => m.userId === userId)) {
          throw new ImportDocumentError(`${rowPath('members', index, 'userId')}: a member twice`);
        }
        this.members.push({ userId, role: member.role, createdAt: member.createdAt });
      }
    },
    projects: async (rows) => {
      const projects = rows.map(({ index, value }) => parseRow('projects', index, value));
      for (const p of projects) {
        this.projectIds.add(p.id);
        this.nextNumbers.set(this.mapId(p.id), p.nextTaskNumber);
      }
      await this.db.transaction().execute((trx) =>
        q.insertProjects(
          trx,
          projects.map((p) => ({
            id: this.mapId(p.id),
            workspace_id: this.workspace,
            key: p.key,
            name: p.name,
            archived_at: p.archivedAt,
            next_task_number: p.nextTaskNumber,
            created_at: p.createdAt,
            updated_at: p.updatedAt,
          })),
        ),
      );
    },
    states: async (rows) => {
      const states = rows.map(({ index, value }) => {
        const s = parseRow('states', index, value);
        const projectId = this.known(
          this.projectIds,
          s.projectId,
          rowPath('states', index, 'projectId'),
          'project',
        );
        this.stateProjects.set(s.id, projectId);
        return {
          id: this.mapId(s.id),
          workspace_id: this.workspace,
          project_id: projectId,
          name: s.name,
          category: s.category,
          position: s.position,
          created_at: s.createdAt,
          updated_at: s.updatedAt,
        };
      });
      await this.db.transaction().execute((trx) => q.insertStates(trx, states));
    },
    tasks: async (rows) => {
      const tasks = rows.map(({ index, value }) => ({
        index,
        task: parseRow('tasks', index, value),
      }));
      const importedAt = isoNow(this.request.now());
      const values = tasks.map(({ index, task: t }) => {
        const path = (field: string) => rowPath('tasks', index, field);
        const projectId = this.known(this.projectIds, t.projectId, path('projectId'), 'project');
        if (this.stateProjects.get(t.stateId) !== projectId) {
          throw new ImportDocumentError(`${path('stateId')}: names no state of the task's project`);
        }
        if (this.taskIds.has(t.id))
          throw new ImportDocumentError(`${path('id')}: a second task with this id`);
        this.taskIds.add(t.id);
        const id = this.mapId(t.id);
        if (t.parentId !== null) this.parents.push([id, t.parentId, index]);
        const next = this.nextNumbers.get(projectId) ?? 1;
        if (t.number >= next) this.nextNumbers.set(projectId, t.number + 1);
        return {
          id,
          workspace_id: this.workspace,
          project_id: projectId,
          number: t.number,
          title: t.title,
          description: t.description,
          status: t.status,
          state_id: this.ids.get(t.stateId) as string,
          priority: t.priority,
          assignee_id:
            t.assigneeId === null
              ? null
              : this.known(this.userIds, t.assigneeId, path('assigneeId'), 'user'),
          due_at: t.dueAt,
          ...importedReminderMarkers(t.dueAt, importedAt),
          version: t.version,
          created_by: this.known(this.userIds, t.createdBy, path('createdBy'), 'user'),
          created_at: t.createdAt,
          updated_at: t.updatedAt,
          completed_at: t.completedAt,
        };
      });
      const labels = tasks.flatMap(({ task }) =>
        [...new Set(task.labels)].map((label) => ({
          task_id: this.ids.get(task.id) as string,
          workspace_id: this.workspace,
          label,
        })),
      );
      await this.db.transaction().execute(async (trx) => {
        await q.insertTasks(trx, values);
        await q.insertLabels(trx, labels);
      });
    },
    relations: async (rows) => {
      const relations = rows.map(({ index, value }) => {
        const r = parseRow('relations', index, value);
        const path = (field: string) => rowPath('relations', index, field);
        return {
          workspace_id: this.workspace,
          task_id: this.known(this.taskIds, r.taskId, path('taskId'), 'task'),
          other_task_id: this.known(this.taskIds, r.otherTaskId, path('otherTaskId'), 'task'),
          type: r.type,
          created_by:
            r.createdBy === null
              ? null
              : this.known(this.userIds, r.createdBy, path('createdBy'), 'user'),
          created_at: r.createdAt,
        };
      });
      await this.db.transaction().execute((trx) => q.insertRelations(trx, relations));
    },
    comments: async (rows) => {
      const comments = rows.map(({ index, value }) => {
        const c = parseRow('comments', index, value);
        const path = (field: string) => rowPath('comments', index, field);
        return {
          id: this.mapId(c.id),
          workspace_id: this.workspace,
          task_id: this.known(this.taskIds, c.taskId, path('taskId'), 'task'),
          author_id:
            c.authorId === null
              ? null
              : this.known(this.userIds, c.authorId, path('authorId'), 'user'),
          body: c.body,
          created_at: c.createdAt,
          updated_at: c.updatedAt,
        };
      });
      await this.db.transaction().execute((trx) => q.insertComments(trx, comments));
    },
    activity: async (rows) => {
      const entries = rows.map(({ index, value }) => {
        const a = parseRow('activity', index, value);
        // A deleted task or project is still named by its entries: it gets a new id too,
        // the same wherever it is named, before `data` is remapped.
        const projectId = a.projectId === null ? null : this.mapId(a.projectId);
        const taskId = a.taskId === null ? null : this.mapId(a.taskId);
        this.activitySeq += 1;
        return {
          id: newId(),
          workspace_id: this.workspace,
          workspace_seq: this.activitySeq,
          project_id: projectId,
          task_id: taskId,
          // Someone the document does not list (an account deleted since) is nobody.
          actor_id:
            a.actorId !== null && this.userIds.has(a.actorId)
              ? (this.ids.get(a.actorId) as string)
              : null,
          api_token_id: null,
          type: a.type,
          data: JSON.stringify(remapJson(a.data ?? {}, this.ids)),
          created_at: a.createdAt,
        };
      });
      await this.db.transaction().execute((trx) => q.insertActivity(trx, entries));
    },
  };

  /** The last transaction: sub-tasks, task numbers, the log's numbering, then the members. */
  private async finish(): Promise<ImportOutcome> {
    await this.progress.report({ phase: 'finishing', done: this.done, total: this.total });
    const pairs = this.parents.map(([task, parent, index]) => {
      if (!this.taskIds.has(parent)) {
        throw new ImportDocumentError(
          `${rowPath('tasks', index, 'parentId')}: names no task of the document`,
        );
      }
      return [task, this.ids.get(parent) as string] as const;
    });
    const members = [...this.members];
    if (!members.some((m) => m.userId === this.request.userId)) {
      members.push({
        userId: this.request.userId,
        role: 'owner',
        createdAt: isoNow(this.request.now()),
      });
    }
    await this.db.transaction().execute(async (trx) => {
      await q.setParents(trx, pairs);
      await q.setNextTaskNumbers(trx, this.nextNumbers);
      await q.setActivitySeq(trx, this.workspace, this.activitySeq);
      await q.insertMemberships(trx, this.workspace, members);
    });
    await this.progress.flush();
    return {
      status: 'succeeded',
      workspaceId: this.workspace,
      report: {
        workspaceId: this.workspace,
        imported: this.counted,
        createdUsers: this.createdUsers.length,
      },
    };
  }
}
