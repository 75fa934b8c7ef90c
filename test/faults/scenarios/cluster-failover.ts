import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CacheModule, CacheService } from '@app/cache';
import { READ_TRUST_DELAY_MS } from '@app/cache/stores/redis.store';
import * as fs from 'node:fs';
import { startCluster, type RedisCluster, type RedisServer } from '../../harness';
import { makeTempDir } from '../../harness/process-registry';
import { parseInfo } from '../../harness/redis-cli';
import { spawnPair, type AppInstance } from '../support/app-instance';
import { COMMAND_TIMEOUT_MS, loadEnv, NAMESPACE } from '../support/app-env';
import { inRanges, keySlot, slotsOf } from '../support/cluster-slots';
import { now, sleep } from '../support/clock';
import { runFault } from '../support/fault-run';
import { watchPromotion } from '../support/promotion-watch';
import { zeroFiveXx } from '../support/figure-checks';
import type { HttpResult } from '../support/http-client';
import { AUTHENTICATED_KINDS } from '../support/load-generator';
import { readCacheCounters } from '../support/probes';
import { check, type FigureCheck, type ScenarioReport } from '../support/report';
import {
  formatCounts,
  is2xx,
  latencyOf,
  ms,
  non2xxByStatus,
  ofKinds,
  perKind,
  recoveryTime,
  startedWithin,
} from '../support/stats';
import { UsersFixture } from '../support/users-fixture';

const FAILOVER_BOUND_MS = 5000;

/**
 * F5's "picks the Cluster up": 1 s, plus the second in which an instance whose connection came up
 * after a failure does not trust reads yet.
 */
const PICKUP_BOUND_MS = 1000 + READ_TRUST_DELAY_MS;

/**
 * F5 and F9 on a Cluster of 3 masters and 3 replicas. F5: every node is stopped, both instances
 * boot against the dead Cluster, serve from SQLite, then pick the Cluster up when its nodes come
 * back. F9: with the load running, a master is killed (SIGKILL) once `cluster_state:ok` holds on
 * every node and every replica's link is up; its replica must be promoted and used within 5 s.
 */
export async function clusterScenarios(tag: string): Promise<ScenarioReport[]> {
  const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
  const dir = makeTempDir('fault-suite-cluster');
  let apps: AppInstance[] = [];
  try {
    const seeds = cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',');
    await cluster.stop();
    const env = loadEnv(dir, { REDIS_CLUSTER_NODES: seeds });
    apps = await spawnPair(env, dir);
    const { report: boot, fixture } = await bootAgainstDeadCluster(cluster, apps, tag);
    const failover = await killMaster(cluster, apps, fixture);
    return [boot, failover];
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function bootAgainstDeadCluster(
  cluster: RedisCluster,
  apps: AppInstance[],
  tag: string,
): Promise<{ report: ScenarioReport; fixture: UsersFixture }> {
  const checks: FigureCheck[] = [];
  const notes: string[] = [];
  const probes: HttpResult[] = [];
  const listening = await Promise.all(apps.map((app) => app.waitListening(20_000)));
  const boot = listening.map((t, i) => t - apps[i].spawnedAt);
  checks.push(
    check(
      'F5',
      boot.every((b) => b <= 5000),
      'each instance boots (spawn to /health/live 200) within 5000 ms with every Cluster node down',
      boot.map((b, i) => `${apps[i].name} ${ms(b)} ms`).join(', '),
    ),
  );
  const ready = await Promise.all(apps.map((app) => app.http.get('/health/ready')));
  probes.push(...ready);
  checks.push(
    check(
      'F5',
      ready.every((r) => r.status === 503),
      '/health/ready 503 while the Cluster is down',
      ready.map((r, i) => `${apps[i].name} ${r.status} in ${ms(r.end - r.start)} ms`).join(', '),
    ),
  );
  const clients = apps.map((app) => app.http);
  const fixture = await UsersFixture.seed(clients, 20, tag);
  const reads: HttpResult[] = [];
  for (const user of fixture.users.slice(0, 5)) {
    for (const client of clients) reads.push(await client.get(`/users/${user.id}`));
  }
  probes.push(...reads);
  checks.push(
    check(
      'F5',
      reads.every((r) => r.status === 200),
      'serves from SQLite while the Cluster is down (20 sign-ups and logins, reads)',
      `reads: ${formatCounts(non2xxByStatus(reads))} non-2xx of ${reads.length}`,
    ),
  );

  const restartAt = now();
  await Promise.all(cluster.nodes.map((node) => node.restart()));
  const processesUp = now();
  await cluster.waitForHealthy(30_000);
  const healthyAt = now();
  const [readyAt, usedAt] = await Promise.all([
    Promise.all(apps.map((app) => app.waitReady(20_000))),
    Promise.all(apps.map((app, i) => firstHit(app, i, fixture.users[0].id, 20_000))),
  ]);
  const late = usedAt.map((t) => Math.max(0, t - healthyAt));
  checks.push(
    check(
      'F5',
      late.every((d) => d <= PICKUP_BOUND_MS),
      `picks the Cluster up when it comes: a cache hit on each instance within ${PICKUP_BOUND_MS} ms of the Cluster being healthy again`,
      `${usedAt.map((t, i) => `${apps[i].name} ${Number.isFinite(t) ? `${ms(t - healthyAt)} ms` : 'never'}`).join(', ')} after cluster_state:ok on every node; readiness 200 at ${readyAt.map((t) => `${ms(t - healthyAt)} ms`).join(' / ')}`,
    ),
  );
  notes.push(
    `Node processes restarted in ${ms(processesUp - restartAt)} ms; cluster_state:ok with linked replicas ${ms(healthyAt - restartAt)} ms after the restart began (the nodes keep their nodes.conf but no data).`,
  );
  return {
    fixture,
    report: {
      scenario: 'F5 app started while the Cluster is down',
      requests: probes.length,
      non2xx: formatCounts(non2xxByStatus(probes)),
      latency: latencyOf(probes),
      recover: Math.max(...readyAt.map((t) => t - healthyAt)),
      checks,
      notes,
    },
  };
}

async function killMaster(
  cluster: RedisCluster,
  apps: AppInstance[],
  fixture: UsersFixture,
): Promise<ScenarioReport> {
  const checks: FigureCheck[] = [];
  const notes: string[] = [];
  await Promise.all(apps.map((app) => app.waitReady(15_000)));
  await assertHealthy(cluster);
  // The worst master to lose: the one serving the `users` tag mark, which every cached read of
  // the app checks (all its entries carry the tag).
  const tagKey = `${NAMESPACE}#tag:users`;
  const victim = await ownerOf(cluster, keySlot(tagKey));
  const replica = await replicaOf(cluster, victim);
  const probe = await LibraryProbe.start(cluster, await slotsOf(victim));
  await replica.resetStats();
  const clients = apps.map((app) => app.http);
  const run = await runFault(clients, fixture, {
    holdMs: 10_000,
    tailMs: 0,
    inject: () => victim.kill(),
    remove: async () => undefined,
    duringFault: async () => {
      const [watch] = await Promise.all([
        watchPromotion(replica, 9000, (stats) => (stats.get ?? 0) > 0),
        probe.run(9000),
      ]);
      return watch;
    },
  });
  await probe.close();
  const { times } = run;
  const watch = run.during!;
  const promoted = watch.promotedAt - times.inject;
  const used = watch.usedAt - times.inject;
  checks.push(
    check(
      'F9',
      used <= FAILOVER_BOUND_MS,
      `the killed master's replica is promoted and serves the app's reads within ${FAILOVER_BOUND_MS} ms`,
      `promoted after ${Number.isFinite(promoted) ? `${ms(promoted)} ms` : 'never'}, first GET from the app on it after ${Number.isFinite(used) ? `${ms(used)} ms` : 'never (within 9 s)'}`,
    ),
  );
  const window = startedWithin(run.samples, times.inject);
  checks.push(zeroFiveXx('F9', window));
  const crossSlot = await crossSlotErrors(cluster, apps);
  checks.push(
    check(
      'F9',
      crossSlot.total === 0,
      'no CROSSSLOT error, ever (app logs, and `errorstat_CROSSSLOT` on every running node)',
      crossSlot.describe,
    ),
  );
  const auth = ofKinds(window, AUTHENTICATED_KINDS);
  notes.push(
    `Authenticated calls from the kill on: ${auth.length}, non-2xx ${formatCounts(non2xxByStatus(auth))} (503 while the revocation keys' slots have no master).`,
  );
  const down = run.readiness.filter((r) => r.start >= times.inject && r.status !== 200);
  const lastDown = down.length ? Math.max(...down.map((r) => r.end)) - times.inject : 0;
  notes.push(
    `Readiness: ${down.length} non-200 answers after the kill, the last one ${ms(lastDown)} ms after it.`,
  );
  notes.push(`Requests from the kill on, by kind: ${perKind(window).join('; ')}.`);
  const baseline = startedWithin(run.samples, times.loadStart, times.inject);
  const l = latencyOf(baseline);
  const odd = baseline.filter((r) => !is2xx(r.status));
  if (odd.length) {
    notes.push(
      `Baseline non-2xx: ${perKind(odd).join('; ')}; sent at ${odd.map((r) => ms(r.start - times.loadStart)).join(', ')} ms.`,
    );
  }
  notes.push(
    `Baseline: ${baseline.length} requests, non-2xx ${formatCounts(non2xxByStatus(baseline))}, p50/p99/max ${ms(l.p50)}/${ms(l.p99)}/${ms(l.max)} ms.`,
  );
  notes.push(
    `Killed master :${victim.port} with SIGKILL (it serves the \`${tagKey}\` mark, slot ${keySlot(tagKey)}, which every cached read checks); its replica :${replica.port}.`,
  );
  notes.push(probe.describe(times.inject));
  return {
    scenario: 'F9 Cluster (3+3) master killed',
    requests: window.length,
    non2xx: formatCounts(non2xxByStatus(window)),
    latency: latencyOf(window),
    recover: recoveryTime(run.samples, times.inject, 2 * COMMAND_TIMEOUT_MS),
    checks,
    notes,
  };
}

/**
 * A `CacheService` of the library in this process, on the same Cluster, reading one key that lives
 * on the master about to be killed every 100 ms: how long one cache call takes during the
 * failover, against the commandTimeout it should be bounded by.
 */
class LibraryProbe {
  private readonly calls: { start: number; ms: number; hit: boolean }[] = [];

  private constructor(
    private readonly context: INestApplicationContext,
    private readonly key: string,
  ) {}

  static async start(
    cluster: RedisCluster,
    victimSlots: [number, number][],
  ): Promise<LibraryProbe> {
    const namespace = 'fault-suite-f9-probe';
    let key = '';
    for (let i = 0; !key; i++) {
      if (inRanges(keySlot(`${namespace}:probe${i}`), victimSlots)) key = `probe${i}`;
    }
    const context = await NestFactory.createApplicationContext(
      CacheModule.forRoot({ namespace, redis: { cluster: { nodes: cluster.startupNodes } } }),
      { logger: false },
    );
    await context.get(CacheService).set(key, 'probe', { ttl: '10m' });
    return new LibraryProbe(context, key);
  }

  async run(durationMs: number): Promise<void> {
    const cache = this.context.get(CacheService);
    const until = now() + durationMs;
    while (now() < until) {
      const start = now();
      const hit = (await cache.get(this.key)) === 'probe';
      this.calls.push({ start, ms: now() - start, hit });
      await sleep(100 - (now() - start));
    }
  }

  describe(since: number): string {
    const after = this.calls.filter((c) => c.start >= since);
    const bound = COMMAND_TIMEOUT_MS + 100;
    const slow = after.filter((c) => c.ms > bound);
    const firstHit = after.find((c) => c.hit);
    const longest = after.reduce((a, b) => (a.ms > b.ms ? a : b), {
      start: since,
      ms: 0,
      hit: false,
    });
    return `Library probe (a CacheService in the runner, same Cluster): \`cache.get\` of a key on the killed master, every 100 ms from the kill: ${after.length} calls, ${slow.length} took over ${bound} ms (commandTimeout + 100 ms), the longest ${ms(longest.ms)} ms (sent ${ms(longest.start - since)} ms after the kill); first hit again ${firstHit ? `${ms(firstHit.start + firstHit.ms - since)} ms` : 'never'} after the kill. ioredis Cluster retries a command on CLUSTERDOWN and on a closed connection (retryDelayOnClusterDown / retryDelayOnFailover 100 ms, up to maxRedirections 16), and commandTimeout bounds each attempt, not the call.`;
  }

  close(): Promise<void> {
    return this.context.close();
  }
}

async function ownerOf(cluster: RedisCluster, slot: number): Promise<RedisServer> {
  for (const node of cluster.nodes) {
    if ((await node.currentRole()) !== 'master') continue;
    if (inRanges(slot, await slotsOf(node))) return node;
  }
  throw new Error(`no master serves slot ${slot}`);
}

/** Throws unless every node says `cluster_state:ok` and every replica's link is up. */
async function assertHealthy(cluster: RedisCluster): Promise<void> {
  for (const node of cluster.nodes) {
    const state = parseInfo(await node.cli('CLUSTER', 'INFO')).cluster_state;
    if (state !== 'ok') throw new Error(`node :${node.port} has cluster_state:${state}`);
    const replication = parseInfo(await node.cli('INFO', 'replication'));
    if (replication.role === 'slave' && replication.master_link_status !== 'up') {
      throw new Error(
        `replica :${node.port} has master_link_status:${replication.master_link_status}`,
      );
    }
  }
}

async function replicaOf(cluster: RedisCluster, master: RedisServer): Promise<RedisServer> {
  for (const node of cluster.nodes) {
    if (node === master) continue;
    const replication = parseInfo(await node.cli('INFO', 'replication'));
    if (replication.role === 'slave' && Number(replication.master_port) === master.port)
      return node;
  }
  throw new Error(`no replica of :${master.port}`);
}

async function crossSlotErrors(
  cluster: RedisCluster,
  apps: AppInstance[],
): Promise<{ total: number; describe: string }> {
  let total = 0;
  const parts: string[] = [];
  for (const node of cluster.nodes.filter((n) => n.running)) {
    const stats = parseInfo(await node.cli('INFO', 'errorstats'));
    const count = Number(/count=(\d+)/.exec(stats.errorstat_CROSSSLOT ?? '')?.[1] ?? 0);
    total += count;
    const other = Object.entries(stats).map(
      ([k, v]) => `${k.replace('errorstat_', '')} ${/count=(\d+)/.exec(v)?.[1]}`,
    );
    if (other.length) parts.push(`:${node.port} ${other.join(', ')}`);
  }
  const logged = apps.flatMap((app) => app.lines.filter((l) => /CROSSSLOT/.test(l.text)));
  total += logged.length;
  return {
    total,
    describe: `${logged.length} CROSSSLOT lines in the app logs; server error stats: ${parts.join('; ') || 'no errors on any running node'}`,
  };
}

/** Reads a user through the instance until it reports a cache hit; the time of that hit. */
async function firstHit(
  app: AppInstance,
  instance: number,
  userId: number,
  timeoutMs: number,
): Promise<number> {
  const start = await readCacheCounters(app.http, instance);
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    await app.http.get(`/users/${userId}`);
    const counters = await readCacheCounters(app.http, instance);
    if (start && counters && counters.hits > start.hits) return counters.t;
    await sleep(50);
  }
  return Infinity;
}
