import type { Cluster, Redis } from 'ioredis';
import { PassBatcher } from '../concurrency/pass-batcher';
import { escapeLoneSurrogate, hasLoneSurrogate } from '../keys/lone-surrogate';
import { LuaScript } from '../redis/lua-script';
import { callThrough, type RedisCircuit } from '../redis/redis-circuit';
import type { RedisLane } from '../redis/redis-connection';
import type { RevocationStore } from './revocation-store.interface';

/**
 * Raises a subject's cutoff (never lowers it) and keeps it at least ARGV[2] ms.
 * KEYS[1] = cutoff key; ARGV[1] = cutoff (epoch seconds), ARGV[2] = ms to keep it.
 */
export const REVOKE_SUBJECT = new LuaScript(`
local keep = tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]))
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', keep)
  return 1
end
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') end
if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end
return 1`);

/**
 * Revocations in Redis (standalone, Sentinel or Cluster). Key layout, built only here:
 *
 *     {<ns>:rv:<sub>}:all         the subject's cutoff: tokens with iat <= it are revoked
 *     {<ns>:rv:<sub>}:jti:<jti>   one revoked token
 *
 * Both keys of a subject share the hash tag, so one MGET reads them in one slot on a Cluster.
 * `sub` is escaped so that no `{`, `}` in it can end the tag early or make two subjects' keys
 * collide (see {@link escape}). The keys sit outside `<ns>:*` and `<ns>#*`, so clearing the cache
 * never un-revokes.
 * Lifetimes are relative (PX): they follow the app's clock, which is what `exp` is checked by.
 *
 * Checks made in one pass of the event loop (a burst of requests) share one MGET, up to 64 per
 * call; a lone request's check is sent at once (see {@link PassBatcher} for the first check of a
 * busy pass). On a Cluster only checks of one subject share a call.
 */
export class RedisRevocationStore implements RevocationStore {
  private readonly isCluster: boolean;
  private readonly checks: PassBatcher<PendingCheck>;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly namespace: string,
    /** Every call goes through it when given (the module passes its connection's circuit). */
    private readonly circuit?: RedisCircuit,
    /** Checks go through this connection when given, so that no held write delays them. */
    private readonly reads?: RedisLane,
  ) {
    this.isCluster = (client as Cluster).isCluster === true;
    this.checks = new PassBatcher((batch) => this.sendChecks(batch), MAX_CHECKS_PER_CALL);
  }

  async revokeToken(sub: string, jti: string, keepFor: number): Promise<void> {
    const key = this.tokenKey(sub, jti);
    await this.call(() => this.client.set(key, '1', 'PX', toPx(keepFor)));
  }

  async revokeSubject(sub: string, cutoff: number, keepFor: number): Promise<void> {
    const keys = [this.subjectKey(sub)];
    await this.call(() => REVOKE_SUBJECT.run(this.client, keys, [cutoff, toPx(keepFor)]));
  }

  isRevoked(sub: string, jti: string, iat: number): Promise<boolean> {
    const cutoffKey = this.subjectKey(sub);
    const tokenKey = this.tokenKey(sub, jti);
    return new Promise<boolean>((resolve, reject) => {
      const check: PendingCheck = { cutoffKey, tokenKey, iat, resolve, reject };
      // Both keys of a subject share its slot: on a Cluster, a batch holds one subject.
      this.checks.add(this.isCluster ? cutoffKey : '', check);
    });
  }

  /** Reads the two keys of every check of a batch in one MGET and settles each check. */
  private sendChecks(batch: PendingCheck[]): void {
    const keys: string[] = [];
    for (const check of batch) keys.push(check.cutoffKey, check.tokenKey);
    const reader = this.reads?.client ?? this.client;
    const circuit = this.reads?.circuit ?? this.circuit;
    callThrough(circuit, () => reader.mget(keys), { immediate: true }).then(
      (values) => {
        for (let i = 0; i < batch.length; i++) {
          const cutoff = values[2 * i];
          const token = values[2 * i + 1];
          // Written as !(iat > cutoff) so that a cutoff that is not a number revokes: fail safe.
          batch[i].resolve(token !== null || (cutoff !== null && !(batch[i].iat > Number(cutoff))));
        }
      },
      (error: unknown) => {
        for (const check of batch) check.reject(error);
      },
    );
  }

  /** The cutoff key of `sub`; exposed for tests and tooling. */
  subjectKey(sub: string): string {
    return `${this.tag(sub)}:all`;
  }

  /** The key of revoked token `jti` of `sub`; exposed for tests and tooling. */
  tokenKey(sub: string, jti: string): string {
    return `${this.tag(sub)}:jti:${escape(jti)}`;
  }

  private call<T>(command: () => Promise<T>): Promise<T> {
    return callThrough(this.circuit, command);
  }

  private tag(sub: string): string {
    return `{${this.namespace}:rv:${escape(sub)}}`;
  }
}

/** The most checks one MGET reads (two keys each). */
const MAX_CHECKS_PER_CALL = 64;

/** A check waiting for its batch to be read. */
interface PendingCheck {
  readonly cutoffKey: string;
  readonly tokenKey: string;
  readonly iat: number;
  resolve(revoked: boolean): void;
  reject(error: unknown): void;
}

/** `%`, `{`, `}` as `%XX`, and a lone surrogate as `%uD800` (see `lone-surrogate.ts`). */
function escape(part: string): string {
  return part.replace(/[%{}]|\p{Surrogate}/gu, (char) =>
    hasLoneSurrogate(char)
      ? escapeLoneSurrogate(char)
      : `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function toPx(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}
