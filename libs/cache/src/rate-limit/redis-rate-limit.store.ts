import type { Cluster, Redis } from 'ioredis';
import { CacheStoreError } from '../errors';
import { PassBatcher } from '../concurrency/pass-batcher';
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
 * The most hits one script call decides (a batch holds Redis for roughly 10-20 µs per hit). Fewer
 * per call cost Redis more: the script reads a tracker's counters once per call (README, "Fewer
 * under load", for the measurement with 8).
 */
const MAX_HITS_PER_CALL = 64;

/** A hit waiting for its batch to be sent. */
interface PendingHit {
  readonly keys: string[];
  readonly spec: string;
  readonly rules: readonly ResolvedRateLimitRule[];
  resolve(decision: RateLimitDecision): void;
  reject(error: unknown): void;
}

/**
 * Rate limits on Redis (standalone, Sentinel or Cluster): one EVALSHA per request whatever its
 * number of limits, and fewer under load: the hits made in one pass through the event loop (a burst
 * of requests read together) share one call, up to 64 per call. A lone request's hit is sent at
 * once; after a pass of several hits, the next pass's first hit waits for the rest of its pass
 * (see {@link PassBatcher}). On a Cluster only hits of the same tracker share a call (their keys
 * share a slot). Every hit of a batch is decided as if it had been sent alone.
 *
 * Keys (built only here) are `{ns:rl:<tracker>}:<name>:<l|f>:<limit>:<window>` (`l`: the
 * sliding-window log, a list; `f`: the fixed-window counter, a hash) and, for a limit with
 * `blockFor`, the same plus `:block`, so every key of one tracker hashes to
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
  private readonly circuit: RedisCircuit | undefined;
  private readonly isCluster: boolean;
  private readonly batcher: PassBatcher<PendingHit>;

  constructor(
    private readonly client: Redis | Cluster,
    options: RedisRateLimitStoreOptions,
  ) {
    this.prefix = `{${options.namespace}:rl:`;
    this.circuit = options.circuit;
    this.isCluster = (client as Cluster).isCluster === true;
    this.batcher = new PassBatcher((batch) => this.send(batch), MAX_HITS_PER_CALL);
  }

  hit(
    tracker: string,
    rules: readonly ResolvedRateLimitRule[],
    algorithm: RateLimitAlgorithm,
  ): Promise<RateLimitDecision> {
    if (this.client.status !== 'ready') return Promise.reject(this.notReady());
    const base = `${this.prefix}${tracker}}:`;
    const kind = algorithm === 'sliding-window' ? 'l' : 'f';
    const keys: string[] = [];
    let spec: string = algorithm;
    for (const rule of rules) {
      const counter = `${base}${rule.name}:${kind}:${rule.limit}:${rule.window}`;
      keys.push(counter);
      if (rule.blockFor > 0) keys.push(`${counter}:block`);
      spec += ` ${rule.limit} ${rule.window} ${rule.blockFor}`;
    }
    return new Promise<RateLimitDecision>((resolve, reject) => {
      const pending: PendingHit = { keys, spec, rules, resolve, reject };
      this.batcher.add(this.isCluster ? tracker : '', pending);
    });
  }

  /** Sends one batch of hits in one script call and settles each hit with its own part. */
  private send(batch: PendingHit[]): void {
    // The client may have lost its connection since the hits were made: never queue them.
    if (this.client.status !== 'ready') {
      const error = this.notReady();
      for (const hit of batch) hit.reject(error);
      return;
    }
    const keys = batch.length === 1 ? batch[0].keys : batch.flatMap((hit) => hit.keys);
    const args = batch.map((hit) => hit.spec);
    callThrough(this.circuit, () => HIT_LIMITS.run(this.client, keys, args), {
      immediate: true,
    }).then(
      (reply) => settleAll(batch, reply),
      (error: unknown) => {
        for (const hit of batch) hit.reject(error);
      },
    );
  }

  private notReady(): CacheStoreError {
    return new CacheStoreError(`Redis is not ready (status '${this.client.status}')`);
  }
}

/**
 * Settles each hit of a batch with its part of the script's flat reply: its decision (2 + 2 numbers
 * per limit), or the error Redis raised for it alone (one string).
 */
function settleAll(batch: readonly PendingHit[], reply: unknown): void {
  const parts = Array.isArray(reply) ? (reply as unknown[]) : [];
  let at = 0;
  for (let h = 0; h < batch.length; h++) {
    const hit = batch[h];
    const first: unknown = parts[at];
    if (typeof first === 'string') {
      hit.reject(new CacheStoreError(`Redis refused the rate-limit hit: ${first}`));
      at += 1;
      continue;
    }
    const rules = hit.rules;
    const end = at + 2 + 2 * rules.length;
    if (end > parts.length || typeof first !== 'number') {
      const error = new CacheStoreError('Unexpected reply from the rate-limit script');
      for (let rest = h; rest < batch.length; rest++) batch[rest].reject(error);
      return;
    }
    const numbers = parts.slice(at, end).map(Number);
    at = end;
    hit.resolve({
      allowed: numbers[0] === 1,
      retryAfterMs: numbers[1],
      limits: rules.map((rule, i) => ({
        rule,
        remaining: numbers[2 + 2 * i],
        resetMs: numbers[3 + 2 * i],
      })),
    });
  }
}
