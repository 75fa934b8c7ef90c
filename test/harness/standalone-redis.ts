import { randomUUID } from 'crypto';
import { runRedisCli } from './redis-cli';
import { parseCommandStats, RedisServer, startRedis } from './redis-server';

/**
 * "A Redis" for specs that only need one to talk to: a fresh harness server, or the shared
 * server named by `REDIS_URL`. Only a harness server can be stopped, paused or restarted.
 *
 * A spec using REDIS_URL shares the server with other specs and maybe other runs: it must only
 * touch keys under its own `namespace`, delete them afterwards, and never FLUSHDB/FLUSHALL.
 */
export interface StandaloneRedis {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** True when this is the REDIS_URL server, which the spec does not own. */
  readonly external: boolean;
  /** A unique key prefix (`'test:<uuid>:'`) under which this spec's keys must stay. */
  readonly namespace: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  cli(...args: string[]): Promise<string>;
  commandStats(): Promise<Record<string, number>>;
  resetStats(): Promise<void>;
  /** Call in afterAll: stops a harness server, leaves a REDIS_URL server alone. */
  release(): Promise<void>;
}

const newNamespace = () => `test:${randomUUID()}:`;

function fromServer(server: RedisServer): StandaloneRedis {
  return {
    host: server.host,
    port: server.port,
    url: server.url,
    external: false,
    namespace: newNamespace(),
    stop: () => server.stop(),
    restart: () => server.restart(),
    pause: () => server.pause(),
    resume: () => server.resume(),
    cli: (...args) => server.cli(...args),
    commandStats: () => server.commandStats(),
    resetStats: () => server.resetStats(),
    release: () => server.stop(),
  };
}

function fromUrl(url: string): StandaloneRedis {
  const parsed = new URL(url);
  const unavailable = (what: string) => () =>
    Promise.reject(
      new Error(`${what}() is not available with REDIS_URL: use startRedis() for fault specs`),
    );
  // Not `redis-cli -u`: it sends an empty username as one, and `redis://:pw@host` then fails.
  const db = parsed.pathname.slice(1);
  const connection = [
    ...['-h', parsed.hostname, '-p', parsed.port || '6379'],
    ...(db ? ['-n', db] : []),
    ...(parsed.username ? ['--user', decodeURIComponent(parsed.username)] : []),
    ...(parsed.protocol === 'rediss:' ? ['--tls'] : []),
  ];
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  const cli = (...args: string[]) => runRedisCli({ connection, password }, args);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    url,
    external: true,
    namespace: newNamespace(),
    stop: unavailable('stop'),
    restart: unavailable('restart'),
    pause: unavailable('pause'),
    resume: unavailable('resume'),
    cli,
    commandStats: async () => parseCommandStats(await cli('INFO', 'commandstats')),
    // Resetting would wipe the stats of everyone else using the shared server.
    resetStats: unavailable('resetStats'),
    release: async () => {},
  };
}

/**
 * A fresh harness server, or the REDIS_URL server when that variable is set.
 *
 * @example
 * const redis = await standaloneRedis();
 * afterAll(() => redis.release());
 * const client = new Redis(redis.url, { keyPrefix: redis.namespace });
 */
export async function standaloneRedis(): Promise<StandaloneRedis> {
  const url = process.env.REDIS_URL;
  return url ? fromUrl(url) : fromServer(await startRedis());
}
