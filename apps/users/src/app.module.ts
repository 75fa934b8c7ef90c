import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import {
  CacheModule,
  JwtRevocationGuard,
  RateLimitGuard,
  type CacheModuleOptions,
} from '@app/cache';
import { AuthModule } from './auth/auth.module';
import { HttpErrorFilter } from './common/http-error.filter';
import type { AppConfig } from './config/app.config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { UsersModule } from './users/users.module';

/** Every key this app writes to Redis starts with it. */
export const CACHE_NAMESPACE = 'users-app';

function redisOption(config: AppConfig): Pick<CacheModuleOptions, 'redis'> {
  const password = config.redisPassword;
  if (config.redisClusterNodes) {
    return { redis: { cluster: { nodes: config.redisClusterNodes }, password } };
  }
  if (config.redisSentinels) {
    const sentinels = config.redisSentinels.map(toAddress);
    return { redis: { sentinels, name: config.redisSentinelName, password } };
  }
  if (config.redisUrl) return { redis: { url: config.redisUrl } };
  return {};
}

function toAddress(node: string): { host: string; port: number } {
  const at = node.lastIndexOf(':');
  return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
}

/**
 * The users service. Guards run in the order they are listed: the rate limit first (so that
 * floods are refused before any token is verified), then the bearer token check.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CacheModule.forRoot({
          isGlobal: true,
          namespace: CACHE_NAMESPACE,
          ttl: config.cacheTtl,
          ...redisOption(config),
          rateLimit: {
            limits: [{ name: 'default', ...config.rateLimit }],
            keyBy: 'ip',
            onStoreFailure: 'local',
          },
          revocation: {
            jwt: { secret: config.jwt.secret, algorithms: ['HS256'] },
            maxTokenLifetime: config.jwt.ttl,
            onStoreFailure: 'closed',
          },
        }),
        DatabaseModule,
        UsersModule,
        AuthModule,
        HealthModule,
        MetricsModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_GUARD, useClass: JwtRevocationGuard },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
      ],
    };
  }
}
