import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Post,
  UseGuards,
} from '@nestjs/common';
import { Public } from '@app/cache';
import type { User } from '../users/user.model';
import { UsersService } from '../users/users.service';
import { AuthService, type AccessToken } from './auth.service';
import { CurrentUser, type AuthUser } from './current-user.decorator';
import { LoginDto } from './dto/login.dto';
import { LoginRateLimitGuard } from './login-rate-limit.guard';

@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Public()
  @UseGuards(LoginRateLimitGuard)
  @Post('login')
  @HttpCode(HttpStatus.OK)
  login(@Body() body: LoginDto): Promise<AccessToken> {
    return this.auth.login(body);
  }

  @Get('me')
  async me(@CurrentUser() caller: AuthUser): Promise<User> {
    const user = await this.users.findOne(caller.id);
    if (!user) throw new NotFoundException('User not found');
    return user;
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  logout(@CurrentUser() caller: AuthUser): Promise<void> {
    return this.auth.logout(caller.claims);
  }

  @Post('logout-all')
  @HttpCode(HttpStatus.NO_CONTENT)
  logoutAll(@CurrentUser() caller: AuthUser): Promise<void> {
    return this.auth.logoutEverywhere(caller.id);
  }
}
