import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { CacheStoreError } from '../errors';
import { callThrough, type RedisCircuit } from '../redis/redis-circuit';
import type { ResolvedRateLimitRule } from './rate-limit.options';
import { HIT_LIMITS } from './rate-limit.scripts';
import type {
  RateLimitAlgorithm,
  RateLimitDecision,
  RateLimitStore,
} from './rate-limit-store.interface';

export interface RedisRateLimitStoreOptions {
  /** The module namespace; every key starts with `{namespace:rl:`. */
  namespace: string;
  /** Every call goes through it when given (the module passes its connection's circuit). */
  circuit?: RedisCircuit;
}

/**
 * Rate limits on Redis (standalone, Sentinel or Cluster): one EVALSHA per request whatever its
 * number of limits. Keys (built only here) are `{ns:rl:<tracker>}:<name>:<s|f>:<limit>:<window>`
 * and, for a limit with `blockFor`, the same plus `:block`, so every key of one tracker hashes to
 * one Cluster slot. A limit's counter is identified by its name, limit, window and algorithm:
 * routes declaring the same limit share its budget, and two different limits never trim or misread
 * each other's counter. Names hold no `}` or `:`, so the last `}` always ends the tracker: no
 * tracker can reach another's keys, and all keys of one tracker share a slot (`RateLimitGuard` also
 * percent-encodes its trackers).
 *
 * It never waits for a connection: a client that is not ready fails at once (and a client whose
 * offline queue would hold the hit for later cannot replay it after reconnecting).
 *
 * @example
 * const store = new RedisRateLimitStore(new Redis(url), { namespace: 'api' });
 * const { allowed } = await store.hit('ip:203.0.113.7', limits, 'sliding-window');
 */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly prefix: string;
  // Members of the sliding-window log must be unique across processes and calls.
  private readonly instance = randomBytes(9).toString('base64url');
  private sequence = 0;
  private readonly circuit: RedisCircuit | undefined;

  constructor(
    private readonly client: Redis | Cluster,
    options: RedisRateLimitStoreOptions,
  ) {
    this.prefix = `{${options.namespace}:rl:`;
    this.circuit = options.circuit;
  }

  async hit(
    tracker: string,
    rules: readonly ResolvedRateLimitRule[],
    algorithm: RateLimitAlgorithm,
  ): Promise<RateLimitDecision> {
    if (this.client.status !== 'ready') {
      throw new CacheStoreError(`Redis is not ready (status '${this.client.status}')`);
    }
    const base = `${this.prefix}${tracker}}:`;
    const kind = algorithm === 'sliding-window' ? 's' : 'f';
    const keys: string[] = [];
    let spec: string = algorithm;
    for (const rule of rules) {
      const counter = `${base}${rule.name}:${kind}:${rule.limit}:${rule.window}`;
      keys.push(counter);
      if (rule.blockFor > 0) keys.push(`${counter}:block`);
      spec += ` ${rule.limit} ${rule.window} ${rule.blockFor}`;
    }
    const member = `${this.instance}.${this.sequence++}`;
    const reply = await callThrough(this.circuit, () =>
      HIT_LIMITS.run(this.client, keys, [member, spec]),
    );
    return parseReply(reply, rules);
  }
}

function parseReply(reply: unknown, rules: readonly ResolvedRateLimitRule[]): RateLimitDecision {
  if (!Array.isArray(reply) || reply.length !== 2 + 2 * rules.length) {
    throw new CacheStoreError('Unexpected reply from the rate-limit script');
  }
  const numbers = reply.map(Number);
  return {
    allowed: numbers[0] === 1,
    retryAfterMs: numbers[1],
    limits: rules.map((rule, i) => ({
      rule,
      remaining: numbers[2 + 2 * i],
      resetMs: numbers[3 + 2 * i],
    })),
  };
}
