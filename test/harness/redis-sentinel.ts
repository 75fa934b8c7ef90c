import * as fs from 'fs';
import * as path from 'path';
import { freePorts } from './free-port';
import { makeTempDir } from './process-registry';
import { parseInfo } from './redis-cli';
import type { RedisAddress } from './redis-cluster';
import { RedisServer, startRedis } from './redis-server';
import { waitUntil } from './wait';

export interface StartSentinelOptions {
  /** The monitored master's name; default `'mymaster'`. */
  name?: string;
  /** Sentinel count; default 3. The quorum is 2 (1 with a single sentinel). */
  sentinels?: number;
}

const READY_TIMEOUT_MS = 10000;

function sentinelConfig(name: string, master: RedisServer, quorum: number): string {
  return [
    'sentinel resolve-hostnames no',
    `sentinel monitor ${name} ${master.host} ${master.port} ${quorum}`,
    // Low timeouts make failure detection and failover specs take a couple of seconds.
    `sentinel down-after-milliseconds ${name} 1000`,
    `sentinel failover-timeout ${name} 5000`,
    '',
  ].join('\n');
}

/** Turns redis-cli's flat `key\nvalue\n...` rendering of a map reply into a record. */
function pairs(reply: string): Record<string, string> {
  const lines = reply.split('\n');
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) record[lines[i]] = lines[i + 1];
  return record;
}

async function startSentinelServer(config: string, port: number): Promise<RedisServer> {
  // Sentinel rewrites its config file, so each one gets its own writable copy.
  const dir = makeTempDir('redis-sentinel');
  const configFile = path.join(dir, 'sentinel.conf');
  fs.writeFileSync(configFile, config);
  return startRedis({ port, dir, configFile, sentinel: true });
}

/**
 * A master, one replica and the sentinels watching them, all harness servers.
 *
 * @example
 * const set = await startSentinel();
 * afterAll(() => set.stop());
 * const client = new Redis({ sentinels: set.sentinels, name: set.name });
 */
export class RedisSentinel {
  private constructor(
    readonly name: string,
    /** The master as started; after a failover it may be a replica (see `masterAddress()`). */
    readonly master: RedisServer,
    readonly replica: RedisServer,
    readonly sentinelServers: RedisServer[],
  ) {}

  /** Starts the set; prefer `startSentinel()`. */
  static async start(options: StartSentinelOptions = {}): Promise<RedisSentinel> {
    const name = options.name ?? 'mymaster';
    const count = options.sentinels ?? 3;
    const servers: RedisServer[] = [];
    try {
      const master = await startRedis();
      servers.push(master);
      const replica = await startRedis({ args: ['--replicaof', master.host, String(master.port)] });
      servers.push(replica);
      const config = sentinelConfig(name, master, Math.min(2, count));
      const ports = await freePorts(count);
      const started = await Promise.allSettled(ports.map((p) => startSentinelServer(config, p)));
      const sentinels = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      servers.push(...sentinels);
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      const set = new RedisSentinel(name, master, replica, sentinels);
      await set.waitReady();
      return set;
    } catch (error) {
      await Promise.all(servers.map((s) => s.stop()));
      throw error;
    }
  }

  /** Sentinel addresses, as ioredis `{ sentinels, name }` takes them. */
  get sentinels(): RedisAddress[] {
    return this.sentinelServers.map((s) => ({ host: s.host, port: s.port }));
  }

  /** The master's address according to the first running sentinel. */
  async masterAddress(): Promise<RedisAddress> {
    const sentinel = this.sentinelServers.find((s) => s.running);
    if (!sentinel) throw new Error('No sentinel is running');
    const [host, port] = (await sentinel.cli('SENTINEL', 'get-master-addr-by-name', this.name))
      .split('\n')
      .map((line) => line.trim());
    return { host, port: Number(port) };
  }

  /**
   * Waits until every sentinel has found the replica and the other sentinels (they announce
   * themselves every 2 s), which a failover needs. Call it before killing the master.
   */
  async waitForDiscovery(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const others = this.sentinelServers.length - 1;
    const discovered = async (sentinel: RedisServer) => {
      const state = pairs(await sentinel.cli('SENTINEL', 'master', this.name));
      return Number(state['num-slaves']) >= 1 && Number(state['num-other-sentinels']) === others;
    };
    await waitUntil(
      async () => (await Promise.all(this.sentinelServers.map(discovered))).every(Boolean),
      { what: `sentinels of ${this.name} to find the replica and each other`, timeoutMs },
    );
  }

  /** Stops the sentinels, then the data servers, so no failover starts while stopping. */
  async stop(): Promise<void> {
    await Promise.all(this.sentinelServers.map((s) => s.stop()));
    await Promise.all([this.master.stop(), this.replica.stop()]);
  }

  private async waitReady(): Promise<void> {
    const knowsMaster = async (sentinel: RedisServer) => {
      const reply = await sentinel.cli('SENTINEL', 'get-master-addr-by-name', this.name);
      return reply.split('\n')[1]?.trim() === String(this.master.port);
    };
    const linked = async () =>
      parseInfo(await this.replica.cli('INFO', 'replication')).master_link_status === 'up';
    await waitUntil(
      async () =>
        (await linked()) &&
        (await Promise.all(this.sentinelServers.map(knowsMaster))).every(Boolean),
      {
        what: `sentinels to know master ${this.name} and the replica link to be up`,
        timeoutMs: READY_TIMEOUT_MS,
      },
    );
  }
}

/**
 * Starts a master, a replica (`--replicaof`) and `sentinels` sentinels monitoring it as `name`,
 * with a 1 s down-after and 5 s failover timeout, and resolves once every sentinel answers
 * `SENTINEL get-master-addr-by-name` and the replica's link is up (about 0.2 s). Failover specs
 * should then also `await set.waitForDiscovery()` (about 2 s more).
 */
export function startSentinel(options: StartSentinelOptions = {}): Promise<RedisSentinel> {
  return RedisSentinel.start(options);
}
