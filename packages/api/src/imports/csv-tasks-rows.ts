import {
  CATEGORY_OF_STATUS,
  type Database,
  type Kysely,
  STATUS_OF_CATEGORY,
  TASK_STATUSES,
  type TaskStatus,
} from '@trellis/db';
import { TRPCError } from '@trpc/server';
import type { z } from 'zod';
import { declaredSchemas } from '../procedure-builder.js';
import { listStates, type StateView } from '../queries/states.js';
import { tasksRouter } from '../routers/tasks.js';
import { checkParent } from '../task-tree.js';
import type { ColumnIndexes, CsvTaskField, RowError } from './csv-tasks-columns.js';
import type { CsvRecord } from './csv-tasks-read.js';
import { csvImportTarget, memberIds, taskIdsByNumber } from './csv-tasks-sql.js';

// One CSV row → one tasks.create input, checked by tasks.create's own input schema and by
// the rules it checks against the database (the assignee is a member; the parent is a task
// of the project, not too deep), plus what only a file needs: names and emails for ids.

/** tasks.create's input schema, exactly: a row is valid when tasks.create would take it. */
const createInput: z.ZodType = (() => {
  const [schema] = declaredSchemas(tasksRouter.create)?.inputs ?? [];
  if (!schema) throw new Error('tasks.create declares no input schema');
  return schema;
})();

/** What tasks.create's schema makes of a valid row (the fields an import sets). */
export interface ImportedTask {
  projectId: string;
  title: string;
  description: string;
  status: TaskStatus;
  priority: number;
  assigneeId: string | null;
  labels: string[];
  dueAt: string | null;
  parentId: string | null;
}

/** A row that passed, with the project state it goes into. */
export interface ValidRow {
  row: number;
  task: ImportedTask;
  stateId: string;
}

/** Which input key of tasks.create each field fills (its errors are the field's). */
const FIELD_OF_INPUT: Record<string, CsvTaskField> = {
  title: 'title',
  description: 'description',
  status: 'status',
  priority: 'priority',
  assigneeId: 'assignee',
  labels: 'labels',
  dueAt: 'dueAt',
  parentId: 'parent',
};

/** Priority names, for files that say `High` rather than 3 (0 none … 4 most urgent). */
const PRIORITY_NAMES = new Map([
  ['none', 0],
  ['low', 1],
  ['medium', 2],
  ['high', 3],
  ['urgent', 4],
]);
const NUMBER = /^-?\d+(\.\d+)?$/;

/** Labels in one cell are separated by commas. */
const LABEL_SEPARATOR = ',';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const TASK_KEY = /^([A-Za-z]+)-(\d{1,15})$/;

/** The project's state that a status stands for, as tasks.create decides it, or why none. */
function stateForStatus(states: readonly StateView[], status: TaskStatus): StateView | string {
  const category = CATEGORY_OF_STATUS[status];
  const found = states.filter((state) => state.category === category);
  const [only] = found;
  if (only && found.length === 1) return only;
  if (!only) return `The project has no state in category ${category}; use a state column`;
  const names = found.map((state) => state.name).join(', ');
  return `The project has ${found.length} states in category ${category} (${names}); use a state column`;
}

/**
 * Checks rows against one workspace and project as they are now, made once per pass
 * (`RowChecker.load`): the second pass runs under the workspace's write lock, so what it
 * finds holds until its writes commit.
 */
export class RowChecker {
  /** Parents already judged: their id, or why they cannot be one. */
  readonly #parents = new Map<number, { id: string } | { problem: string }>();

  private constructor(
    private readonly db: Kysely<Database>,
    readonly workspaceId: string,
    readonly project: { id: string; key: string; archivedAt: string | null },
    private readonly states: readonly StateView[],
    private readonly members: ReadonlyMap<string, string>,
    private readonly columns: ColumnIndexes,
    /** How many fields the header has: rows may have fewer (read as empty), not more. */
    private readonly headerLength: number,
  ) {}

  /** NOT_FOUND when the project is not one of the workspace's. */
  static async load(
    db: Kysely<Database>,
    workspaceId: string,
    projectId: string,
    header: { columns: ColumnIndexes; length: number },
  ): Promise<RowChecker> {
    const project = await csvImportTarget(db, workspaceId, projectId);
    if (!project) throw new TRPCError({ code: 'NOT_FOUND', message: 'Project not found' });
    const states = await listStates(db, workspaceId, projectId);
    const members = await memberIds(db, workspaceId);
    return new RowChecker(db, workspaceId, project, states, members, header.columns, header.length);
  }

  /** The chunk's rows, each valid or with its errors (at most one per field). */
  async check(records: readonly CsvRecord[]): Promise<{ valid: ValidRow[]; errors: RowError[] }> {
    await this.#judgeParents(records);
    const valid: ValidRow[] = [];
    const errors: RowError[] = [];
    for (const record of records) {
      const result = this.#checkRow(record);
      if ('task' in result) valid.push(result);
      else errors.push(...result.errors);
    }
    return { valid, errors };
  }

  #cell(record: CsvRecord, field: CsvTaskField): string {
    const index = this.columns[field];
    return index === undefined ? '' : (record.fields[index] ?? '');
  }

  #checkRow(record: CsvRecord): ValidRow | { errors: RowError[] } {
    const { row } = record;
    const errors = new Map<CsvTaskField | null, string>();
    const fail = (field: CsvTaskField | null, message: string) => {
      if (!errors.has(field)) errors.set(field, message);
    };
    if (this.#tooLong(record)) {
      fail(null, `Row has more fields than the header's ${this.headerLength}`);
    }
    const input = this.#input(record, fail);
    const parsed = createInput.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const [key] = issue.path;
        fail(typeof key === 'string' ? (FIELD_OF_INPUT[key] ?? null) : null, issue.message);
      }
    }
    const state = this.#state(record, input.status, fail);
    if (!parsed.success || errors.size > 0 || !state) {
      return { errors: [...errors].map(([field, message]) => ({ row, field, message })) };
    }
    const task = parsed.data as ImportedTask;
    return {
      row,
      task: { ...task, status: STATUS_OF_CATEGORY[state.category] },
      stateId: state.id,
    };
  }

  /** The row as tasks.create's input (an empty cell: the field left out), before checking. */
  #input(
    record: CsvRecord,
    fail: (field: CsvTaskField, message: string) => void,
  ): Record<string, unknown> {
    const input: Record<string, unknown> = {
      projectId: this.project.id,
      title: this.#cell(record, 'title'),
    };
    const description = this.#cell(record, 'description');
    if (description !== '') input.description = description;
    const status = this.#cell(record, 'status').trim();
    if (status !== '') input.status = status.toLowerCase().replace(/[\s-]+/g, '_');
    const priority = this.#cell(record, 'priority').trim();
    if (priority !== '') {
      const named = PRIORITY_NAMES.get(priority.toLowerCase());
      if (named !== undefined) input.priority = named;
      else if (NUMBER.test(priority)) input.priority = Number(priority);
      else fail('priority', 'Must be 0–4, or none, low, medium, high or urgent');
    }
    const assignee = this.#cell(record, 'assignee').trim();
    if (assignee !== '') {
      const userId = this.members.get(assignee.includes('@') ? assignee.toLowerCase() : assignee);
      if (userId) input.assigneeId = userId;
      else fail('assignee', 'Must be a member of this workspace (by email or user id)');
    }
    const labels = this.#cell(record, 'labels');
    if (labels.trim() !== '') {
      input.labels = labels
        .split(LABEL_SEPARATOR)
        .map((label) => label.trim())
        .filter((label) => label !== '');
    }
    const dueAt = this.#cell(record, 'dueAt').trim();
    if (dueAt !== '') input.dueAt = DATE_ONLY.test(dueAt) ? `${dueAt}T00:00:00Z` : dueAt;
    const parent = this.#cell(record, 'parent').trim();
    if (parent !== '') {
      const found = this.#parents.get(this.#parentNumber(parent) ?? -1);
      if (found && 'id' in found) input.parentId = found.id;
      else fail('parent', found?.problem ?? this.#keyProblem(parent));
    }
    return input;
  }

  /** Fields past the header's are refused unless empty (a spreadsheet's padding). */
  #tooLong(record: CsvRecord): boolean {
    const extra = record.fields.slice(this.headerLength);
    return extra.some((field) => field !== '');
  }

  /**
   * The row's state: the `state` column's (by name, case-insensitive), else the one its
   * status stands for, else the project's default (its first `unstarted` state, or first).
   */
  #state(
    record: CsvRecord,
    status: unknown,
    fail: (field: CsvTaskField, message: string) => void,
  ): StateView | undefined {
    const name = this.#cell(record, 'state').trim();
    const known = (TASK_STATUSES as readonly unknown[]).includes(status)
      ? (status as TaskStatus)
      : undefined;
    if (name !== '') {
      const state = this.states.find((s) => s.name.toLowerCase() === name.toLowerCase());
      if (!state) {
        const names = this.states.map((s) => s.name).join(', ');
        fail('state', `No state named ${JSON.stringify(name)} in ${this.project.key} (${names})`);
        return undefined;
      }
      if (known && CATEGORY_OF_STATUS[known] !== state.category) {
        fail('status', `Does not match state ${state.name} (category ${state.category})`);
        return undefined;
      }
      return state;
    }
    if (status !== undefined) {
      if (!known) return undefined;
      const state = stateForStatus(this.states, known);
      if (typeof state === 'string') fail('status', state);
      return typeof state === 'string' ? undefined : state;
    }
    const fallback = this.states.find((s) => s.category === 'unstarted') ?? this.states[0];
    if (!fallback) fail('state', `Project ${this.project.key} has no workflow state`);
    return fallback;
  }

  /** The number of a key of this project (`ENG-12` in ENG), or undefined. */
  #parentNumber(key: string): number | undefined {
    const match = TASK_KEY.exec(key);
    if (!match || match[1]?.toUpperCase() !== this.project.key) return undefined;
    return Number(match[2]);
  }

  #keyProblem(key: string): string {
    return TASK_KEY.test(key)
      ? `Must be a task of project ${this.project.key}`
      : `Must be a task key like ${this.project.key}-12`;
  }

  /** Looks up the chunk's parent keys not judged yet: one query, and the tree rules. */
  async #judgeParents(records: readonly CsvRecord[]): Promise<void> {
    const wanted = new Set<number>();
    for (const record of records) {
      const number = this.#parentNumber(this.#cell(record, 'parent').trim());
      if (number !== undefined && !this.#parents.has(number)) wanted.add(number);
    }
    if (wanted.size === 0) return;
    const ids = await taskIdsByNumber(this.db, this.workspaceId, this.project.id, [...wanted]);
    for (const number of wanted) {
      const id = ids.get(number);
      const key = `${this.project.key}-${number}`;
      if (!id) {
        this.#parents.set(number, { problem: `No task ${key} in this project` });
        continue;
      }
      try {
        await checkParent(this.db, this.workspaceId, { projectId: this.project.id }, id, [
          'parent',
        ]);
        this.#parents.set(number, { id });
      } catch (error) {
        if (!(error instanceof TRPCError) || error.code !== 'BAD_REQUEST') throw error;
        this.#parents.set(number, { problem: `${key}: ${error.message}` });
      }
    }
  }
}
