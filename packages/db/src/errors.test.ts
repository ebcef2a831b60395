import { describe, expect, it } from 'vitest';
import { isStorageFull, isStorageReadOnly, storageProblem } from './errors.js';

/** An error as better-sqlite3 or pg throws it: a message and a string `code`. */
function driverError(code: string): Error {
  return Object.assign(new Error(`driver says ${code}`), { code });
}

describe('storage errors', () => {
  it('tells a full disk from a read-only one, on both dialects', () => {
    expect(isStorageFull(driverError('SQLITE_FULL'))).toBe(true);
    expect(isStorageFull(driverError('53100'))).toBe(true); // PostgreSQL disk_full
    expect(isStorageReadOnly(driverError('SQLITE_READONLY'))).toBe(true);
    expect(isStorageReadOnly(driverError('SQLITE_READONLY_DBMOVED'))).toBe(true);
    expect(isStorageReadOnly(driverError('25006'))).toBe(true); // read_only_sql_transaction
    expect(isStorageFull(driverError('SQLITE_READONLY'))).toBe(false);
  });

  it('finds the driver error among the causes a wrapper adds', () => {
    const wrapped = new Error('procedure failed', {
      cause: new Error('query failed', { cause: driverError('SQLITE_FULL') }),
    });

    expect(storageProblem(wrapped)).toBe('The database cannot write: its disk is full');
  });

  it('says what the client may be told, and nothing for other errors', () => {
    expect(storageProblem(driverError('SQLITE_READONLY_DIRECTORY'))).toBe(
      'The database cannot write: it is read-only',
    );
    expect(storageProblem(driverError('SQLITE_IOERR_WRITE'))).toBe(
      'The database cannot write: its storage reported an I/O error',
    );
    expect(storageProblem(driverError('SQLITE_CONSTRAINT_UNIQUE'))).toBeUndefined();
    expect(storageProblem(new Error('boom'))).toBeUndefined();
    expect(storageProblem(undefined)).toBeUndefined();
    expect(storageProblem('SQLITE_FULL')).toBeUndefined();
  });
});
