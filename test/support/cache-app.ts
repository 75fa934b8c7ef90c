import { Test } from '@nestjs/testing';
import type { INestApplicationContext, ModuleMetadata } from '@nestjs/common';
import { CacheModule, CacheService, type CacheModuleOptions } from '@app/cache';

/** A Nest application context with the cache module and the given providers. */
export async function cacheApp(
  options: CacheModuleOptions,
  metadata: ModuleMetadata = {},
): Promise<{ app: INestApplicationContext; cache: CacheService }> {
  const moduleRef = await Test.createTestingModule({
    ...metadata,
    imports: [CacheModule.forRoot(options), ...(metadata.imports ?? [])],
  }).compile();
  const app = await moduleRef.init();
  return { app, cache: app.get(CacheService) };
}
