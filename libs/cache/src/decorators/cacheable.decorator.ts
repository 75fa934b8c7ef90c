import { SetMetadata } from '@nestjs/common';
import { CACHEABLE_METADATA } from '../cache.constants';
import type { CacheableOptions } from './cache-decorator.options';

/**
 * Caches the method's result under a key built from its arguments. Concurrent identical calls
 * share one execution; a cached `null` is returned as `null`; `undefined` is never stored. The
 * decorated method returns a Promise. Applies to methods of singleton providers.
 *
 * @example
 * @Cacheable({ key: 'user:{0}', ttl: '5m', tags: ['users'] })
 * async findOne(id: number): Promise<User | null> { ... }
 */
export const Cacheable = (options: CacheableOptions = {}): MethodDecorator =>
  SetMetadata(CACHEABLE_METADATA, options);
