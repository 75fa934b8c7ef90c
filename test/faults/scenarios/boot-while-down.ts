import * as fs from 'node:fs';
import * as path from 'node:path';
import { READ_TRUST_DELAY_MS } from '@app/cache/stores/redis.store';
import { startRedis, type RedisServer } from '../../harness';
import { makeTempDir } from '../../harness/process-registry';
import { spawnPair, type AppInstance } from '../support/app-instance';
import { JWT_SECRET, NAMESPACE } from '../support/app-env';
import { now, sleep } from '../support/clock';
import type { HttpResult } from '../support/http-client';
import { quoteLines } from '../support/log-lines';
import { readCacheCounters } from '../support/probes';
import { check, type FigureCheck, type ScenarioReport } from '../support/report';
import { formatCounts, latencyOf, ms, non2xxByStatus } from '../support/stats';
import { UsersFixture } from '../support/users-fixture';

/** Two instances that booted while their Redis was down, now on it; F6 and F7 run on them. */
export interface BootedPair {
  redis: RedisServer;
  apps: [AppInstance, AppInstance];
  fixture: UsersFixture;
  stop(): Promise<void>;
}

/** F5 bounds. */
const BOOT_BOUND_MS = 5000;
/**
 * "Picks Redis up when it comes": F2's bound for a first success, plus the second in which an
 * instance whose connection came up after a failure does not trust reads yet.
 */
const PICKUP_BOUND_MS = 1000 + READ_TRUST_DELAY_MS;

/**
 * F5 on a standalone Redis: the server is started (to own a port) and stopped, then both
 * instances are started against it. They must boot within 5 s, serve from SQLite, report not
 * ready, and pick Redis up once it is started again.
 */
export async function bootWhileDownScenario(): Promise<{
  report: ScenarioReport;
  pair: BootedPair;
}> {
  const redis = await startRedis();
  await redis.stop();
  const dir = makeTempDir('fault-suite-boot');
  const env = {
    DATABASE_PATH: path.join(dir, 'users.db'),
    JWT_SECRET,
    REDIS_URL: redis.url,
    RATE_LIMIT: '1000000/10s',
    // The default login limit: F6 measures it on this pair.
    LOGIN_RATE_LIMIT: '5/1m',
  };
  const apps = await spawnPair(env, dir);
  const stop = async (): Promise<void> => {
    await Promise.all(apps.map((app) => app.stop()));
    await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const result = await bootChecks(redis, apps);
    return { report: result.report, pair: { redis, apps, fixture: result.fixture, stop } };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function bootChecks(
  redis: RedisServer,
  apps: [AppInstance, AppInstance],
): Promise<{ report: ScenarioReport; fixture: UsersFixture }> {
  const checks: FigureCheck[] = [];
  const notes: string[] = [];
  const probes: HttpResult[] = [];
  const listening = await Promise.all(apps.map((app) => app.waitListening(20_000)));
  const boot = listening.map((t, i) => t - apps[i].spawnedAt);
  checks.push(
    check(
      'F5',
      boot.every((b) => b <= BOOT_BOUND_MS),
      `each instance boots (spawn to /health/live 200) within ${BOOT_BOUND_MS} ms with Redis down`,
      boot.map((b, i) => `${apps[i].name} ${ms(b)} ms`).join(', '),
    ),
  );

  const ready = await Promise.all(apps.map((app) => app.http.get('/health/ready')));
  probes.push(...ready);
  checks.push(
    check(
      'F5',
      ready.every((r) => r.status === 503),
      '/health/ready 503 while Redis is down',
      ready.map((r, i) => `${apps[i].name} ${r.status} in ${ms(r.end - r.start)} ms`).join(', '),
    ),
  );
  notes.push(`Readiness body while down: \`${JSON.stringify(ready[0].body).slice(0, 300)}\``);

  // Served from SQLite: sign-ups, reads, lists and logins all work without Redis.
  const clients = apps.map((app) => app.http);
  const fixture = await UsersFixture.seed(clients, 4, `b${Date.now().toString(36)}`);
  const reads: HttpResult[] = [];
  for (const user of fixture.users) {
    for (const client of clients) reads.push(await client.get(`/users/${user.id}`));
  }
  reads.push(...(await Promise.all(clients.map((c) => c.get('/users?limit=20')))));
  probes.push(...reads);
  checks.push(
    check(
      'F5',
      reads.every((r) => r.status === 200),
      'serves from SQLite while Redis is down (sign-up, login, cached reads all 2xx)',
      `4 sign-ups and 4 logins OK; reads ${formatCounts(non2xxByStatus(reads))} non-2xx of ${reads.length}`,
    ),
  );

  // Redis comes: both instances must become ready and use it.
  const restartAt = now();
  await redis.restart();
  const answeringAt = now();
  const [readyAt, used] = await Promise.all([
    Promise.all(apps.map((app) => app.waitReady(15_000))),
    firstCacheUse(redis, apps, fixture.users[0].id, restartAt),
  ]);
  const readyDelays = readyAt.map((t) => t - restartAt);
  checks.push(
    check(
      'F5',
      used.every((t) => t - restartAt <= PICKUP_BOUND_MS),
      `picks Redis up when it comes: a cache hit served from Redis on each instance within ${PICKUP_BOUND_MS} ms of the restart`,
      `${used.map((t, i) => `${apps[i].name} ${Number.isFinite(t) ? `${ms(t - restartAt)} ms` : 'never'}`).join(', ')}; readiness 200 after ${readyDelays.map((d) => `${ms(d)} ms`).join(' / ')} (Redis answered ${ms(answeringAt - restartAt)} ms after the restart)`,
    ),
  );
  const connectLines = apps.map((app) =>
    app.lines.filter((l) => /Cache store|Rate limit store|Revocation store/.test(l.text)),
  );
  notes.push(
    `Store lines the instances logged: ${connectLines
      .map((lines, i) => `${apps[i].name}: ${quoteLines(lines) || 'none'}`)
      .join('; ')}`,
  );
  const latency = latencyOf(probes);
  return {
    fixture,
    report: {
      scenario: 'F5 app started while Redis is down (standalone)',
      requests: probes.length,
      non2xx: formatCounts(non2xxByStatus(probes)),
      latency,
      recover: Math.max(...readyDelays),
      checks,
      notes,
    },
  };
}

/**
 * Reads one user through each instance every 50 ms until the instance reports a cache hit and
 * the entry exists in Redis; resolves with the time of that hit per instance.
 */
async function firstCacheUse(
  redis: RedisServer,
  apps: AppInstance[],
  userId: number,
  since: number,
): Promise<number[]> {
  const key = `${NAMESPACE}:user:${userId}`;
  return Promise.all(
    apps.map(async (app, i) => {
      const start = await readCacheCounters(app.http, i);
      while (now() - since < 10_000) {
        await app.http.get(`/users/${userId}`);
        const counters = await readCacheCounters(app.http, i);
        const stored = (await redis.cli('EXISTS', key)) === '1';
        if (start && counters && counters.hits > start.hits && stored) return counters.t;
        await sleep(50);
      }
      return Infinity;
    }),
  );
}
