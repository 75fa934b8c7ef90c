import * as fs from 'node:fs';
import { startRedis, waitUntil, type RedisServer } from '../../harness';
import { makeTempDir } from '../../harness/process-registry';
import { runRedisCli } from '../../harness/redis-cli';
import { COMMAND_TIMEOUT_MS, loadEnv, NAMESPACE } from '../support/app-env';
import { startPair, type AppInstance } from '../support/app-instance';
import { now, sleep } from '../support/clock';
import { cacheErrors, hitRate, runFault, type FaultPlan } from '../support/fault-run';
import {
  authDuringOutage,
  commonNotes,
  hitRateRecovery,
  pct,
  readinessDown,
  readinessSummary,
  readinessUp,
  readinessUpDelays,
  SLOW_MS,
  staleChecks,
  zeroFiveXx,
} from '../support/figure-checks';
import type { HttpClient, HttpResult } from '../support/http-client';
import { CACHED_READS, PUBLIC_KINDS, SCRYPT_KINDS, type Sample } from '../support/load-generator';
import { PASSWORD_CAUSE, quoteLines, trimLog } from '../support/log-lines';
import { shutdownNosave } from '../support/redis-faults';
import { check, type FigureCheck, type ScenarioReport } from '../support/report';
import { rememberLatestNames } from '../support/stale-reads';
import {
  formatCounts,
  is2xx,
  is5xx,
  latencyOf,
  ms,
  non2xxByStatus,
  ofKinds,
  perKind,
  recoveryTime,
  startedWithin,
} from '../support/stats';
import { UsersFixture } from '../support/users-fixture';

const HOT_USERS = 20;
const PROBE_USERS = 6;
const REDIS_PASSWORD = 'fault-suite-redis-password';
/** Lines the library logs on the first store success after an outage. */
const RECOVERY_LINE =
  /Cache store is answering again|Rate limit store answers again|Revocation store available again/;

/** One Redis (with a password), two app instances sharing a SQLite file, seeded users. */
export interface StandaloneSetup {
  redis: RedisServer;
  apps: [AppInstance, AppInstance];
  clients: HttpClient[];
  fixture: UsersFixture;
  /** Users whose tokens the logout probes may revoke (never one the load uses). */
  probeUsers: { id: number; email: string }[];
  dir: string;
  stop(): Promise<void>;
}

export async function startStandalone(tag: string): Promise<StandaloneSetup> {
  const redis = await startRedis({ password: REDIS_PASSWORD });
  const dir = makeTempDir('fault-suite-standalone');
  let apps: [AppInstance, AppInstance] | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all((apps ?? []).map((app) => app.stop()));
    await redis.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    apps = await startPair(loadEnv(dir, { REDIS_URL: redis.url }), dir);
    const clients = apps.map((app) => app.http);
    const fixture = await UsersFixture.seed(clients, HOT_USERS, tag);
    const probeUsers: { id: number; email: string }[] = [];
    for (let i = 0; i < PROBE_USERS; i++) {
      probeUsers.push(await fixture.createUser(clients[i % 2], `probe${i}`));
    }
    return { redis, apps, clients, fixture, probeUsers, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** F1, F2, F10: `redis-cli shutdown nosave`, 5 s down, then started again (empty). */
export async function shutdownScenario(s: StandaloneSetup): Promise<ScenarioReport> {
  await settle(s);
  const run = await runFault(s.clients, s.fixture, {
    tailMs: 10_000,
    inject: () => shutdownNosave(s.redis),
    remove: () => s.redis.restart(),
  });
  const { times } = run;
  const window = startedWithin(run.samples, times.inject);
  const checks: FigureCheck[] = [];
  const notes: string[] = [];

  checks.push(zeroFiveXx('F1', window));
  const latency = latencyOf(window);
  checks.push(
    check(
      'F1',
      latency.p99 <= 2 * COMMAND_TIMEOUT_MS && latency.max <= 1000,
      `p99 <= ${2 * COMMAND_TIMEOUT_MS} ms (2x commandTimeout) and no request over 1000 ms, all requests from the shutdown to the end of the load`,
      `p99 ${ms(latency.p99)} ms, max ${ms(latency.max)} ms over ${latency.count} requests`,
    ),
  );

  // F2: first Redis success after the restart, per instance, from the app's own recovery log.
  const firsts = s.apps.map((app) => app.findLine(RECOVERY_LINE, times.injected));
  const delays = firsts.map((line) => (line ? line.t - times.remove : Infinity));
  checks.push(
    check(
      'F2',
      delays.every((d) => d <= 1000),
      'first Redis success within 1000 ms of the restart on each instance',
      `${delays.map((d, i) => `${s.apps[i].name} ${ms(d)} ms`).join(', ')} after the restart was issued (Redis answered ${ms(times.removed - times.remove)} ms after it)`,
    ),
  );
  const before = hitRate(run.counters, times.loadStart + 1000, times.inject);
  const back = hitRateRecovery(run, before);
  checks.push(
    check(
      'F2',
      back.ms !== undefined && back.ms <= 10_000,
      'hit rate back to 90% of before within 10 s of the restart (1.5 s windows)',
      `before ${pct(before)}; ${back.ms === undefined ? `not back by the end (last window ${pct(back.last)})` : `back at ${ms(back.ms)} ms (window ${pct(back.rate!)})`}`,
    ),
  );
  checks.push(...staleChecks(run, s.fixture, notes));
  checks.push(authDuringOutage(run, notes));

  notes.push(...commonNotes(run));
  firsts.forEach((line, i) => {
    if (line) notes.push(`${s.apps[i].name} first recovery log line: \`${trimLog(line.text)}\``);
  });
  rememberLatestNames(run.samples, s.fixture);
  return {
    scenario: 'F1/F2 Redis `shutdown nosave` 5 s, restart',
    requests: window.length,
    non2xx: formatCounts(non2xxByStatus(window)),
    latency,
    recover: recoveryTime(run.samples, times.removed, SLOW_MS),
    checks,
    notes,
  };
}

/** F3: the Redis process frozen (`kill -STOP`) or its clients paused (`CLIENT PAUSE 5000 ALL`). */
export async function freezeScenario(
  s: StandaloneSetup,
  mode: 'SIGSTOP' | 'CLIENT PAUSE ALL',
): Promise<ScenarioReport> {
  await settle(s);
  const plan: FaultPlan<void> =
    mode === 'SIGSTOP'
      ? { tailMs: 4000, inject: () => s.redis.pause(), remove: () => s.redis.resume() }
      : {
          tailMs: 4000,
          inject: () => s.redis.clientPause(5000, 'ALL'),
          remove: () => unpause(s.redis),
        };
  plan.afterRemove = () => orphanLocks(s.redis);
  const run = await runFault(s.clients, s.fixture, plan);
  const { times } = run;
  const during = startedWithin(run.samples, times.inject, times.remove);
  const bound = COMMAND_TIMEOUT_MS + 100;
  // Sign-up and login spend their own time hashing (scrypt) on top of any Redis wait: their bound
  // is the same plus what they took before the fault (p99 of the baseline).
  const baseline = startedWithin(run.samples, times.loadStart, times.inject);
  const hashing = Math.max(0, latencyOf(ofKinds(baseline, SCRYPT_KINDS)).p99);
  const boundOf = (r: Sample): number => (SCRYPT_KINDS.includes(r.kind) ? bound + hashing : bound);
  const slow = during.filter((r) => r.end - r.start > boundOf(r));
  const checks: FigureCheck[] = [];
  const notes: string[] = [];
  const latency = latencyOf(during);
  checks.push(
    check(
      'F3',
      slow.length === 0 && during.every((r) => r.status !== 0),
      `every request sent during the fault answered within ${bound} ms (commandTimeout + 100 ms; sign-up and login: plus their baseline p99, ${ms(hashing)} ms of scrypt)`,
      `${slow.length} of ${during.length} over their bound (${during.filter((r) => r.status === 0).length} got no answer within 3 s); p50/p99/max ${ms(latency.p50)}/${ms(latency.p99)}/${ms(latency.max)} ms`,
    ),
  );
  checks.push(readinessDown('F3', run, s.apps));
  checks.push(readinessUp('F3', run, s.apps));
  checks.push(...staleChecks(run, s.fixture, notes));
  notes.push(`Requests sent during the fault, by kind: ${perKind(during).join('; ')}.`);
  notes.push(describeLocks(run.after as LockReport));
  notes.push(...commonNotes(run));
  rememberLatestNames(run.samples, s.fixture);
  const window = startedWithin(run.samples, times.inject);
  return {
    scenario:
      mode === 'SIGSTOP' ? 'F3 Redis frozen (`kill -STOP`) 5 s' : 'F3 `CLIENT PAUSE 5000 ALL`',
    requests: window.length,
    non2xx: formatCounts(non2xxByStatus(window)),
    latency: latencyOf(window),
    recover: recoveryTime(run.samples, times.removed, SLOW_MS),
    checks,
    notes,
  };
}

/** F4: writes refused while reads go on: `CLIENT PAUSE 5000 WRITE`, or OOM with `noeviction`. */
export async function writeFaultScenario(
  s: StandaloneSetup,
  mode: 'CLIENT PAUSE WRITE' | 'OOM' | 'READONLY',
): Promise<ScenarioReport> {
  await settle(s);
  const tokens = await probeTokens(s);
  let other: RedisServer | undefined;
  const faults = {
    'CLIENT PAUSE WRITE': {
      inject: () => s.redis.clientPause(5000, 'WRITE'),
      remove: () => unpause(s.redis),
    },
    OOM: {
      inject: async () => {
        await s.redis.cli('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
        await s.redis.cli('CONFIG', 'SET', 'maxmemory', '1');
      },
      remove: async () => {
        await s.redis.cli('CONFIG', 'SET', 'maxmemory', '0');
      },
    },
    // The app's Redis becomes a replica of another (empty) server: what an app still pointed at a
    // demoted master sees. Writes get READONLY; reads are answered (from the replicated data).
    READONLY: {
      inject: async () => {
        other = await startRedis();
        await s.redis.cli('REPLICAOF', other.host, String(other.port));
      },
      remove: async () => {
        await s.redis.cli('REPLICAOF', 'NO', 'ONE');
      },
    },
  }[mode];
  const run = await runFault(s.clients, s.fixture, {
    tailMs: 4000,
    ...faults,
    afterRemove: () => orphanLocks(s.redis),
    duringFault: async () => {
      await sleep(1000);
      const at = now();
      const answers = await Promise.all(
        tokens.map((token, i) => s.clients[i % 2].post('/auth/logout', { token })),
      );
      // What the app's Redis holds 1 s into the fault: for READONLY, whether the full sync from
      // the (empty) new master already replaced the cached entries.
      const replication = await s.redis.cli('INFO', 'replication').catch(() => '');
      const keys = await s.redis.cli('DBSIZE').catch(() => '?');
      return { at, answers, link: /master_link_status:(\w+)/.exec(replication)?.[1], keys };
    },
  });
  await other?.stop();
  const { times } = run;
  const checks: FigureCheck[] = [];
  const notes: string[] = [];
  const figure = mode === 'READONLY' ? 'READONLY' : 'F4';

  const baselineReads = ofKinds(
    startedWithin(run.samples, times.loadStart + 1000, times.inject),
    CACHED_READS,
  );
  const faultReads = ofKinds(
    startedWithin(run.samples, times.injected, times.remove),
    CACHED_READS,
  );
  const base = latencyOf(baselineReads);
  const fault = latencyOf(faultReads);
  const bad = faultReads.filter((r) => !is2xx(r.status)).length;
  checks.push(
    check(
      figure,
      bad === 0 && fault.p99 <= base.p99 + 100,
      'reads unaffected: every cached read 2xx, and their p99 within 100 ms of the baseline p99 (noise margin)',
      `${bad} of ${faultReads.length} non-2xx; p99 ${ms(fault.p99)} ms (baseline ${ms(base.p99)} ms), max ${ms(fault.max)} ms`,
    ),
  );
  const errors = cacheErrors(run.counters, times.inject, times.removed);
  const window = startedWithin(run.samples, times.inject);
  const public5xx = ofKinds(window, PUBLIC_KINDS).filter((r) => is5xx(r.status)).length;
  checks.push(
    check(
      figure,
      errors > 0 && public5xx === 0,
      'cache writes fail quietly (0 5xx on public routes) and are counted (`cache_errors` rises)',
      `cache_errors +${errors} during the fault; ${public5xx} 5xx on public routes`,
    ),
  );
  const logouts = run.during!.answers;
  const verdicts = await logoutVerdicts(s, tokens, logouts);
  checks.push(
    check(
      figure,
      verdicts.every((v) => v.status === 503 || (v.status === 204 && v.stored)),
      'POST /auth/logout during the fault answers 503, never a 204 that was not stored',
      verdicts.map((v) => `${v.status}${v.stored ? ' (stored)' : ' (not stored)'}`).join(', '),
    ),
  );
  if (verdicts.some((v) => v.status === 503 && v.stored)) {
    notes.push(
      `Logouts answered 503 but revoked anyway (the server ran the held command after the fault): ${verdicts.filter((v) => v.status === 503 && v.stored).length} of ${verdicts.length}. A client that retries gets a 401 or 204; a client that gives up is still logged out.`,
    );
  }
  if (mode === 'READONLY') {
    // The app writes through this connection: on a replica every write fails, so it is not ready.
    checks.push(readinessDown(figure, run, s.apps));
    checks.push(readinessUp(figure, run, s.apps));
    notes.push(readinessSummary(run, s.apps));
    notes.push(
      `1 s into the fault the app's Redis had master_link_status:${run.during!.link ?? '?'} and ${run.during!.keys} keys (the new master is empty: once the sync is done, the cache is empty).`,
    );
  }
  notes.push(describeLocks(run.after as LockReport));
  checks.push(...staleChecks(run, s.fixture, notes));
  notes.push(
    `Requests sent during the fault, by kind: ${perKind(startedWithin(run.samples, times.injected, times.remove)).join('; ')}.`,
  );
  notes.push(...commonNotes(run));
  rememberLatestNames(run.samples, s.fixture);
  const titles = {
    'CLIENT PAUSE WRITE': 'F4 `CLIENT PAUSE 5000 WRITE`',
    OOM: 'F4 OOM (`maxmemory 1`, `noeviction`) 5 s',
    READONLY: 'Replica answering READONLY (`REPLICAOF`) 5 s',
  };
  return {
    scenario: titles[mode],
    requests: window.length,
    non2xx: formatCounts(non2xxByStatus(window)),
    latency: latencyOf(window),
    recover: recoveryTime(run.samples, times.removed, SLOW_MS),
    checks,
    notes,
  };
}

/**
 * The app's password becomes wrong: `CONFIG SET requirepass` to another one and `CLIENT KILL` of
 * the app's connections, which then reconnect with the old one. After 5 s the password is set
 * back.
 */
export async function wrongPasswordScenario(s: StandaloneSetup): Promise<ScenarioReport> {
  await settle(s);
  const other = 'a-password-the-app-does-not-know';
  const asOther = (...args: string[]) =>
    runRedisCli(
      { connection: ['-h', s.redis.host, '-p', String(s.redis.port)], password: other },
      args,
    );
  const run = await runFault(s.clients, s.fixture, {
    tailMs: 5000,
    inject: async () => {
      await s.redis.cli('CONFIG', 'SET', 'requirepass', other);
      await asOther('CLIENT', 'KILL', 'TYPE', 'normal');
    },
    remove: async () => {
      await asOther('CONFIG', 'SET', 'requirepass', REDIS_PASSWORD);
    },
  });
  const { times } = run;
  const checks: FigureCheck[] = [];
  const notes: string[] = [];
  const window = startedWithin(run.samples, times.inject);
  checks.push(zeroFiveXx('Wrong password', window));
  checks.push(readinessDown('Wrong password', run, s.apps));
  const lines = s.apps.map((app) =>
    app.lines.filter((l) => l.t >= times.inject && l.t < times.remove + 1000),
  );
  const clear = lines.map((list) => list.find((l) => PASSWORD_CAUSE.test(l.text)));
  checks.push(
    check(
      'Wrong password',
      clear.every(Boolean),
      `a log line on each instance that names the cause (${PASSWORD_CAUSE.source})`,
      clear
        .map((line, i) => `${s.apps[i].name}: ${line ? `\`${trimLog(line.text)}\`` : 'none'}`)
        .join('; '),
    ),
  );
  lines.forEach((list, i) => {
    notes.push(`${s.apps[i].name} logged during the fault: ${quoteLines(list) || 'nothing'}`);
  });
  const up = readinessUpDelays(run, s.apps);
  checks.push(
    check(
      'Wrong password',
      up.every((d) => d <= 10_000),
      'readiness 200 again within 10 s after the password is set back (reconnects with the right one)',
      up
        .map(
          (d, i) =>
            `${s.apps[i].name} ${Number.isFinite(d) ? `${ms(d)} ms` : 'not by the end of the load'}`,
        )
        .join(', '),
    ),
  );
  notes.push(...commonNotes(run));
  rememberLatestNames(run.samples, s.fixture);
  return {
    scenario: 'Wrong password (`requirepass` changed + `CLIENT KILL`) 5 s',
    requests: window.length,
    non2xx: formatCounts(non2xxByStatus(window)),
    latency: latencyOf(window),
    recover: recoveryTime(run.samples, times.removed, SLOW_MS),
    checks,
    notes,
  };
}

// ---------------------------------------------------------------------------------------------

/** Waits until Redis answers and both instances are ready, so no scenario starts mid-recovery. */
/**
 * Waits until Redis answers, both instances are ready and the locks a fault left behind have
 * lapsed (they live lockTimeout, 5 s, longer than a scenario's tail), so that no baseline starts
 * in the previous fault's aftermath.
 */
async function settle(s: StandaloneSetup): Promise<void> {
  if (!s.redis.running) await s.redis.restart();
  await Promise.all(s.apps.map((app) => app.waitReady(15_000)));
  await waitUntil(async () => (await s.redis.cli('KEYS', `${NAMESPACE}#lock:*`)) === '', {
    what: 'the stampede locks of the previous fault to lapse',
    timeoutMs: 8000,
    intervalMs: 100,
  });
  await sleep(500);
}

interface LockCount {
  count: number;
  maxTtl: number;
}

interface LockReport {
  soon: LockCount;
  later: LockCount;
}

/**
 * Stampede locks in Redis 100 ms and 1 s after the fault ends. A lock whose SET NX timed out in
 * the app is still run by the server once it answers again: nobody holds it, yet it blocks the
 * readers of its key (they poll for up to lockTimeout) until it lapses.
 */
async function orphanLocks(redis: RedisServer): Promise<LockReport> {
  const count = async (): Promise<LockCount> => {
    try {
      const keys = (await redis.cli('KEYS', `${NAMESPACE}#lock:*`)).split('\n').filter(Boolean);
      const ttls = await Promise.all(keys.slice(0, 30).map((key) => redis.cli('PTTL', key)));
      return { count: keys.length, maxTtl: Math.max(0, ...ttls.map(Number)) };
    } catch {
      return { count: -1, maxTtl: 0 };
    }
  };
  await sleep(100);
  const soon = await count();
  await sleep(900);
  return { soon, later: await count() };
}

function describeLocks(report: LockReport | undefined): string {
  if (!report || report.soon.count < 0) return 'Locks after the fault: could not be read.';
  const { soon, later } = report;
  const text = `Stampede locks in Redis after the fault ended: ${soon.count} at 100 ms, ${later.count} at 1 s (longest PTTL left then: ${later.maxTtl} ms; lockTimeout is 5 s)`;
  // A load holds its lock for milliseconds: locks still there a second later are held by no one.
  if (later.count === 0) return `${text}.`;
  return `${text}. A load holds its lock for milliseconds, so these are held by no one: their SET NX timed out in the app, and Redis ran it when it answered again. A reader of such a key that misses polls until the lock lapses.`;
}

async function unpause(redis: RedisServer): Promise<void> {
  await redis.cli('CLIENT', 'UNPAUSE');
}

/** Fresh tokens of the probe users, to log out during a fault. */
async function probeTokens(s: StandaloneSetup): Promise<string[]> {
  return Promise.all(s.probeUsers.map((user, i) => s.fixture.login(s.clients[i % 2], user.email)));
}

/** After the fault: was each logout stored? A stored one is refused (401) on both instances. */
async function logoutVerdicts(
  s: StandaloneSetup,
  tokens: string[],
  answers: HttpResult[],
): Promise<{ status: number; stored: boolean }[]> {
  await Promise.all(s.apps.map((app) => app.waitReady(15_000)));
  return Promise.all(
    tokens.map(async (token, i) => {
      const seen = await Promise.all(s.clients.map((c) => c.get('/auth/me', { token })));
      return { status: answers[i].status, stored: seen.every((r) => r.status === 401) };
    }),
  );
}
