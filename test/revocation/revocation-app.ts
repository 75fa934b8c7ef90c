import { waitForRedis } from '../support/redis-ready';
import {
  Controller,
  Get,
  HttpCode,
  Injectable,
  Post,
  Req,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type Type,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { createHmac, createSign, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  CacheModule,
  JwtRevocationGuard,
  Public,
  RevocationService,
  TokenIssuer,
  type CacheModuleOptions,
  type TokenClaims,
} from '@app/cache';

let sequence = 0;
/** A namespace no other spec (or run) uses. */
export const uniqueNamespace = (): string =>
  `rv${process.pid}-${Date.now().toString(36)}-${sequence++}`;

/** A strong HS* secret (64 bytes). */
export const newSecret = (): string => randomBytes(64).toString('hex');

/** A fresh 2048-bit RSA key pair as PEM strings. */
export function rsaKeyPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

@Controller()
export class ProbeController {
  constructor(private readonly revocation: RevocationService) {}

  @Get('me')
  me(@Req() req: { user?: unknown }): { user: unknown } {
    return { user: req.user };
  }

  @Public()
  @Get('open')
  open(): { open: true } {
    return { open: true };
  }

  /** Logs out the token of this request. */
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: { user: TokenClaims }): Promise<void> {
    await this.revocation.revoke(req.user);
  }

  /** Logs out every token of this request's subject. */
  @Post('logout-all')
  @HttpCode(204)
  async logoutAll(@Req() req: { user: TokenClaims }): Promise<void> {
    await this.revocation.revokeAllForSubject(req.user.sub);
  }
}

@Public()
@Controller('public')
export class PublicController {
  @Get()
  get(): { public: true } {
    return { public: true };
  }
}

/**
 * Stands in for passport: takes the user from the `x-user` header (JSON) and sets `request.user`,
 * as an earlier guard would after verifying a token.
 */
@Injectable()
export class FakePassportGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string>; user?: unknown }>();
    const header = req.headers['x-user'];
    if (header) req.user = JSON.parse(header);
    return true;
  }
}

export interface RevocationApp {
  app: INestApplication;
  http: () => ReturnType<typeof request>;
  issuer: TokenIssuer;
  revocation: RevocationService;
  close: () => Promise<void>;
}

/**
 * A real HTTP app (Express, or Fastify) with `CacheModule.forRoot(options)` and the guard as
 * `APP_GUARD`, serving `GET /me` (echoes `request.user`), `GET /open` (`@Public`) and `/public`.
 */
export async function revocationApp(
  options: CacheModuleOptions,
  { adapter = 'express', guards = [] }: { adapter?: 'express' | 'fastify'; guards?: Type[] } = {},
): Promise<RevocationApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [CacheModule.forRoot(options)],
    controllers: [ProbeController, PublicController],
    providers: [
      ...guards.map((useClass) => ({ provide: APP_GUARD, useClass })),
      { provide: APP_GUARD, useClass: JwtRevocationGuard },
    ],
  }).compile();
  let app: INestApplication;
  if (adapter === 'fastify') {
    const fastify = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger: false,
    });
    await fastify.init();
    await fastify.getHttpAdapter().getInstance().ready();
    app = fastify;
  } else {
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  }
  await waitForRedis(app);
  return {
    app,
    http: () => request(app.getHttpServer()),
    issuer: app.get(TokenIssuer),
    revocation: app.get(RevocationService),
    close: () => app.close(),
  };
}

/** base64url of the JSON of `value` (or of the string itself). */
export function segment(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString(
    'base64url',
  );
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Claims of a well-formed token, valid for a minute, with `overrides` applied. */
export function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = nowSeconds();
  return { sub: 'user-1', jti: randomUUID(), iat, exp: iat + 60, ...overrides };
}

/** A compact JWS signed by hand: any header, any payload, HS* over `secret` or RS* with `key`. */
export function craft(
  header: Record<string, unknown>,
  payload: unknown,
  signer: { hmac: string | Buffer; hash?: string } | { rsaPrivateKey: string; hash?: string },
): string {
  const input = `${segment(header)}.${segment(payload)}`;
  const hash = signer.hash ?? 'sha256';
  const signature =
    'hmac' in signer
      ? createHmac(hash, signer.hmac).update(input).digest('base64url')
      : createSign(`RSA-${hash.toUpperCase()}`)
          .update(input)
          .sign(signer.rsaPrivateKey, 'base64url');
  return `${input}.${signature}`;
}

/** Calls per command during `work`, without the `INFO` calls that measure them. */
export async function commandsDuring(
  server: { commandStats(): Promise<Record<string, number>> },
  work: () => Promise<unknown>,
): Promise<Record<string, number>> {
  const before = await server.commandStats();
  await work();
  const after = await server.commandStats();
  const delta: Record<string, number> = {};
  for (const [command, calls] of Object.entries(after)) {
    const diff = calls - (before[command] ?? 0);
    if (diff > 0 && command !== 'info') delta[command] = diff;
  }
  return delta;
}
