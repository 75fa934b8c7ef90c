import {
  Controller,
  Get,
  Injectable,
  Module,
  Param,
  UseInterceptors,
  type DynamicModule,
} from '@nestjs/common';
import { CacheInterceptor, CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import { createKeyv } from '@keyv/redis';
import { Keyv } from 'keyv';
import { Cacheable, CacheModule } from '../../../libs/cache/src';
import { makeUser, type User } from '../fixtures';

const TTL_MS = 3_600_000;

/** Where users come from: built at once, so the uncached route is the framework's ceiling. */
@Injectable()
class UsersSource {
  load(id: string): User {
    return makeUser(id);
  }
}

/** This module's twin: `@Cacheable` on the service, on Redis, with or without L1. */
export function moduleUsersApp(l1: boolean, redisUrl: string, namespace: string): DynamicModule {
  @Injectable()
  class UsersService {
    constructor(private readonly source: UsersSource) {}

    @Cacheable({ key: 'user:{0}' })
    async findOne(id: string): Promise<User> {
      return this.source.load(id);
    }
  }

  @Controller()
  class UsersController {
    constructor(
      private readonly users: UsersService,
      private readonly source: UsersSource,
    ) {}

    @Get('users/:id')
    findOne(@Param('id') id: string): Promise<User> {
      return this.users.findOne(id);
    }

    @Get('raw/users/:id')
    raw(@Param('id') id: string): User {
      return this.source.load(id);
    }
  }

  @Module({})
  class ModuleUsersApp {}
  return {
    module: ModuleUsersApp,
    imports: [
      CacheModule.forRoot({
        namespace,
        ttl: '1h',
        redis: { url: redisUrl },
        l1: l1 ? { maxEntries: 10_000, ttl: '10m' } : undefined,
      }),
    ],
    providers: [UsersSource, UsersService],
    controllers: [UsersController],
  };
}

/** The `@nestjs/cache-manager` twin: `CacheInterceptor` on the route, a Keyv Redis store (behind an in-memory Keyv with `l1`). */
export function interceptorUsersApp(
  l1: boolean,
  redisUrl: string,
  namespace: string,
): DynamicModule {
  @Controller()
  class UsersController {
    constructor(private readonly source: UsersSource) {}

    @Get('users/:id')
    @UseInterceptors(CacheInterceptor)
    findOne(@Param('id') id: string): User {
      return this.source.load(id);
    }

    @Get('raw/users/:id')
    raw(@Param('id') id: string): User {
      return this.source.load(id);
    }
  }

  const redis = createKeyv(redisUrl, { namespace });
  @Module({})
  class InterceptorUsersApp {}
  return {
    module: InterceptorUsersApp,
    imports: [
      NestCacheModule.register({ stores: l1 ? [new Keyv(), redis] : [redis], ttl: TTL_MS }),
    ],
    providers: [UsersSource],
    controllers: [UsersController],
  };
}
