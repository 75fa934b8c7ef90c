import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  startCluster,
  startRedis,
  startSentinel,
  waitUntil,
  type RedisCluster,
  type RedisSentinel,
  type RedisServer,
} from '../harness';
import { CACHE_REDIS_CONNECTION, CacheService, CacheStore, type RedisConnection } from '@app/cache';
import { HEALTH_TIMEOUT_MS, healthApp } from './health-app';

// Generous: this bounds a hang, it does not measure speed (the machine is shared and noisy).
const BOUND_MS = HEALTH_TIMEOUT_MS + 400;

async function timed(app: INestApplication, path: string) {
  const started = performance.now();
  const response = await request(app.getHttpServer()).get(path);
  return { response, ms: performance.now() - started };
}

const get = (app: INestApplication, path: string) => request(app.getHttpServer()).get(path);

/** Waits until the app's client has reconnected to a restarted server. */
const readyAgain = (app: INestApplication) =>
  waitUntil(async () => (await get(app, '/health/ready')).status === 200, {
    what: 'readiness to report up again',
    timeoutMs: 5000,
  });

describe('RedisHealthIndicator on a standalone Redis', () => {
  let server: RedisServer;
  let app: INestApplication;
  let paused = false;

  beforeAll(async () => {
    server = await startRedis({ args: ['--maxmemory', '64mb'] });
    // A command timeout above the health timeout, so the indicator's own timer is what fires.
    app = await healthApp({ url: server.url, commandTimeout: '2s', connectTimeout: '300ms' });
  });

  afterEach(async () => {
    if (paused) await server.resume();
    paused = false;
    if (!server.running) {
      await server.restart();
      await readyAgain(app);
    }
  });

  afterAll(async () => {
    await app.close();
    await server.stop();
  });

  it('reports up with latency, mode, role, version and memory', async () => {
    const response = await get(app, '/health/ready').expect(200);
    expect(response.body.status).toBe('ok');
    expect(response.body.info.redis).toEqual({
      status: 'up',
      mode: 'standalone',
      latencyMs: expect.any(Number),
      role: 'master',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      memory: { usedBytes: expect.any(Number), maxBytes: 64 * 1024 * 1024 },
    });
    expect(response.body.info.redis.memory.usedBytes).toBeGreaterThan(0);
  });

  it('reports down while Redis answers as a replica (every write would fail READONLY), up once it is a master again', async () => {
    const primary = await startRedis();
    try {
      await server.cli('REPLICAOF', '127.0.0.1', String(primary.port));
      const response = await get(app, '/health/ready').expect(503);
      expect(response.body.error.redis).toEqual(
        expect.objectContaining({
          status: 'down',
          mode: 'standalone',
          role: 'replica',
          reason: expect.stringContaining('READONLY'),
        }),
      );
    } finally {
      await server.cli('REPLICAOF', 'NO', 'ONE');
      await primary.stop();
    }
    await get(app, '/health/ready').expect(200);
  });

  it('reports down with a 503 at once when Redis is stopped', async () => {
    await server.stop();
    const { response, ms } = await timed(app, '/health/ready');
    expect(response.status).toBe(503);
    expect(response.body.error.redis).toEqual({
      status: 'down',
      mode: 'standalone',
      reason: expect.stringMatching(/not connected|could not run/),
    });
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it("reports down at once when the module's own calls found Redis silent", async () => {
    const { circuit, client: reader } = app.get<RedisConnection>(CACHE_REDIS_CONNECTION).reads;
    // Reads skip Redis for a second after a write outage (the previous spec stopped the server),
    // and the read connection reconnects on its own backoff, after the one readiness uses: wait
    // for both, or the read below would never ask the paused server.
    const store = app.get<CacheStore>(CacheStore);
    await waitUntil(async () => store.readable !== false && reader.status === 'ready', {
      what: 'cache reads to reach Redis again',
      timeoutMs: 5000,
    });
    await server.pause();
    paused = true;
    // A cache read gives up after commandTimeout (2 s here) and opens the circuit.
    await app.get(CacheService).get('anything');
    expect(circuit.isOpen).toBe(true);
    const { response, ms } = await timed(app, '/health/ready');
    expect(response.status).toBe(503);
    expect(response.body.error.redis).toEqual({
      status: 'down',
      mode: 'standalone',
      reason: 'Redis stopped answering the cache calls',
    });
    expect(ms).toBeLessThan(HEALTH_TIMEOUT_MS); // no probe was waited for
    await server.resume();
    paused = false;
    await waitUntil(async () => !circuit.isOpen, { what: 'the circuit to close', timeoutMs: 5000 });
  });

  it('reports down within the timeout when Redis is frozen, and up after it resumes', async () => {
    await server.pause();
    paused = true;
    const { response, ms } = await timed(app, '/health/ready');
    expect(response.status).toBe(503);
    expect(response.body.error.redis).toEqual({
      status: 'down',
      mode: 'standalone',
      reason: `Redis did not answer within ${HEALTH_TIMEOUT_MS} ms`,
    });
    expect(ms).toBeGreaterThanOrEqual(HEALTH_TIMEOUT_MS - 5);
    expect(ms).toBeLessThan(BOUND_MS);

    await server.resume();
    paused = false;
    await get(app, '/health/ready').expect(200);
  });

  it('answers liveness without touching Redis, even while it is frozen', async () => {
    await server.resetStats();
    await server.pause();
    paused = true;
    const { response, ms } = await timed(app, '/health/live');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
    expect(ms).toBeLessThan(BOUND_MS);

    await server.resume();
    paused = false;
    expect((await server.commandStats()).ping).toBeUndefined();
  });

  it('stays up but says degraded when the check is optional and Redis is stopped', async () => {
    await server.stop();
    const response = await get(app, '/health/optional').expect(200);
    expect(response.body.status).toBe('ok');
    expect(response.body.info.redis).toEqual({
      status: 'up',
      mode: 'standalone',
      degraded: true,
      reason: expect.any(String),
    });
  });
});

describe('RedisHealthIndicator without Redis', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await healthApp();
  });

  afterAll(() => app.close());

  it('reports up in memory mode', async () => {
    const response = await get(app, '/health/ready').expect(200);
    expect(response.body.info.redis).toEqual({ status: 'up', mode: 'memory' });
  });
});

describe('RedisHealthIndicator on a password-protected Redis', () => {
  const password = 'h3alth-S3cret-pw';
  let server: RedisServer;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    server = await startRedis({ password });
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await server.stop();
  });

  function expectNoSecret(body: unknown, ...secrets: string[]): void {
    const text = JSON.stringify(body);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/redis:\/\//);
  }

  it('never puts a wrong password or the URL in the report', async () => {
    const wrong = 'wr0ng-health-pw';
    const url = `redis://:${wrong}@${server.host}:${server.port}`;
    const app = await healthApp({ url, connectTimeout: '300ms' });
    apps.push(app);
    const response = await get(app, '/health/ready').expect(503);
    expect(response.body.error.redis.status).toBe('down');
    expectNoSecret(response.body, wrong, url, String(server.port));
  });

  it('never puts the password or the URL in the report, up or down', async () => {
    const app = await healthApp({ url: server.url, connectTimeout: '300ms' });
    apps.push(app);
    const up = await get(app, '/health/ready').expect(200);
    expectNoSecret(up.body, password, server.url);

    await server.stop();
    const down = await get(app, '/health/ready').expect(503);
    expectNoSecret(down.body, password, server.url, String(server.port));
  });
});

describe('RedisHealthIndicator on a Redis Cluster', () => {
  let cluster: RedisCluster;
  let app: INestApplication;

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3 });
    app = await healthApp({ cluster: { nodes: cluster.startupNodes } });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
  });

  it('reports up with cluster_state ok and every master answering', async () => {
    const response = await get(app, '/health/ready').expect(200);
    expect(response.body.info.redis).toEqual({
      status: 'up',
      mode: 'cluster',
      latencyMs: expect.any(Number),
      role: 'master',
      version: expect.any(String),
      memory: { usedBytes: expect.any(Number), maxBytes: 0 },
      cluster: { state: 'ok', mastersAnswered: 3, mastersExpected: 3 },
    });
  });

  it('reports down within the timeout when one master is frozen, naming how many answered', async () => {
    const [frozen] = cluster.masters;
    await frozen.pause();
    try {
      const { response, ms } = await timed(app, '/health/ready');
      expect(response.status).toBe(503);
      expect(response.body.error.redis).toMatchObject({
        status: 'down',
        mode: 'cluster',
        cluster: { mastersAnswered: 2, mastersExpected: 3 },
        reason: expect.stringContaining('2 of 3 masters answered'),
      });
      expect(ms).toBeLessThan(BOUND_MS);
    } finally {
      await frozen.resume();
    }
    await readyAgain(app);
  });

  it('reports down once cluster_state turns fail after a master without replicas stops', async () => {
    await cluster.killMaster(0);
    let body: { error?: { redis?: { cluster?: { state?: string } } } } = {};
    await waitUntil(
      async () => {
        const response = await get(app, '/health/ready');
        body = response.body;
        return response.status === 503 && body.error?.redis?.cluster?.state === 'fail';
      },
      { what: 'readiness to report cluster_state fail', timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(body.error?.redis).toMatchObject({
      status: 'down',
      mode: 'cluster',
      reason: expect.stringContaining('cluster_state is fail'),
    });
  });
});

describe('RedisHealthIndicator through Sentinel', () => {
  let sentinel: RedisSentinel;
  let app: INestApplication;

  beforeAll(async () => {
    sentinel = await startSentinel();
    app = await healthApp({ sentinels: sentinel.sentinels, name: sentinel.name });
  });

  afterAll(async () => {
    await app?.close();
    await sentinel?.stop();
  });

  it('reports up in sentinel mode, connected to the master', async () => {
    const response = await get(app, '/health/ready').expect(200);
    expect(response.body.info.redis).toMatchObject({
      status: 'up',
      mode: 'sentinel',
      role: 'master',
      latencyMs: expect.any(Number),
    });
  });
});
