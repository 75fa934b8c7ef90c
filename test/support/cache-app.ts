import { waitForRedis } from './redis-ready';
import { Test } from '@nestjs/testing';
import type { INestApplicationContext, ModuleMetadata } from '@nestjs/common';
import { CacheModule, CacheService, type CacheModuleOptions } from '@app/cache';

/**
 * A Nest application context with the cache module and the given providers. It waits for Redis to
 * be ready unless `awaitRedis` is false (for specs that boot while Redis is down on purpose).
 */
export async function cacheApp(
  options: CacheModuleOptions,
  metadata: ModuleMetadata = {},
  { awaitRedis = true }: { awaitRedis?: boolean } = {},
): Promise<{ app: INestApplicationContext; cache: CacheService }> {
  const moduleRef = await Test.createTestingModule({
    ...metadata,
    imports: [CacheModule.forRoot(options), ...(metadata.imports ?? [])],
  }).compile();
  const app = await moduleRef.init();
  if (awaitRedis) await waitForRedis(app);
  return { app, cache: app.get(CacheService) };
}
