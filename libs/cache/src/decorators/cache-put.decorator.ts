import { SetMetadata } from '@nestjs/common';
import { CACHE_PUT_METADATA } from '../cache.constants';
import type { CachePutOptions } from './cache-decorator.options';

/**
 * Always runs the method and stores its result under the key.
 *
 * @example
 * @CachePut({ key: 'user:{0}' })
 * async refresh(id: number): Promise<User> { ... }
 */
export const CachePut = (options: CachePutOptions): MethodDecorator =>
  SetMetadata(CACHE_PUT_METADATA, options);
