import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RedisHealthIndicator } from '@app/cache';
import { HealthController } from './health.controller';
import { SqliteHealthIndicator } from './sqlite.health';

@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [RedisHealthIndicator, SqliteHealthIndicator],
})
export class HealthModule {}
