import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { LoginRateLimitGuard } from './login-rate-limit.guard';

/**
 * Login, logout and the current user. Token verification and revocation checks are the library's
 * `JwtRevocationGuard`, registered globally by the app module.
 */
@Module({
  imports: [UsersModule],
  controllers: [AuthController],
  providers: [AuthService, LoginRateLimitGuard],
  exports: [AuthService],
})
export class AuthModule {}
