import { Controller, Get, Inject, Logger, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { Public, RedisHealthIndicator, SkipRateLimit } from '@app/cache';
import { AppConfig } from '../config/app.config';
import { SqliteHealthIndicator } from './sqlite.health';

/** How long the Redis check may take before readiness reports it down. */
const REDIS_CHECK_TIMEOUT = '500ms';

/**
 * What readiness shows of each dependency by default: the route is public, and a Redis version,
 * its memory or an error naming an internal address are nobody else's business.
 */
const PUBLIC_FIELDS = ['status', 'mode', 'degraded'];

/** Each dependency's state, by the name it was checked under. */
type Indicators = NonNullable<HealthCheckResult['info']>;

/**
 * Liveness (no I/O: a slow dependency must take the instance out of rotation, not get it
 * restarted) and readiness (SQLite, and Redis when configured and required).
 */
@Public()
@SkipRateLimit()
@Controller('health')
export class HealthController {
  private readonly logger = new Logger(HealthController.name);
  /** The last "not ready" logged, so that a probe polling an outage logs it once. */
  private lastDown = '';

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
    let result: HealthCheckResult;
    try {
      result = await this.check();
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      // Terminus's body has an `error` object; errors here are { statusCode, error, message }.
      const full = error.getResponse() as HealthCheckResult;
      const message = `Not ready: ${Object.keys(full.error ?? {}).join(', ')} down`;
      this.logDown(message, full.error);
      const { status, info, details } = this.shown(full);
      throw new ServiceUnavailableException({ message, status, info, details });
    }
    this.lastDown = '';
    return this.shown(result);
  }

  /** The result as the public may see it (everything with `HEALTH_DETAILS=true`). */
  private shown(result: HealthCheckResult): HealthCheckResult {
    if (this.config.healthDetails) return result;
    return {
      status: result.status,
      info: publicView(result.info),
      error: publicView(result.error),
      details: (publicView(result.details) ?? {}) as HealthCheckResult['details'],
    };
  }

  /** Logs why the app is not ready (the reasons the response leaves out), once per outage state. */
  private logDown(message: string, down: Indicators | undefined): void {
    const line = `${message}: ${JSON.stringify(down ?? {})}`;
    if (line === this.lastDown) return;
    this.lastDown = line;
    this.logger.warn(line);
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

function publicView(result: Indicators | undefined): Indicators | undefined {
  if (result === undefined) return undefined;
  const view: Indicators = {};
  for (const [name, state] of Object.entries(result)) {
    if (state === undefined) continue;
    const shown: Record<string, unknown> = {};
    for (const field of PUBLIC_FIELDS) {
      if (state[field] !== undefined) shown[field] = state[field];
    }
    view[name] = shown as typeof state;
  }
  return view;
}
