import { SetMetadata } from '@nestjs/common';
import { CACHE_EVICT_METADATA } from '../cache.constants';
import type { CacheEvictOptions } from './cache-decorator.options';

/**
 * Evicts keys, tags or the whole namespace after the method succeeds (not when it throws), or
 * before it runs with `beforeInvocation`.
 *
 * @example
 * @CacheEvict({ key: 'user:{0}', tags: ['users'] })
 * async update(id: number, patch: UpdateUserDto): Promise<User> { ... }
 */
export const CacheEvict = (options: CacheEvictOptions = {}): MethodDecorator =>
  SetMetadata(CACHE_EVICT_METADATA, options);
