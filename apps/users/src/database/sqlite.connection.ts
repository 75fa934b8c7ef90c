import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppConfig } from '../config/app.config';
import { SCHEMA } from './schema';

/** How long a statement waits for another connection's write lock before failing. */
const BUSY_TIMEOUT_MS = 5000;
const WAL_RETRY_MS = 20;

/**
 * The SQLite database: opened (and its schema created) when the app starts, closed at shutdown
 * after the HTTP server has finished its requests. WAL mode and a busy timeout let several
 * processes share one file.
 */
@Injectable()
export class SqliteConnection implements OnApplicationShutdown {
  private readonly logger = new Logger(SqliteConnection.name);
  readonly db: Database.Database;

  constructor(@Inject(AppConfig) config: AppConfig) {
    const path = config.databasePath;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    enableWal(this.db);
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    this.logger.log(`SQLite database ready at ${path}`);
  }

  /** Runs a trivial query; throws when the database cannot answer. */
  ping(): void {
    this.db.prepare('SELECT 1').get();
  }

  onApplicationShutdown(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * Switches a new file to WAL. Two processes opening one new file at the same instant can both try
 * it; SQLite then answers SQLITE_BUSY at once, without waiting for its busy timeout, so retry
 * here until the other one has done it (startup only, so a blocking wait is fine).
 */
function enableWal(db: Database.Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      const busy = (error as { code?: string }).code === 'SQLITE_BUSY';
      if (!busy || Date.now() >= deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, WAL_RETRY_MS);
    }
  }
}
