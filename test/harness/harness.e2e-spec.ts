import { Cluster, Redis, RedisOptions } from 'ioredis';
import {
  RedisCluster,
  RedisSentinel,
  RedisServer,
  startCluster,
  startRedis,
  startSentinel,
} from './index';

/** A client that fails at once instead of retrying, so a dead server shows up as an error. */
function oneShotClient(port: number, extra: RedisOptions = {}): Redis {
  return new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    ...extra,
  });
}

describe('startRedis', () => {
  let redis: RedisServer;
  let client: Redis;

  beforeAll(async () => {
    redis = await startRedis();
    client = oneShotClient(redis.port, { commandTimeout: 200 });
    await client.connect();
  });

  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });

  it('answers PING on its own loopback port', async () => {
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(redis.port).not.toBe(6379);
    expect(await redis.cli('PING')).toBe('PONG');
    expect(await client.ping()).toBe('PONG');
  });

  it('counts GET calls in commandStats', async () => {
    await redis.resetStats();
    await client.get('harness:missing');
    await client.get('harness:missing');
    await client.set('harness:key', '1');
    await client.del('harness:key');
    expect(await redis.commandStats()).toMatchObject({ get: 2, set: 1, del: 1 });
  });

  it('rejects redis-cli error replies', async () => {
    await expect(redis.cli('NOSUCHCOMMAND')).rejects.toThrow(/unknown command/);
  });

  it('times a PING out while paused and answers it after resume', async () => {
    await redis.pause();
    try {
      await expect(client.ping()).rejects.toThrow(/timed out/i);
    } finally {
      await redis.resume();
    }
    expect(await client.ping()).toBe('PONG');
  });

  it('holds commands during clientPause', async () => {
    const slow = oneShotClient(redis.port);
    await slow.connect();
    try {
      await redis.clientPause(300, 'ALL');
      const started = Date.now();
      expect(await slow.ping()).toBe('PONG');
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    } finally {
      slow.disconnect();
    }
  });

  it('refuses connections once stopped and answers on the same port after restart', async () => {
    const { port, pid } = redis;
    await redis.stop();
    await redis.stop(); // idempotent
    expect(redis.running).toBe(false);
    const probe = oneShotClient(port);
    await expect(probe.connect()).rejects.toThrow(/ECONNREFUSED|Connection is closed/);
    probe.disconnect();

    await redis.restart();
    expect(redis.port).toBe(port);
    expect(redis.pid).not.toBe(pid);
    expect(await redis.cli('PING')).toBe('PONG');
  });

  it('authenticates when started with a password', async () => {
    const secured = await startRedis({ password: 's3cret' });
    try {
      expect(secured.url).toBe(`redis://:s3cret@127.0.0.1:${secured.port}`);
      expect(await secured.cli('PING')).toBe('PONG');
      const anonymous = oneShotClient(secured.port);
      await expect(anonymous.ping()).rejects.toThrow(/NOAUTH|Stream isn't writeable/);
      anonymous.disconnect();
    } finally {
      await secured.stop();
    }
  });
});

describe('startCluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;

  beforeAll(async () => {
    // One replica per master costs about 0.4 s more than none, and proves replicas link up.
    cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
    client = new Cluster(cluster.startupNodes);
  });

  afterAll(async () => {
    client.disconnect();
    await cluster.stop();
  });

  it('reaches cluster_state:ok on every node', async () => {
    expect(cluster.nodes).toHaveLength(6);
    for (const node of cluster.nodes) {
      expect(await node.cli('CLUSTER', 'INFO')).toContain('cluster_state:ok');
    }
  });

  it('links one replica to each master', async () => {
    expect(cluster.masters).toHaveLength(3);
    expect(cluster.replicas).toHaveLength(3);
    for (const replica of cluster.replicas) {
      expect(await replica.currentRole()).toBe('slave');
      expect(await replica.cli('INFO', 'replication')).toContain('master_link_status:up');
    }
  });

  it('reads back keys set through an ioredis Cluster client', async () => {
    const keys = ['alpha', 'beta', 'gamma', 'delta', '{user:1}:profile'];
    for (const key of keys) await client.set(key, `value-of-${key}`);
    for (const key of keys) expect(await client.get(key)).toBe(`value-of-${key}`);
    await Promise.all(keys.map((key) => client.del(key)));
  });
});

describe('startSentinel', () => {
  let sentinel: RedisSentinel;

  beforeAll(async () => {
    sentinel = await startSentinel({ sentinels: 3 });
  });

  afterAll(() => sentinel.stop());

  it('answers get-master-addr-by-name with the master port on every sentinel', async () => {
    for (const server of sentinel.sentinelServers) {
      const reply = await server.cli('SENTINEL', 'get-master-addr-by-name', sentinel.name);
      expect(reply.split('\n')).toEqual(['127.0.0.1', String(sentinel.master.port)]);
    }
    expect(await sentinel.replica.currentRole()).toBe('slave');
  });

  it('serves SET and GET to an ioredis client that finds the master through sentinels', async () => {
    const client = new Redis({ sentinels: sentinel.sentinels, name: sentinel.name });
    try {
      await client.set('harness:sentinel', 'ok');
      expect(await client.get('harness:sentinel')).toBe('ok');
    } finally {
      client.disconnect();
    }
  });
});
