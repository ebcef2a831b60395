import { checkWritable, type Database, type Kysely, pingDatabase } from '@trellis/db';

/** A start that failed for a reason the operator can fix; the message is one line. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** What an error code means to someone starting the server, where its message is cryptic. */
const HINTS: Record<string, string> = {
  EADDRINUSE: 'another process is listening there (choose another PORT, or stop it)',
  EADDRNOTAVAIL: 'HOST is not an address of this machine',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a file stands where a directory is expected',
  EEXIST: 'a file stands where a directory is expected',
  EROFS: 'the file system is read-only',
  SQLITE_CANTOPEN:
    'cannot open the database file (is the path a directory, is the file or its directory unreadable, or is the file system read-only?)',
  SQLITE_READONLY: 'the database file or its directory is not writable by this user',
  SQLITE_FULL: 'the disk is full: free space, then start again',
  SQLITE_IOERR:
    'the storage failed a read or write: is the disk full or the file system read-only?',
  ENOSPC: 'the disk is full: free space, then start again',
  SQLITE_NOTADB: 'the file is not a SQLite database',
  ECONNREFUSED: 'nothing accepts connections at that address',
  ENOTFOUND: 'the host name does not resolve',
  '28P01': 'password authentication failed',
  '3D000': 'the database does not exist',
};

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** An error and its causes as one line: messages, codes and hints, no stack. */
function describe(error: unknown): string {
  const parts: string[] = [];
  for (let at: unknown = error, depth = 0; at !== undefined && depth < 5; depth += 1) {
    const message = at instanceof Error ? at.message : String(at);
    const code = codeOf(at);
    const hint =
      code === undefined
        ? undefined
        : (HINTS[code] ?? HINTS[code.split('_').slice(0, 2).join('_')]);
    parts.push(hint ? `${message} (${hint})` : message);
    at = at instanceof Error ? at.cause : undefined;
  }
  return parts.join(': ').replace(/\s+/g, ' ').trim();
}

/**
 * Runs one step of the start; a failure becomes a {@link StartupError} that says which
 * step failed and why.
 */
export async function startupStep<T>(what: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new StartupError(`Trellis failed to start: cannot ${what}: ${describe(error)}`, {
      cause: error,
    });
  }
}

/**
 * Checks that the database answers and accepts writes: a read-only SQLite file opens fine
 * and, with its migrations applied, would only fail at the first request that writes.
 */
export async function checkDatabase(db: Kysely<Database>): Promise<void> {
  await pingDatabase(db);
  await checkWritable(db);
}
