import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { Public, RedisHealthIndicator, SkipRateLimit } from '@app/cache';
import { AppConfig } from '../config/app.config';
import { SqliteHealthIndicator } from './sqlite.health';

/** How long the Redis check may take before readiness reports it down. */
const REDIS_CHECK_TIMEOUT = '500ms';

/**
 * Liveness (no I/O: a slow dependency must take the instance out of rotation, not get it
 * restarted) and readiness (SQLite, and Redis when configured and required).
 */
@Public()
@SkipRateLimit()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redis: RedisHealthIndicator,
    private readonly sqlite: SqliteHealthIndicator,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  async ready(): Promise<HealthCheckResult> {
    try {
      return await this.check();
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      // Terminus's body has an `error` object; errors here are { statusCode, error, message }.
      const { status, info, error: down, details } = error.getResponse() as HealthCheckResult;
      throw new ServiceUnavailableException({
        message: `Not ready: ${Object.keys(down ?? {}).join(', ')} down`,
        status,
        info,
        details,
      });
    }
  }

  private check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.sqlite.isHealthy('sqlite'),
      () =>
        this.redis.isHealthy('redis', {
          timeout: REDIS_CHECK_TIMEOUT,
          optional: !this.config.redisRequired,
        }),
    ]);
  }
}
