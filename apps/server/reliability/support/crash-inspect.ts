import { createRequire } from 'node:module';

// better-sqlite3 (a dependency of this app) ships no types and @types/better-sqlite3 is a
// dev dependency of packages/db only: these few calls are typed here instead.
interface Statement {
  all(): unknown[];
}
interface Connection {
  pragma(source: string): unknown;
  prepare(source: string): Statement;
  close(): void;
}
type Open = new (
  file: string,
  options: { readonly: boolean; fileMustExist: boolean },
) => Connection;
const Sqlite = createRequire(import.meta.url)('better-sqlite3') as Open;

/** What the database file holds right after a crash, read before any server reopens it. */
export interface Inspection {
  integrity: string;
  /** Tasks by title (titles are unique in the crash suite). */
  tasks: Map<string, { id: string; projectId: string; number: number }>;
  /** `project number` pairs that occur more than once. */
  duplicateNumbers: string[];
  /** Highest task number per project. */
  maxNumber: Map<string, number>;
}

/**
 * Opens the killed server's file read-only (better-sqlite3, WAL recovered into the shared
 * memory index only, nothing checkpointed), so what is checked is exactly what the crash
 * left on disk.
 */
export function inspectAfterCrash(file: string): Inspection {
  const sqlite = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = (sqlite.pragma('integrity_check') as { integrity_check: string }[])
      .map((row) => row.integrity_check)
      .join('; ');
    // A storage failure under synchronous=normal can take the file back to before the schema
    // was written: then no task survived, which the callers' checks count as lost.
    const hasTasks =
      sqlite.prepare("select 1 from sqlite_master where type = 'table' and name = 'tasks'").all()
        .length > 0;
    if (!hasTasks) {
      return { integrity, tasks: new Map(), duplicateNumbers: [], maxNumber: new Map() };
    }
    const rows = sqlite
      .prepare('select id, project_id as projectId, number, title from tasks')
      .all() as { id: string; projectId: string; number: number; title: string }[];
    const tasks = new Map(rows.map(({ title, ...task }) => [title, task]));
    const duplicateNumbers = (
      sqlite
        .prepare(
          'select project_id as projectId, number from tasks group by project_id, number having count(*) > 1',
        )
        .all() as { projectId: string; number: number }[]
    ).map((row) => `${row.projectId} ${row.number}`);
    const maxNumber = new Map<string, number>();
    for (const row of rows) {
      maxNumber.set(row.projectId, Math.max(maxNumber.get(row.projectId) ?? 0, row.number));
    }
    return { integrity, tasks, duplicateNumbers, maxNumber };
  } finally {
    sqlite.close();
  }
}
