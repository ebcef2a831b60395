import { z } from 'zod';
import { fieldError } from '../errors.js';
import { zId } from '../schemas.js';

// What a CSV task import reads from which column, and its options: the query string of
// `POST /api/v1/workspaces/{workspaceId}/import/tasks.csv` (docs/api.md, "CSV import").

/** The fields a row can set, as `map.<field>` and the report's `field` name them. */
export const CSV_TASK_FIELDS = [
  'title',
  'description',
  'state',
  'status',
  'priority',
  'assignee',
  'labels',
  'dueAt',
  'parent',
] as const;
export type CsvTaskField = (typeof CSV_TASK_FIELDS)[number];

/**
 * The header names a field is read from when no `map.<field>` names its column, compared
 * with case, spaces, `_` and `-` ignored ("Due date" and "due_date" are `duedate`).
 */
const DEFAULT_COLUMNS: Record<CsvTaskField, readonly string[]> = {
  title: ['title'],
  description: ['description'],
  state: ['state'],
  status: ['status'],
  priority: ['priority'],
  assignee: ['assignee', 'assigneeid', 'assigneeemail'],
  labels: ['labels', 'label'],
  dueAt: ['dueat', 'due', 'duedate'],
  parent: ['parent', 'parentkey'],
};

/** A problem with one row (`field` null: the row as a whole), as the report lists it. */
export interface RowError {
  row: number;
  field: CsvTaskField | null;
  message: string;
}

/** The column each field is read from (`map.<field>`): a header name, or null for none. */
export type CsvMapping = Partial<Record<CsvTaskField, string | null>>;

/** A CSV task import's options, from the upload's query string. */
export interface CsvTaskImportOptions {
  projectId: string;
  mapping: CsvMapping;
  /** Import the valid rows and report the others, instead of importing nothing. */
  skipInvalid: boolean;
}

const MAP_PREFIX = 'map.';
const zColumnName = z.string().max(200);

/**
 * The options of a query string as Fastify parses it (a repeated key is an array), or a
 * BAD_REQUEST naming the parameter: `projectId` (required), `skipInvalid` (`true` or
 * `false`, default false) and `map.<field>=<column>` (an empty column: not imported).
 * Unknown parameters are refused, like unknown keys of any input.
 */
export function csvImportOptions(query: Record<string, unknown>): CsvTaskImportOptions {
  const mapping: CsvMapping = {};
  let projectId: string | undefined;
  let skipInvalid = false;
  for (const [key, value] of Object.entries(query)) {
    if (typeof value !== 'string') throw fieldError(key, 'Give this parameter once');
    if (key === 'projectId') {
      const parsed = zId.safeParse(value);
      if (!parsed.success) throw fieldError(key, 'Must be an ID as issued');
      projectId = parsed.data;
    } else if (key === 'skipInvalid') {
      if (value !== 'true' && value !== 'false') throw fieldError(key, 'Must be true or false');
      skipInvalid = value === 'true';
    } else if (key.startsWith(MAP_PREFIX)) {
      const field = CSV_TASK_FIELDS.find((name) => MAP_PREFIX + name === key);
      if (!field) {
        throw fieldError(key, `Unknown field; map one of ${CSV_TASK_FIELDS.join(', ')}`);
      }
      if (!zColumnName.safeParse(value).success) throw fieldError(key, 'At most 200 characters');
      mapping[field] = value.trim() === '' ? null : value.trim();
    } else {
      throw fieldError(key, 'Unknown parameter');
    }
  }
  if (projectId === undefined)
    throw fieldError('projectId', 'Required: the project the tasks go into');
  return { projectId, mapping, skipInvalid };
}

/** Where each imported field is in a row: the index of its column. */
export type ColumnIndexes = Partial<Record<CsvTaskField, number>>;

const normalized = (name: string) => name.toLowerCase().replace(/[\s_-]+/g, '');

/**
 * Finds each field's column in the header row (row 1): the mapped name (case-insensitive,
 * surrounding spaces ignored) or else a default name. Errors when a mapped column is
 * missing, a column is ambiguous, or there is no title column.
 */
export function resolveColumns(
  header: readonly string[],
  mapping: CsvMapping,
): { columns: ColumnIndexes; errors: RowError[] } {
  const columns: ColumnIndexes = {};
  const errors: RowError[] = [];
  const fail = (field: CsvTaskField, message: string) => errors.push({ row: 1, field, message });
  for (const field of CSV_TASK_FIELDS) {
    const mapped = mapping[field];
    if (mapped === null) continue;
    const matches: number[] = [];
    header.forEach((name, index) => {
      const match =
        mapped === undefined
          ? DEFAULT_COLUMNS[field].includes(normalized(name))
          : name.trim().toLowerCase() === mapped.toLowerCase();
      if (match) matches.push(index);
    });
    const [only] = matches;
    if (only !== undefined && matches.length === 1) {
      columns[field] = only;
    } else if (matches.length > 1) {
      const names = matches.map((index) => JSON.stringify(header[index])).join(', ');
      fail(field, `Several columns could be ${field} (${names}): name one with map.${field}`);
    } else if (mapped !== undefined) {
      fail(field, `No column ${JSON.stringify(mapped)} in the header (map.${field})`);
    }
  }
  if (columns.title === undefined && !errors.some((error) => error.field === 'title')) {
    fail('title', 'No title column: name a column "title", or map one with map.title');
  }
  return { columns, errors };
}
