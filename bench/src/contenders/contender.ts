import type { Loader } from '../fixtures';
import type { RedisClientKind } from '../infra/round-trips';

/** One cache under test, built for one run, reading users through itself. */
export interface Contender {
  /** Reads user `id`; on a miss it loads it with the contender's loader and stores it. */
  read(id: string): Promise<unknown> | unknown;
  close(): Promise<void>;
}

export interface ContenderContext {
  redisUrl: string;
  loader: Loader;
  /** A prefix of its own, so no two contenders ever share an entry. */
  namespace: string;
}

export interface ContenderSpec {
  /** Stable id, used on the command line of child processes. */
  id: string;
  label: string;
  /** Where a hit is served from. */
  tier: 'redis' | 'memory';
  /** Whether other processes see its entries (Redis), which a cross-process stampede needs. */
  shared: boolean;
  /** A yardstick (raw client, Map), not a cache library. */
  reference?: boolean;
  /** The Redis client it uses, for counting its round trips. */
  client: RedisClientKind;
  create(context: ContenderContext): Promise<Contender>;
}

/** `host` and `port` of a `redis://host:port` URL. */
export function redisAddress(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}
