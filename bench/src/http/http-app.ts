/**
 * Child process: serves one HTTP variant on a free loopback port, tells the parent the port, and
 * answers `{ type: 'cpu' }` with its `process.cpuUsage()`, the ioredis commands it sent and the
 * requests it received, so the parent can charge CPU and round trips per request.
 */
import 'reflect-metadata';
import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { failChild, tellParent, type ChildMessage } from '../infra/child';
import { countIoredisCommands, ioredisCommandsSent } from '../infra/round-trips';
import type { LimitCount } from './rate-limit.apps';

/** The variant's root module; only its own rival library is loaded. */
async function appFor(
  variant: string,
  redisUrl: string,
  namespace: string,
): Promise<DynamicModule> {
  const [kind, store, last, option] = variant.split('-');
  if (kind === 'module' || kind === 'throttler') {
    const { moduleRateLimitApp, throttlerApp } = await import('./rate-limit.apps');
    const limits = Number(last) as LimitCount;
    const where = store as 'redis' | 'memory';
    return kind === 'module'
      ? moduleRateLimitApp(where, limits, redisUrl, namespace, option !== 'noheaders')
      : throttlerApp(where, limits, redisUrl);
  }
  if (kind === 'nest') {
    const { admitAllApp, oneRedisGetApp } = await import('./rate-limit.apps');
    return store === 'redis' ? oneRedisGetApp(redisUrl) : admitAllApp();
  }
  if (kind === 'revocation') {
    const { revocationApp } = await import('./revocation.apps');
    return revocationApp(last as 'redis' | 'memory', redisUrl, namespace);
  }
  if (kind === 'users') {
    const { interceptorUsersApp, moduleUsersApp } = await import('./users.apps');
    if (store === 'module') return moduleUsersApp(last === 'l1', redisUrl, namespace);
    if (store === 'interceptor') return interceptorUsersApp(last === 'l1', redisUrl, namespace);
  }
  throw new Error(`Unknown HTTP variant '${variant}'`);
}

async function main(): Promise<void> {
  const [variant] = process.argv.slice(2);
  countIoredisCommands();
  const redisUrl = process.env.BENCH_REDIS_URL ?? '';
  const app = await NestFactory.create<NestExpressApplication>(
    await appFor(variant, redisUrl, `bench-http-${variant}`),
    { logger: false },
  );
  // Requests are counted as they arrive, so a request still in flight when a run ends is counted
  // with the Redis commands it already sent.
  let received = 0;
  app.use((_request: unknown, _response: unknown, next: () => void) => {
    received++;
    next();
  });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  process.on('message', (message: ChildMessage) => {
    if (message.type === 'cpu') {
      tellParent({ type: 'cpu', usage: process.cpuUsage(), sent: ioredisCommandsSent(), received });
    }
  });
  process.once('SIGTERM', () => void app.close().finally(() => process.exit(0)));
  // Routes behind JwtRevocationGuard get a token signed by the app.
  const token = variant.startsWith('revocation-') ? await bearerToken(app) : undefined;
  tellParent({ type: 'ready', port: address.port, token });
}

async function bearerToken(app: NestExpressApplication): Promise<string> {
  const { TokenIssuer } = await import('../../../libs/cache/src');
  return app.get(TokenIssuer).issue({ sub: 'bench-user', ttl: '1h' }).token;
}

main().catch(failChild);
