/**
 * True when `error` is the database refusing a duplicate in a unique index or primary
 * key, on any supported dialect. Lets callers turn a lost race into CONFLICT.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = errorCode(error);
  return (
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === '23505' // PostgreSQL unique_violation
  );
}

/**
 * True when `error` is the database refusing a row whose foreign key names no row (or a
 * delete that would orphan one), on any supported dialect.
 */
export function isForeignKeyViolation(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503'; // PostgreSQL foreign_key_violation
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

/**
 * True when `error` (or one of its causes) is the database's storage out of space: SQLite's
 * SQLITE_FULL, PostgreSQL's disk_full (53100).
 */
export function isStorageFull(error: unknown): boolean {
  return causes(error).some((code) => code === 'SQLITE_FULL' || code === '53100');
}

/**
 * True when `error` (or one of its causes) is the database refusing writes because its
 * storage is read-only: SQLite's SQLITE_READONLY (and its extended codes), a write that
 * failed with EROFS, PostgreSQL's read_only_sql_transaction (25006, e.g. a standby).
 */
export function isStorageReadOnly(error: unknown): boolean {
  return causes(error).some(
    (code) => code.startsWith('SQLITE_READONLY') || code === 'EROFS' || code === '25006',
  );
}

/**
 * What a client should be told when `error` comes from the database's storage rather than
 * from a bug — disk full, read-only, an I/O error — or undefined when it does not. The
 * condition is the operator's to fix and the request can be retried once it is.
 */
export function storageProblem(error: unknown): string | undefined {
  if (isStorageFull(error)) return 'The database cannot write: its disk is full';
  if (isStorageReadOnly(error)) return 'The database cannot write: it is read-only';
  if (causes(error).some((code) => code.startsWith('SQLITE_IOERR'))) {
    return 'The database cannot write: its storage reported an I/O error';
  }
  return undefined;
}

/** The string codes of `error` and its causes (drivers and wrappers nest them). */
function causes(error: unknown): string[] {
  const codes: string[] = [];
  for (let at = error, depth = 0; at !== undefined && at !== null && depth < 5; depth += 1) {
    const code = errorCode(at);
    if (typeof code === 'string') codes.push(code);
    at = typeof at === 'object' && 'cause' in at ? at.cause : undefined;
  }
  return codes;
}
