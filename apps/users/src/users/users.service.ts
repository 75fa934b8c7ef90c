import { ConflictException, Injectable } from '@nestjs/common';
import { CacheEvict, Cacheable, cacheKey } from '@app/cache';
import { PasswordHasher } from '../auth/password.hasher';
import type { CreateUserDto } from './dto/create-user.dto';
import type { ListUsersQuery } from './dto/list-users.query';
import type { UpdateUserDto } from './dto/update-user.dto';
import { USERS_TAG, type User, type UserPage } from './user.model';
import { EmailTakenError, UsersRepository } from './users.repository';

/**
 * Users, read through the cache. Reads are `@Cacheable` under `user:{id}` and a hash of the list
 * query, all tagged `users`; every write evicts what it changed after it succeeds, on every
 * instance sharing the cache store.
 */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  /** Creates a user; 409 when the email is taken. Lists are evicted so they show the new user. */
  @CacheEvict({ tags: [USERS_TAG] })
  async create({ name, email, password }: CreateUserDto): Promise<User> {
    const passwordHash = await this.hasher.hash(password);
    return emailConflict(() => this.users.create({ name, email, passwordHash }));
  }

  /** The user, or null. Unknown ids are not cached: a later sign-up must not read a stale miss. */
  @Cacheable({ key: 'user:{0}', tags: [USERS_TAG], unless: (user: User | null) => user === null })
  async findOne(id: number): Promise<User | null> {
    return this.users.findById(id) ?? null;
  }

  @Cacheable({
    key: ({ limit, offset }: ListUsersQuery) => cacheKey('users', cacheKey.hash({ limit, offset })),
    tags: [USERS_TAG],
  })
  async list({ limit, offset }: ListUsersQuery): Promise<UserPage> {
    return { items: this.users.list(limit, offset), total: this.users.count() };
  }

  /** The updated user, or null when there is none; 409 when the new email is taken. */
  @CacheEvict({ key: 'user:{0}', tags: [USERS_TAG] })
  async update(id: number, patch: UpdateUserDto): Promise<User | null> {
    return emailConflict(() => this.users.update(id, patch) ?? null);
  }

  /** Whether the user existed. */
  @CacheEvict({ key: 'user:{0}', tags: [USERS_TAG] })
  async remove(id: number): Promise<boolean> {
    return this.users.delete(id);
  }
}

function emailConflict<T>(write: () => T): T {
  try {
    return write();
  } catch (error) {
    if (error instanceof EmailTakenError) throw new ConflictException(error.message);
    throw error;
  }
}
