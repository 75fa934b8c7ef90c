import { Module } from '@nestjs/common';
import { PasswordHasher } from '../auth/password.hasher';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

/**
 * Users: the HTTP routes, the cached service and the SQLite repository. It also provides the
 * password hasher (sign-up hashes, login verifies), so the auth module can import this one
 * without a cycle.
 */
@Module({
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, PasswordHasher],
  exports: [UsersService, UsersRepository, PasswordHasher],
})
export class UsersModule {}
