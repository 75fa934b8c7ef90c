import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { CACHE_REDIS_CONNECTION } from '../cache.constants';
import { parseDuration, type Duration } from '../options/duration';
import type { RedisConnection } from '../redis/redis-connection';
import { Deadline } from './deadline';
import { modeOf, probeRedis, type RedisHealthDetails } from './redis-probe';

/** Options of {@link RedisHealthIndicator.isHealthy}. */
export interface RedisHealthCheckOptions {
  /**
   * How long the whole check may take. Default `'500ms'`. The connection's own `commandTimeout`
   * (default `'250ms'`) can fail it sooner.
   */
  timeout?: Duration;
  /** Report a failing Redis as up with `degraded: true` and the `reason` (the app can run without it). */
  optional?: boolean;
}

const DEFAULT_TIMEOUT: Duration = '500ms';

/**
 * Checks the Redis connection of the `CacheModule` for a Terminus readiness probe. It reuses the
 * module's connection (it never opens one), PINGs and reads INFO within one timeout, and on a
 * Cluster also requires `cluster_state:ok` from every master. It never throws: a failure is
 * `check.down(...)`, which `HealthCheckService` turns into a 503. Without Redis configured it
 * reports up with `mode: 'memory'`.
 *
 * Register it in your own health module, next to `TerminusModule`; `CacheModule` must be global
 * (`isGlobal: true`) or imported there. Keep liveness free of I/O, so that a slow Redis takes the
 * instance out of rotation rather than getting it restarted.
 *
 * @example
 * @Module({ imports: [TerminusModule], controllers: [HealthController], providers: [RedisHealthIndicator] })
 * export class HealthModule {}
 *
 * @Controller('health')
 * export class HealthController {
 *   constructor(
 *     private readonly health: HealthCheckService,
 *     private readonly redis: RedisHealthIndicator,
 *   ) {}
 *
 *   @Get('live')
 *   live() {
 *     return { status: 'ok' };
 *   }
 *
 *   @Get('ready')
 *   @HealthCheck()
 *   ready() {
 *     return this.health.check([() => this.redis.isHealthy('redis', { timeout: '300ms' })]);
 *   }
 * }
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(CACHE_REDIS_CONNECTION) private readonly connection: RedisConnection | null,
  ) {}

  /**
   * Up with `latencyMs`, `mode`, `role`, `version` and `memory` (plus `cluster` on a Cluster), or
   * down with the same fields it could gather and a `reason`.
   *
   * @example
   * () => this.redis.isHealthy('cache', { timeout: '1s', optional: true })
   */
  async isHealthy<const Key extends string = 'redis'>(
    key: Key = 'redis' as Key,
    options: RedisHealthCheckOptions = {},
  ): Promise<HealthIndicatorResult<Key, 'up' | 'down', RedisHealthDetails>> {
    const check = this.health.check(key);
    const details = await this.probe(options.timeout);
    if (details.reason === undefined) return check.up(details);
    return options.optional ? check.up({ ...details, degraded: true }) : check.down(details);
  }

  private async probe(timeout: Duration | undefined): Promise<RedisHealthDetails> {
    if (!this.connection) return { mode: 'memory' };
    const { client, reads } = this.connection;
    // The module's own calls already found Redis silent: no need to wait for a probe to say so.
    if (reads.circuit.isOpen) {
      return { mode: modeOf(client), reason: 'Redis stopped answering the cache calls' };
    }
    let deadline: Deadline | undefined;
    try {
      deadline = new Deadline(parseDuration(timeout ?? DEFAULT_TIMEOUT, 'timeout'));
      return await probeRedis(client, deadline);
    } catch (error) {
      // probeRedis does not reject; this is an invalid `timeout`, whose message names no secret.
      return { mode: modeOf(client), reason: error instanceof Error ? error.message : 'failed' };
    } finally {
      deadline?.clear();
    }
  }
}
