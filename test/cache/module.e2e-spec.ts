import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheModule, CacheService, Cacheable, type CacheModuleOptions } from '@app/cache';
import { uniqueNamespace } from '../contract/cache-store.contract';
import { standaloneRedis, type StandaloneRedis } from '../harness';

@Injectable()
class Settings {
  readonly namespace = uniqueNamespace();
}

@Module({ providers: [Settings], exports: [Settings] })
class SettingsModule {}

@Injectable()
class OptionsFactory {
  constructor(private readonly settings: Settings) {}
  createCacheOptions(): CacheModuleOptions {
    return { namespace: this.settings.namespace, ttl: '1m' };
  }
}

@Injectable()
class Greeter {
  calls = 0;
  @Cacheable({ key: 'greeting:{0}' })
  async greet(name: string): Promise<string> {
    this.calls++;
    return `hello ${name}`;
  }
}

@Module({ providers: [Greeter], exports: [Greeter] })
class FeatureModule {}

describe('CacheModule registration', () => {
  let redis: StandaloneRedis;
  beforeAll(async () => {
    redis = await standaloneRedis();
  });
  afterAll(() => redis.release());

  it('takes its options from an injected factory with forRootAsync', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheModule.forRootAsync({
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: (settings: Settings) => ({
            namespace: settings.namespace,
            redis: { url: redis.url },
          }),
        }),
      ],
    }).compile();
    const app = await moduleRef.init();
    try {
      const cache = app.get(CacheService);
      await cache.set('k', 'v');
      const namespace = app.get(Settings, { strict: false }).namespace;
      await expect(redis.cli('GET', `${namespace}:k`)).resolves.toContain('v');
      await cache.clear();
    } finally {
      await app.close();
    }
  });

  it('takes its options from a class with forRootAsync({ useClass })', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRootAsync({ imports: [SettingsModule], useClass: OptionsFactory })],
    }).compile();
    const app = await moduleRef.init();
    try {
      await app.get(CacheService).set('k', 1);
      await expect(app.get(CacheService).get('k')).resolves.toBe(1);
    } finally {
      await app.close();
    }
  });

  it('fails at startup when an async factory returns a bad option, naming it', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheModule.forRootAsync({ useFactory: () => ({ lockTimeout: 'never' as never }) }),
      ],
    })
      .compile()
      .catch((error: unknown) => error);
    expect(String(moduleRef)).toMatch(/"lockTimeout"/);
  });

  it('serves every module of the app with isGlobal, decorators included', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheModule.forRoot({ isGlobal: true, namespace: uniqueNamespace() }),
        FeatureModule,
      ],
    }).compile();
    const app = await moduleRef.init();
    try {
      const greeter = app.get(Greeter);
      await greeter.greet('ada');
      await greeter.greet('ada');
      expect(greeter.calls).toBe(1);
      await expect(app.get(CacheService).get('greeting:ada')).resolves.toBe('hello ada');
    } finally {
      await app.close();
    }
  });
});
