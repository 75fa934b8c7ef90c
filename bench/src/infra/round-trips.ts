import { Redis } from 'ioredis';

// INFO commandstats also counts the commands a Lua script runs, so it cannot tell one EVALSHA
// round trip from several plain ones. Every ioredis command goes through sendCommand: counting
// there gives the commands clients really sent (the cost, a counter increment, is the same for
// every ioredis-based contender).
let sent = 0;
let installed = false;

/** Starts counting the commands every ioredis client of this process sends. */
export function countIoredisCommands(): void {
  if (installed) return;
  installed = true;
  const prototype = Redis.prototype as unknown as { sendCommand: (...args: unknown[]) => unknown };
  const original = prototype.sendCommand;
  prototype.sendCommand = function sendCommand(this: unknown, ...args: unknown[]): unknown {
    sent++;
    return original.apply(this, args);
  };
}

/** Commands sent by ioredis clients of this process so far. */
export function ioredisCommandsSent(): number {
  return sent;
}

/** Which Redis client a contender or app talks through. */
export type RedisClientKind = 'ioredis' | 'node-redis' | 'none';

/**
 * Round trips: ioredis commands as counted when sent; node-redis ones from commandstats (the
 * node-redis users here, @keyv/redis, send no scripts, so every command counted is one it sent).
 */
export function roundTrips(
  client: RedisClientKind,
  ioredisSent: number,
  commands: Record<string, number>,
): number {
  if (client === 'ioredis') return ioredisSent;
  if (client === 'node-redis') return Object.values(commands).reduce((a, b) => a + b, 0);
  return 0;
}
