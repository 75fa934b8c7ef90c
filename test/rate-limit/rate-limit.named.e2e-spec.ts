import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CacheConfigError, CacheModule, RateLimit, RateLimitGuard } from '@app/cache';
import { uniqueNamespace } from '../contract/cache-store.contract';
import { standaloneRedis, type StandaloneRedis } from '../harness';
import { deleteRateLimitKeys } from './rate-limit-app';

/** Stands for the app's own configuration, read after the classes below were defined. */
@Injectable()
class Limits {
  login = 2;
}

@Module({ providers: [Limits], exports: [Limits] })
class LimitsModule {}

@Controller()
class AuthController {
  @RateLimit('login')
  @Get('login')
  login(): string {
    return 'ok';
  }

  @Get('items')
  items(): string {
    return 'ok';
  }
}

@RateLimit('reports')
@Controller('reports')
class ReportsController {
  @Get()
  list(): string {
    return 'ok';
  }

  @RateLimit({ name: 'export', limit: 1, window: '1m' })
  @Get('export')
  export(): string {
    return 'ok';
  }
}

@Controller()
class TypoController {
  @RateLimit('logn')
  @Get('typo')
  typo(): string {
    return 'ok';
  }
}

describe("@RateLimit('<name>'): limits read with the module's options (forRootAsync)", () => {
  let redis: StandaloneRedis;
  const namespaces: string[] = [];

  beforeAll(async () => {
    redis = await standaloneRedis();
  });

  afterAll(async () => {
    await deleteRateLimitKeys(redis, namespaces);
    await redis.release();
  });

  async function build(controllers: (new () => unknown)[]): Promise<INestApplication> {
    const namespace = uniqueNamespace();
    namespaces.push(namespace);
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheModule.forRootAsync({
          imports: [LimitsModule],
          inject: [Limits],
          useFactory: (limits: Limits) => ({
            namespace,
            redis: { url: redis.url },
            rateLimit: {
              limits: [{ limit: 100, window: '1m' }],
              named: {
                login: { name: 'login', limit: limits.login, window: '1m' },
                reports: [
                  { name: 'burst', limit: 1, window: '10s' },
                  { name: 'hourly', limit: 10, window: '1h' },
                ],
              },
            },
          }),
        }),
      ],
      controllers,
      providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
    }).compile();
    return moduleRef.createNestApplication({ logger: false });
  }

  it('counts a route against the set it names, and the others against the module limits', async () => {
    const app = await build([AuthController, ReportsController]);
    await app.init();
    try {
      const http = request(app.getHttpServer());
      const logins = [];
      for (let i = 0; i < 3; i++) logins.push(await http.get('/login'));
      expect(logins.map((r) => r.status)).toEqual([200, 200, 429]);
      expect(logins[0].headers['ratelimit-policy']).toBe('"login";q=2;w=60');
      expect((await http.get('/items')).headers['ratelimit']).toBe('"default";r=99;t=60');

      // A class's named set applies to its handlers, and a handler's own limits beat it.
      const reports = await http.get('/reports');
      expect(reports.headers['ratelimit-policy']).toBe('"burst";q=1;w=10, "hourly";q=10;w=3600');
      expect((await http.get('/reports')).status).toBe(429);
      expect((await http.get('/reports/export')).headers['ratelimit-policy']).toBe(
        '"export";q=1;w=60',
      );
    } finally {
      await app.close();
    }
  });

  it('fails the startup on a name that no set has, naming the route', async () => {
    const app = await build([AuthController, TypoController]);
    const failure = await app.init().then(
      () => undefined,
      (error: unknown) => error,
    );
    await app.close();
    expect(failure).toBeInstanceOf(CacheConfigError);
    expect((failure as CacheConfigError).option).toBe("@RateLimit('logn')");
    expect((failure as CacheConfigError).message).toContain(
      'TypoController.typo names a set that rateLimit.named does not have (it has login, reports)',
    );
  });
});
