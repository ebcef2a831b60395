/**
 * True when `error` is the database refusing a duplicate in a unique index or primary
 * key, on any supported dialect. Lets callers turn a lost race into CONFLICT.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const { code } = error as { code: unknown };
  return (
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === '23505' // PostgreSQL unique_violation
  );
}
