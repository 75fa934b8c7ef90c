import { waitForRedis } from '../../support/redis-ready';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { Server } from 'http';
import { AppModule } from '../../../apps/users/src/app.module';
import { setupApp } from '../../../apps/users/src/app.setup';
import { loadConfig, type AppConfig } from '../../../apps/users/src/config/app.config';
import { UsersRepository } from '../../../apps/users/src/users/users.repository';

/** A fixed secret, so tokens of one spec's apps (and processes) verify on each other. */
export const TEST_JWT_SECRET = 'test-secret-of-the-users-app-specs-0123456789';

/** An in-process users app, as `main.ts` builds it, served on an ephemeral port by supertest. */
export interface UsersApp {
  app: INestApplication;
  /** The HTTP server, for `request(server)`. */
  server: Server;
  config: AppConfig;
  repository: UsersRepository;
  close(): Promise<void>;
}

/**
 * Starts the app with `env` over the spec defaults (SQLite in memory, a fixed JWT secret). Logs
 * are off unless USERS_APP_LOGS is set.
 *
 * @example
 * const users = await startUsersApp({ REDIS_URL: redis.url, RATE_LIMIT: '10000/10s' });
 * afterAll(() => users.close());
 */
export async function startUsersApp(env: Record<string, string> = {}): Promise<UsersApp> {
  const config = loadConfig({ DATABASE_PATH: ':memory:', JWT_SECRET: TEST_JWT_SECRET, ...env });
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(config)],
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    bodyParser: false,
    logger: process.env.USERS_APP_LOGS ? undefined : false,
  });
  setupApp(app, config);
  await app.init();
  await waitForRedis(app);
  return {
    app,
    server: app.getHttpServer() as Server,
    config,
    repository: app.get(UsersRepository),
    close: () => app.close(),
  };
}

/** A user's sign-up body; the email is unique per call. */
export function newUser(name = 'Ada'): { name: string; email: string; password: string } {
  const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  return { name, email: `${name.toLowerCase()}.${id}@example.com`, password: 'correct horse' };
}
