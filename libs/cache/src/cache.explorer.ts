import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import {
  CACHE_EVICT_METADATA,
  CACHE_PUT_METADATA,
  CACHE_WRAPPED,
  CACHEABLE_METADATA,
} from './cache.constants';
import { CacheService } from './cache.service';
import type {
  CacheableOptions,
  CacheEvictOptions,
  CachePutOptions,
} from './decorators/cache-decorator.options';
import {
  evictWrapper,
  putWrapper,
  cacheableWrapper,
  type Method,
} from './decorators/method-wrappers';

/**
 * Wraps the decorated methods of every singleton provider once, at bootstrap. The wrapper is set
 * on the instance (never on the shared prototype), so two applications in one process, each with
 * its own module options, stay isolated.
 */
@Injectable()
export class CacheExplorer implements OnModuleInit {
  private readonly logger = new Logger('CacheModule');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly cache: CacheService,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype) continue;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        this.wrapMethod(
          instance as Record<string, unknown>,
          name,
          wrapper.isDependencyTreeStatic(),
        );
      }
    }
  }

  private wrapMethod(instance: Record<string, unknown>, name: string, isStatic: boolean): void {
    const original = instance[name];
    if (
      typeof original !== 'function' ||
      (original as Method & { [CACHE_WRAPPED]?: true })[CACHE_WRAPPED]
    ) {
      return;
    }
    const cacheable = this.reflector.get<CacheableOptions | undefined>(
      CACHEABLE_METADATA,
      original,
    );
    const put = this.reflector.get<CachePutOptions | undefined>(CACHE_PUT_METADATA, original);
    const evict = this.reflector.get<CacheEvictOptions | undefined>(CACHE_EVICT_METADATA, original);
    if (!cacheable && !put && !evict) return;

    const where = `${instance.constructor.name}.${name}`;
    if (!isStatic) {
      this.logger.warn(`${where} is request-scoped: its cache decorators are ignored`);
      return;
    }
    let method = original as Method;
    if (cacheable) method = cacheableWrapper(method, cacheable, this.cache, where, this.logger);
    if (put) method = putWrapper(method, put, this.cache, where);
    if (evict) method = evictWrapper(method, evict, this.cache, where);

    for (const key of Reflect.getMetadataKeys(original)) {
      Reflect.defineMetadata(key, Reflect.getMetadata(key, original), method);
    }
    Object.defineProperty(method, 'name', { value: original.name });
    Object.defineProperty(method, CACHE_WRAPPED, { value: true });
    instance[name] = method;
  }
}
