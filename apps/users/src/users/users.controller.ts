import {
  Body,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  HttpCode,
  HttpStatus,
  NotFoundException,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { Public, RevocationService } from '@app/cache';
import { CurrentUser, type AuthUser } from '../auth/current-user.decorator';
import { IdParam } from '../common/id-param.decorator';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQuery } from './dto/list-users.query';
import { UpdateUserDto } from './dto/update-user.dto';
import type { User, UserPage } from './user.model';
import { UsersService } from './users.service';

@Controller('users')
export class UsersController {
  constructor(
    private readonly users: UsersService,
    private readonly revocation: RevocationService,
  ) {}

  @Public()
  @Post()
  create(@Body() body: CreateUserDto): Promise<User> {
    return this.users.create(body);
  }

  @Public()
  @Get()
  list(@Query() query: ListUsersQuery): Promise<UserPage> {
    return this.users.list(query);
  }

  @Public()
  @Get(':id')
  async findOne(@IdParam('id') id: number): Promise<User> {
    return found(await this.users.findOne(id));
  }

  @Patch(':id')
  async update(
    @IdParam('id') id: number,
    @Body() patch: UpdateUserDto,
    @CurrentUser() caller: AuthUser,
  ): Promise<User> {
    ownAccount(id, caller);
    return found(await this.users.update(id, patch));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@IdParam('id') id: number, @CurrentUser() caller: AuthUser): Promise<void> {
    ownAccount(id, caller);
    if (!(await this.users.remove(id))) throw new NotFoundException('User not found');
    // The account is gone: so are its sessions, on every instance.
    await this.revocation.revokeAllForSubject(String(id));
  }
}

function ownAccount(id: number, caller: AuthUser): void {
  if (id !== caller.id) throw new ForbiddenException('You may only change your own account');
}

function found(user: User | null): User {
  if (!user) throw new NotFoundException('User not found');
  return user;
}
