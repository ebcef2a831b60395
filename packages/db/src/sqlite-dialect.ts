import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type TransactionSettings,
} from 'kysely';

/** What the driver asks of the better-sqlite3 connection: whether a transaction is open. */
interface TransactionState {
  readonly inTransaction: boolean;
}

/** Kysely's SQLite driver, with transactions begun and rolled back the way Trellis needs. */
class TrellisSqliteDriver extends SqliteDriver {
  readonly #state: TransactionState;

  constructor(config: SqliteDialectConfig, state: TransactionState) {
    super(config);
    this.#state = state;
  }

  /**
   * A transaction that may write takes the write lock at BEGIN, where busy_timeout waits for
   * another process's writer. A deferred BEGIN that reads first and writes after another
   * process (WORKERS, or a second server on the file) committed fails at once with
   * SQLITE_BUSY_SNAPSHOT: waiting cannot help a snapshot that is already stale. Read-only
   * transactions (`setAccessMode('read only')`) stay deferred and never hold writers up.
   */
  override async beginTransaction(
    connection: DatabaseConnection,
    settings?: TransactionSettings,
  ): Promise<void> {
    const begin = settings?.accessMode === 'read only' ? 'begin' : 'begin immediate';
    await connection.executeQuery(CompiledQuery.raw(begin));
  }

  /**
   * SQLite rolls a transaction back by itself after some errors — SQLITE_FULL, SQLITE_IOERR,
   * SQLITE_NOMEM — and Kysely's ROLLBACK that follows then fails with "cannot rollback - no
   * transaction is active", an error that replaces the one that says what went wrong (a full
   * disk became an anonymous 500). A rollback SQLite has already done is skipped.
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#state.inTransaction) await super.rollbackTransaction(connection);
  }
}

/**
 * Kysely's SQLite dialect with {@link TrellisSqliteDriver}: immediate transactions, and a
 * failed transaction keeps its own error. `state` is the better-sqlite3 connection itself.
 */
export class TrellisSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #state: TransactionState;

  constructor(config: SqliteDialectConfig, state: TransactionState) {
    super(config);
    this.#config = config;
    this.#state = state;
  }

  override createDriver(): Driver {
    return new TrellisSqliteDriver(this.#config, this.#state);
  }
}
