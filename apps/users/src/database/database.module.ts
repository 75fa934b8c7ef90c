import { Global, Module } from '@nestjs/common';
import { SqliteConnection } from './sqlite.connection';

/** The SQLite connection, shared by every repository. */
@Global()
@Module({
  providers: [SqliteConnection],
  exports: [SqliteConnection],
})
export class DatabaseModule {}
