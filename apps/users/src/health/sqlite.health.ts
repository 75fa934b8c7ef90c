import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { SqliteConnection } from '../database/sqlite.connection';

/** Readiness of the SQLite database: it answers `SELECT 1`. Never throws. */
@Injectable()
export class SqliteHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly sqlite: SqliteConnection,
  ) {}

  isHealthy<const Key extends string = 'sqlite'>(
    key: Key = 'sqlite' as Key,
  ): HealthIndicatorResult<Key> {
    const check = this.health.check(key);
    try {
      this.sqlite.ping();
      return check.up();
    } catch (error) {
      return check.down({ reason: error instanceof Error ? error.message : 'failed' });
    }
  }
}
