import { Inject, Injectable, UnauthorizedException, type OnModuleInit } from '@nestjs/common';
import { RevocationService, TokenIssuer, type TokenClaims } from '@app/cache';
import { AppConfig } from '../config/app.config';
import { UsersRepository } from '../users/users.repository';
import type { LoginDto } from './dto/login.dto';
import { PasswordHasher } from './password.hasher';

/** What `POST /auth/login` returns. */
export interface AccessToken {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds. */
  expiresIn: number;
}

export const INVALID_CREDENTIALS = 'Invalid email or password';

/** Logs users in (HS256 tokens from the library's `TokenIssuer`) and out (revocations). */
@Injectable()
export class AuthService implements OnModuleInit {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenIssuer,
    private readonly revocation: RevocationService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.hasher.dummyHash();
  }

  /**
   * A token for valid credentials. An unknown email gets the same answer as a wrong password, after
   * checking a dummy hash, so neither the answer nor its timing tells which emails exist.
   */
  async login({ email, password }: LoginDto): Promise<AccessToken> {
    const user = this.users.findCredentials(email);
    const valid = await this.hasher.verify(
      password,
      user?.passwordHash ?? (await this.hasher.dummyHash()),
    );
    if (!user || !valid) throw new UnauthorizedException(INVALID_CREDENTIALS);
    const sub = String(user.id);
    // Right after "log out everywhere", a token of this second would be born revoked. While the
    // store is down, sign anyway: the guard decides about the token until it is back (the
    // RevocationService logs the outage).
    await this.revocation.waitUntilIssuable(sub).catch(() => undefined);
    const { token, exp, iat } = this.tokens.issue({ sub, ttl: this.config.jwt.ttl });
    return { accessToken: token, tokenType: 'Bearer', expiresIn: exp - iat };
  }

  /** Refuses this token from now on, on every instance sharing the store. */
  logout(claims: TokenClaims): Promise<void> {
    return this.revocation.revoke(claims);
  }

  /** Refuses every token of the user issued so far; a later login waits for the next second. */
  logoutEverywhere(userId: number): Promise<void> {
    return this.revocation.revokeAllForSubject(String(userId));
  }
}
