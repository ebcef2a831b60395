import pg from 'pg';

/** How many connections a PostgreSQL pool opens unless told otherwise. */
export const DEFAULT_POOL_SIZE = 10;

const INT8_OID = 20;

// pg returns int8 (count(*), sum(), bigint identity columns) as a string, because not
// every int8 fits a JS number. The counts and sequence numbers Trellis reads always do,
// and SQLite hands them over as numbers, so this pool parses them as numbers too; a value
// past 2^53 stays a string rather than silently losing precision.
function parseInt8(text: string): number | string {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : text;
}

// Per pool, never through pg.types.setTypeParser: that would change every other pg user
// in the process.
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** A pg Pool for `connectionString` with at most `poolSize` connections and Trellis's type parsers. */
export function createPostgresPool(
  connectionString: string,
  poolSize: number = DEFAULT_POOL_SIZE,
): pg.Pool {
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) {
    throw new RangeError(`poolSize must be 1 or more, got ${poolSize}`);
  }
  const pool = new pg.Pool({ connectionString, max: poolSize, types });
  // A connection that breaks while idle in the pool (the server restarted, an admin ended
  // it) emits 'error' on the pool, and on its client when it breaks after the pool let it
  // go; unheard, either would crash the process. The pool has already dropped the broken
  // connection and any query on it has failed with the same error, so there is nothing
  // left to do here.
  pool.on('error', ignore);
  pool.on('connect', (client) => client.on('error', ignore));
  return pool;
}

function ignore(): void {}
