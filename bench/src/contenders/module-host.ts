import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Cacheable,
  CacheModule,
  CacheService,
  type CacheModuleOptions,
} from '../../../libs/cache/src';
import { makeUser, type Loader, type User } from '../fixtures';

/** The service every module contender reads through: one `@Cacheable` method. */
@Injectable()
export class UserRepository {
  loader: Loader = async (id) => makeUser(id);

  @Cacheable({ key: 'user:{0}' })
  async findOne(id: string): Promise<User> {
    return this.loader(id);
  }
}

/** A Nest application context with `CacheModule.forRoot(options)` and the repository. */
export async function createModuleContext(
  options: CacheModuleOptions,
  loader: Loader,
): Promise<{ app: INestApplicationContext; repo: UserRepository; cache: CacheService }> {
  @Module({ imports: [CacheModule.forRoot(options)], providers: [UserRepository] })
  class BenchHostModule {}
  const app = await NestFactory.createApplicationContext(BenchHostModule, { logger: false });
  const repo = app.get(UserRepository);
  repo.loader = loader;
  return { app, repo, cache: app.get(CacheService) };
}
