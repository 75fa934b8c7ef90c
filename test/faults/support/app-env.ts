import * as path from 'node:path';

/** Shared by every instance of a run, so a token issued by one verifies on the other. */
export const JWT_SECRET = 'fault-suite-jwt-secret-0123456789-abcdefghijklmnopqrstuv';

/**
 * The app's Redis command timeout. `apps/users/src/app.module.ts` sets no `redis.commandTimeout`,
 * so the library default applies (`DEFAULT_COMMAND_TIMEOUT_MS` in `libs/cache/src/cache.constants.ts`).
 */
export const COMMAND_TIMEOUT_MS = 250;

/** The key prefix the app's cache uses (`CACHE_NAMESPACE` in `apps/users/src/app.module.ts`). */
export const NAMESPACE = 'users-app';

/**
 * Environment of an app instance under load. The load comes from one client IP (127.0.0.1), so
 * the per-IP limits are raised far above 200 req/s; F6 runs its own pair with the login limit at
 * its default.
 */
export function loadEnv(dir: string, redis: Record<string, string>): Record<string, string> {
  return {
    DATABASE_PATH: path.join(dir, 'users.db'),
    JWT_SECRET,
    RATE_LIMIT: '1000000/10s',
    LOGIN_RATE_LIMIT: '100000/1m',
    ...redis,
  };
}
