/**
 * Nest 12 smoke run: a compiled CommonJS app that imports the library's compiled sources and
 * serves one cached request, on the memory store and (when SMOKE_REDIS_URL is set) on Redis.
 * Type-checked against Nest 11 (the repo's), run against the Nest 12 installed beside this file.
 */
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  CacheModule,
  CacheService,
  Cacheable,
  type CacheModuleOptions,
} from '../../../libs/cache/src';

@Injectable()
class Counter {
  calls = 0;

  @Cacheable({ key: 'count:{0}', ttl: '1m' })
  async read(name: string): Promise<{ name: string; calls: number; at: Date }> {
    this.calls++;
    return { name, calls: this.calls, at: new Date() };
  }
}

@Controller()
class CounterController {
  constructor(private readonly counter: Counter) {}

  @Get('count/:name')
  read(@Param('name') name: string): Promise<unknown> {
    return this.counter.read(name);
  }
}

async function serveOnce(label: string, options: CacheModuleOptions): Promise<void> {
  @Module({
    imports: [CacheModule.forRoot({ ...options, namespace: `smoke-${process.pid}` })],
    controllers: [CounterController],
    providers: [Counter],
  })
  class AppModule {}

  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const url = `${await app.getUrl()}/count/a`;
  try {
    const first = (await (await fetch(url)).json()) as { calls: number };
    const second = (await (await fetch(url)).json()) as { calls: number };
    if (first.calls !== 1 || second.calls !== 1 || app.get(Counter).calls !== 1) {
      throw new Error(`${label}: the second request was not served from the cache`);
    }
    console.log(`nest ${nestVersion()} / ${label}: cached request served (loader called once)`);
  } finally {
    await app.get(CacheService).clear();
    await app.close();
  }
}

function nestVersion(): string {
  return (require('@nestjs/core/package.json') as { version: string }).version;
}

async function main(): Promise<void> {
  if (!nestVersion().startsWith('12.')) throw new Error(`expected Nest 12, got ${nestVersion()}`);
  await serveOnce('memory store', {});
  const redisUrl = process.env.SMOKE_REDIS_URL;
  if (redisUrl) await serveOnce('redis store', { redis: { url: redisUrl } });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
