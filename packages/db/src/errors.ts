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
