import {
  type DatabaseConnection,
  type Driver,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';

/** What the driver asks of the better-sqlite3 connection: whether a transaction is open. */
interface TransactionState {
  readonly inTransaction: boolean;
}

/**
 * SQLite rolls a transaction back by itself after some errors — SQLITE_FULL, SQLITE_IOERR,
 * SQLITE_NOMEM — and Kysely's ROLLBACK that follows then fails with "cannot rollback - no
 * transaction is active", an error that replaces the one that says what went wrong (a full
 * disk became an anonymous 500). This driver skips a rollback SQLite has already done.
 */
class RollbackOnceSqliteDriver extends SqliteDriver {
  readonly #state: TransactionState;

  constructor(config: SqliteDialectConfig, state: TransactionState) {
    super(config);
    this.#state = state;
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#state.inTransaction) await super.rollbackTransaction(connection);
  }
}

/**
 * Kysely's SQLite dialect, except that a failed transaction keeps its own error (see
 * {@link RollbackOnceSqliteDriver}). `state` is the better-sqlite3 connection itself.
 */
export class SqliteDialectKeepingErrors extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #state: TransactionState;

  constructor(config: SqliteDialectConfig, state: TransactionState) {
    super(config);
    this.#config = config;
    this.#state = state;
  }

  override createDriver(): Driver {
    return new RollbackOnceSqliteDriver(this.#config, this.#state);
  }
}
