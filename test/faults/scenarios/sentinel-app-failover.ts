import * as fs from 'node:fs';
import { startSentinel, type RedisServer } from '../../harness';
import { makeTempDir } from '../../harness/process-registry';
import { spawnPair, type AppInstance } from '../support/app-instance';
import { COMMAND_TIMEOUT_MS, loadEnv } from '../support/app-env';
import { runFault } from '../support/fault-run';
import { watchPromotion } from '../support/promotion-watch';
import { zeroFiveXx } from '../support/figure-checks';
import { AUTHENTICATED_KINDS } from '../support/load-generator';
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

/** F8: writes may fail for at most this long after the master dies. */
const WRITE_OUTAGE_BOUND_MS = 3000;

/**
 * F8 on the sample app: two instances with `REDIS_SENTINELS` behind a Sentinel set (master, one
 * replica, three sentinels; down-after 1 s), under the 200 req/s load. The master is killed
 * (SIGKILL). Writes to Redis are what the authenticated routes need (a revocation check reads
 * the master, a logout writes it; both answer 503 while there is none), so "writes fail" is
 * measured as the last 503 of an authenticated call after the kill. The new master must then
 * receive the app's writes, and cached reads must stay 2xx throughout.
 */
export async function sentinelAppScenario(tag: string): Promise<ScenarioReport> {
  const set = await startSentinel({ name: 'users' });
  const dir = makeTempDir('fault-suite-sentinel');
  let apps: AppInstance[] = [];
  try {
    await set.waitForDiscovery();
    const sentinels = set.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
    const env = loadEnv(dir, { REDIS_SENTINELS: sentinels, REDIS_SENTINEL_NAME: set.name });
    apps = await spawnPair(env, dir);
    await Promise.all(apps.map((app) => app.waitReady(15_000)));
    const clients = apps.map((app) => app.http);
    const fixture = await UsersFixture.seed(clients, 20, tag);
    return await killMaster(set.master, set.replica, apps, fixture);
  } finally {
    await Promise.all(apps.map((app) => app.stop()));
    await set.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function killMaster(
  master: RedisServer,
  replica: RedisServer,
  apps: AppInstance[],
  fixture: UsersFixture,
): Promise<ScenarioReport> {
  const checks: FigureCheck[] = [];
  const notes: string[] = [];
  await replica.resetStats();
  const run = await runFault(
    apps.map((app) => app.http),
    fixture,
    {
      holdMs: 9000,
      tailMs: 0,
      inject: () => master.kill(),
      remove: async () => undefined,
      duringFault: () =>
        watchPromotion(
          replica,
          8500,
          (stats) => (stats.set ?? 0) + (stats.evalsha ?? 0) + (stats.eval ?? 0) > 0,
        ),
    },
  );
  const { times } = run;
  const watch = run.during!;
  const window = startedWithin(run.samples, times.inject);
  const auth = ofKinds(window, AUTHENTICATED_KINDS);
  const failed = auth.filter((r) => r.status >= 500 || r.status === 0);
  const lastFailure = failed.length ? Math.max(...failed.map((r) => r.end)) - times.inject : 0;
  checks.push(
    check(
      'F8',
      lastFailure <= WRITE_OUTAGE_BOUND_MS,
      `writes fail for at most ${WRITE_OUTAGE_BOUND_MS} ms after the master is killed (the last 5xx of an authenticated call, which needs the master)`,
      `${failed.length} of ${auth.length} authenticated calls failed, the last one ending ${ms(lastFailure)} ms after the kill`,
    ),
  );
  const written = watch.usedAt - times.inject;
  checks.push(
    check(
      'F8',
      Number.isFinite(written),
      'then writes go to the new master (the promoted replica receives the app’s SET/EVALSHA)',
      `promoted ${Number.isFinite(watch.promotedAt) ? `${ms(watch.promotedAt - times.inject)} ms` : 'never'} after the kill; first write on it ${Number.isFinite(written) ? `${ms(written)} ms` : 'never (within 8.5 s)'} after the kill`,
    ),
  );
  checks.push(zeroFiveXx('F8', window));
  notes.push(`Requests from the kill on, by kind: ${perKind(window).join('; ')}.`);
  const baseline = startedWithin(run.samples, times.loadStart, times.inject);
  const l = latencyOf(baseline);
  notes.push(
    `Baseline: ${baseline.length} requests, non-2xx ${formatCounts(non2xxByStatus(baseline.filter((r) => !is2xx(r.status))))}, p50/p99/max ${ms(l.p50)}/${ms(l.p99)}/${ms(l.max)} ms.`,
  );
  notes.push(
    `Sentinel set: master :${master.port} killed with SIGKILL, replica :${replica.port}, 3 sentinels (down-after 1000 ms, failover-timeout 5000 ms).`,
  );
  return {
    scenario: 'F8 Sentinel master killed (the app, REDIS_SENTINELS)',
    requests: window.length,
    non2xx: formatCounts(non2xxByStatus(window)),
    latency: latencyOf(window),
    recover: recoveryTime(run.samples, times.inject, 2 * COMMAND_TIMEOUT_MS),
    checks,
    notes,
  };
}
