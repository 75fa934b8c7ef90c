import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import {
  CACHE_EVICT_METADATA,
  CACHE_PUT_METADATA,
  CACHE_WRAPPED,
  CACHEABLE_METADATA,
  RESOLVED_CACHE_OPTIONS,
} from './cache.constants';
import { CacheService } from './cache.service';
import { CacheConfigError } from './errors';
import type { ResolvedCacheOptions } from './options/resolve-options';
import { RATE_LIMIT_METADATA } from './rate-limit/rate-limit.constants';
import type { RateLimitMetadata } from './rate-limit/rate-limit.decorator';
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
 * its own module options, stay isolated. It also fails the startup on a `@RateLimit('<name>')`
 * whose set the module's `rateLimit.named` does not have.
 */
@Injectable()
export class CacheExplorer implements OnModuleInit {
  private readonly logger = new Logger('CacheModule');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly cache: CacheService,
    @Inject(RESOLVED_CACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
  ) {}

  onModuleInit(): void {
    this.checkNamedRateLimits();
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

  private checkNamedRateLimits(): void {
    const named = this.options.rateLimit?.named;
    for (const { metatype } of this.discovery.getControllers()) {
      if (typeof metatype !== 'function' || !metatype.prototype) continue;
      const prototype = metatype.prototype as Record<string, unknown>;
      const targets: [string, unknown][] = [
        [metatype.name, metatype],
        ...this.scanner
          .getAllMethodNames(prototype)
          .map((name): [string, unknown] => [`${metatype.name}.${name}`, prototype[name]]),
      ];
      for (const [where, target] of targets) {
        if (typeof target !== 'function') continue;
        const limits = this.reflector.get<RateLimitMetadata | undefined>(
          RATE_LIMIT_METADATA,
          target,
        );
        if (!limits || !('named' in limits) || named?.has(limits.named)) continue;
        const known = named?.size ? `it has ${[...named.keys()].join(', ')}` : 'it has none';
        throw new CacheConfigError(
          `@RateLimit('${limits.named}')`,
          `${where} names a set that rateLimit.named does not have (${known})`,
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
