import { Injectable } from '@nestjs/common';
import {
  CacheEvict,
  CachePut,
  Cacheable,
  type CacheModuleOptions,
  type CacheService,
} from '@app/cache';
import { uniqueNamespace } from '../contract/cache-store.contract';
import { standaloneRedis, type StandaloneRedis } from '../harness';
import { cacheApp } from '../support/cache-app';

class User {
  constructor(
    readonly id: number,
    public name: string,
  ) {}
  greet(): string {
    return `hi ${this.name}`;
  }
}

@Injectable()
class UsersRepository {
  calls = 0;
  users = new Map<number, User | null>([
    [1, new User(1, 'ada')],
    [2, null],
  ]);
  find(id: number): User | null | undefined {
    this.calls++;
    return this.users.get(id);
  }
}

@Injectable()
class UsersService {
  readonly label = 'users-service';
  constructor(readonly repo: UsersRepository) {}

  @Cacheable({ key: 'user:{0}', tags: ['users'], type: User })
  async findOne(id: number): Promise<User | null | undefined> {
    return this.repo.find(id);
  }

  @Cacheable()
  async search(query: { name: string; page: number }): Promise<string> {
    this.repo.calls++;
    return `${query.name}@${query.page}`;
  }

  @Cacheable({ key: 'owner:{0.id}', condition: (user: { id: number }) => user.id > 0 })
  async owner(user: { id: number }): Promise<string> {
    this.repo.calls++;
    return `${this.label}:${user.id}`;
  }

  @Cacheable({ key: 'count:{0}', unless: (result: number) => result < 0 })
  async count(n: number): Promise<number> {
    this.repo.calls++;
    return n;
  }

  @Cacheable({ key: 'sync:{0}' })
  double(n: number): number {
    this.repo.calls++;
    return n * 2;
  }

  @Cacheable({ key: 'echo:{0}' })
  async echo(text: string): Promise<string> {
    this.repo.calls++;
    return text;
  }

  @Cacheable({ key: 'fails:{0}' })
  async fails(id: number): Promise<never> {
    this.repo.calls++;
    throw new RangeError(`no ${id}`);
  }

  @CacheEvict({ key: 'user:{0}', tags: ['users'] })
  async rename(id: number, name: string): Promise<User> {
    const user = this.repo.users.get(id)!;
    user.name = name;
    return user;
  }

  @CacheEvict({ key: 'user:{0}' })
  async renameAndFail(id: number): Promise<void> {
    this.repo.users.get(id)!.name = 'changed';
    throw new Error('write failed');
  }

  @CacheEvict({ key: ['user:{0}'], beforeInvocation: true })
  async evictFirst(_id: number): Promise<void> {
    throw new Error('fails after evicting');
  }

  @CachePut({ key: 'user:{0}', tags: ['users'] })
  async reload(id: number): Promise<User | null | undefined> {
    return this.repo.find(id);
  }

  @CacheEvict({ allEntries: true })
  async reset(): Promise<void> {}
}

function describeDecorators(name: string, options: () => CacheModuleOptions): void {
  describe(`cache decorators on ${name}`, () => {
    let service: UsersService;
    let repo: UsersRepository;
    let cache: CacheService;
    let close: () => Promise<void>;

    beforeEach(async () => {
      const made = await cacheApp(
        { ...options(), namespace: uniqueNamespace() },
        { providers: [UsersRepository, UsersService] },
      );
      cache = made.cache;
      service = made.app.get(UsersService);
      repo = made.app.get(UsersRepository);
      close = async () => {
        await cache.clear();
        await made.app.close();
      };
    });

    afterEach(() => close());

    it('reads through the cache, under the key the template names', async () => {
      await service.findOne(1);
      await service.findOne(1);
      expect(repo.calls).toBe(1);
      await expect(cache.get('user:1')).resolves.toEqual({ id: 1, name: 'ada' });
    });

    it('keeps arguments that differ only in a lone surrogate apart', async () => {
      // In UTF-8, as Redis stores keys, every lone surrogate is U+FFFD.
      const texts = ['a\ud800', 'a\udfff', 'a\ufffd'];
      for (const text of texts) await expect(service.echo(text)).resolves.toBe(text);
      for (const text of texts) await expect(service.echo(text)).resolves.toBe(text);
      expect(repo.calls).toBe(3);
    });

    it('rebuilds class instances when the decorator names a type', async () => {
      await service.findOne(1);
      const cached = await service.findOne(1);
      expect(cached).toBeInstanceOf(User);
      expect(cached?.greet()).toBe('hi ada');
    });

    it('caches null, and does not cache undefined', async () => {
      await expect(service.findOne(2)).resolves.toBeNull();
      await expect(service.findOne(2)).resolves.toBeNull();
      expect(repo.calls).toBe(1);
      await service.findOne(99);
      await service.findOne(99);
      expect(repo.calls).toBe(3);
    });

    it('builds a default key from the class, the method and a hash of the arguments', async () => {
      await service.search({ name: 'a', page: 1 });
      await service.search({ page: 1, name: 'a' });
      await service.search({ name: 'a', page: 2 });
      expect(repo.calls).toBe(2);
    });

    it('keeps `this`, and bypasses the cache when the condition says so', async () => {
      await expect(service.owner({ id: 5 })).resolves.toBe('users-service:5');
      await service.owner({ id: 5 });
      expect(repo.calls).toBe(1);
      await service.owner({ id: -1 });
      await service.owner({ id: -1 });
      expect(repo.calls).toBe(3);
    });

    it('does not store a result that `unless` rejects', async () => {
      await service.count(-1);
      await service.count(-1);
      await service.count(3);
      await service.count(3);
      expect(repo.calls).toBe(3);
    });

    it('caches a synchronous method, which then returns a promise', async () => {
      await expect(service.double(2)).resolves.toBe(4);
      await expect(service.double(2)).resolves.toBe(4);
      expect(repo.calls).toBe(1);
    });

    it('rethrows the original error and does not cache it', async () => {
      await expect(service.fails(1)).rejects.toThrow(RangeError);
      await expect(service.fails(1)).rejects.toThrow('no 1');
      expect(repo.calls).toBe(2);
    });

    it('keeps the method name', () => {
      expect(service.findOne.name).toBe('findOne');
      expect(service.rename.name).toBe('rename');
    });

    it('shares one execution among concurrent identical calls', async () => {
      await Promise.all(Array.from({ length: 50 }, () => service.findOne(1)));
      expect(repo.calls).toBe(1);
    });

    it('evicts after the method succeeds, so the next read shows the change', async () => {
      await service.findOne(1);
      await service.rename(1, 'grace');
      await expect(service.findOne(1)).resolves.toMatchObject({ name: 'grace' });
      expect(repo.calls).toBe(2);
    });

    it('does not evict when the method throws', async () => {
      await service.findOne(1);
      await expect(service.renameAndFail(1)).rejects.toThrow('write failed');
      await expect(service.findOne(1)).resolves.toMatchObject({ name: 'ada' });
      expect(repo.calls).toBe(1);
    });

    it('evicts before the call with beforeInvocation, even when the method throws', async () => {
      await service.findOne(1);
      await expect(service.evictFirst(1)).rejects.toThrow();
      await expect(cache.get('user:1')).resolves.toBeUndefined();
    });

    it('evicts by tag', async () => {
      await cache.set('list', ['ada'], { tags: ['users'] });
      await service.rename(1, 'x');
      await expect(cache.get('list')).resolves.toBeUndefined();
    });

    it('stores the result of a @CachePut method every time', async () => {
      await service.reload(1);
      repo.users.get(1)!.name = 'updated';
      await service.reload(1);
      expect(repo.calls).toBe(2);
      await expect(cache.get('user:1')).resolves.toMatchObject({ name: 'updated' });
    });

    it('clears the namespace with allEntries', async () => {
      await service.findOne(1);
      await service.reset();
      await expect(cache.get('user:1')).resolves.toBeUndefined();
    });
  });
}

describeDecorators('the memory store', () => ({}));

describe('with Redis', () => {
  let server: StandaloneRedis;
  beforeAll(async () => {
    server = await standaloneRedis();
  });
  afterAll(() => server.release());
  describeDecorators('standalone Redis', () => ({ redis: { url: server.url } }));
});

describe('isolation', () => {
  it('keeps two applications in one process apart, each with its own options', async () => {
    const first = await cacheApp(
      { namespace: uniqueNamespace() },
      { providers: [UsersRepository, UsersService] },
    );
    const second = await cacheApp(
      { namespace: uniqueNamespace() },
      { providers: [UsersRepository, UsersService] },
    );
    try {
      await first.app.get(UsersService).findOne(1);
      await expect(first.cache.get('user:1')).resolves.toBeDefined();
      await expect(second.cache.get('user:1')).resolves.toBeUndefined();
      await second.app.get(UsersService).findOne(1);
      expect(second.app.get(UsersRepository).calls).toBe(1);
    } finally {
      await first.app.close();
      await second.app.close();
    }
  });

  it('fails at startup when a decorator has a bad TTL, naming it', async () => {
    @Injectable()
    class Broken {
      @Cacheable({ ttl: 'soon' as never })
      async get(): Promise<number> {
        return 1;
      }
    }
    await expect(cacheApp({}, { providers: [Broken] })).rejects.toThrow(/ttl.*Broken\.get/);
  });

  it('fails at startup when a module option is bad, naming it', async () => {
    await expect(cacheApp({ ttl: '5 minutes' as never })).rejects.toThrow(/"ttl"/);
    await expect(cacheApp({ redis: { url: 'http://x' } })).rejects.toThrow(/"redis.url"/);
    await expect(cacheApp({ jitter: 2 })).rejects.toThrow(/"jitter"/);
    await expect(cacheApp({ ttll: 1 } as never)).rejects.toThrow(/"ttll"/);
  });
});
