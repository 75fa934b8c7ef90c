import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CacheModule, CacheService } from '@app/cache';
import { startSentinel, type RedisSentinel, type RedisServer } from '../../harness';
import { now, sleep, sleepUntil } from '../support/clock';
import type { LogLine } from '../support/app-instance';
import { check, type FigureCheck, type ScenarioReport } from '../support/report';
import { latencyOf, ms } from '../support/stats';

const NAMESPACE = 'fault-suite-f8';
const KEYS = 20;
const READ_INTERVAL_MS = 10;
const WRITE_INTERVAL_MS = 50;
const BASELINE_MS = 3000;
const OBSERVE_MS = 12_000;
const WRITE_OUTAGE_BOUND_MS = 3000;

interface Op {
  instance: number;
  start: number;
  end: number;
  ok: boolean;
  error?: string;
}

/** Collects a context's log lines with the runner's clock. */
class LineLogger implements LoggerService {
  constructor(readonly lines: LogLine[]) {}
  log(message: unknown): void {
    this.lines.push({ t: now(), text: `LOG ${String(message)}` });
  }
  warn(message: unknown): void {
    this.lines.push({ t: now(), text: `WARN ${String(message)}` });
  }
  error(message: unknown): void {
    this.lines.push({ t: now(), text: `ERROR ${String(message)}` });
  }
}

/**
 * F8 at the library level, next to the app-level run (`sentinel-app-failover.ts`). Two `CacheService`s (two Nest contexts with `CacheModule.forRoot({ redis: { sentinels, name } })`)
 * stand in for the two instances. Each reads cached entries with `getOrSet` every 10 ms and
 * writes (a `set` of a key of its own) every 50 ms. The master is killed (SIGKILL); writes may
 * fail for at most 3 s and must then land on the new master; cached reads must never fail. A
 * write succeeded if its key is on the new master at the end: `set` never throws, and reading it
 * back through the cache would measure reads, which skip Redis for a second after the instance
 * reconnects.
 */
export async function sentinelScenario(): Promise<ScenarioReport[]> {
  const set = await startSentinel();
  const contexts: INestApplicationContext[] = [];
  // Nest's Logger is process-wide: the last context's logger gets every context's lines.
  const lines: LogLine[] = [];
  try {
    await set.waitForDiscovery();
    for (let i = 0; i < 2; i++) {
      contexts.push(
        await NestFactory.createApplicationContext(
          CacheModule.forRoot({
            namespace: NAMESPACE,
            redis: { sentinels: set.sentinels, name: set.name },
          }),
          { logger: new LineLogger(lines) },
        ),
      );
    }
    const caches = contexts.map((c) => c.get(CacheService));
    return [await failover(set, caches, lines)];
  } finally {
    await Promise.all(contexts.map((c) => c.close().catch(() => undefined)));
    await set.stop();
  }
}

async function failover(
  set: RedisSentinel,
  caches: CacheService[],
  lines: LogLine[],
): Promise<ScenarioReport> {
  const checks: FigureCheck[] = [];
  const notes: string[] = [];
  const value = (k: number) => ({ id: k, name: `user ${k}` });
  for (let k = 0; k < KEYS; k++) await caches[0].set(`user:${k}`, value(k), { ttl: '10m' });
  const oldMaster = await set.masterAddress();

  const reads: Op[] = [];
  const writes: (Op & { key: string })[] = [];
  // `ok` is decided at the end, from the keys on the new master.
  let running = true;
  const readLoop = async (instance: number): Promise<void> => {
    for (let n = 0; running; n++) {
      const k = (n * 7 + instance) % KEYS;
      const start = now();
      try {
        const got = await caches[instance].getOrSet(`user:${k}`, () => value(k), { ttl: '10m' });
        reads.push({
          instance,
          start,
          end: now(),
          ok: JSON.stringify(got) === JSON.stringify(value(k)),
        });
      } catch (error) {
        reads.push({ instance, start, end: now(), ok: false, error: String(error) });
      }
      await sleepUntil(start + READ_INTERVAL_MS);
    }
  };
  const writeLoop = async (instance: number): Promise<void> => {
    for (let n = 0; running; n++) {
      const key = `w:${instance}:${n}`;
      const start = now();
      await caches[instance].set(key, n, { ttl: '10m' });
      writes.push({ instance, start, end: now(), ok: false, key });
      await sleepUntil(start + WRITE_INTERVAL_MS);
    }
  };
  const loops = [0, 1].flatMap((i) => [readLoop(i), writeLoop(i)]);
  await sleep(BASELINE_MS);
  const master = currentMasterServer(set, oldMaster);
  const killAt = now();
  await master.kill();
  await sleep(OBSERVE_MS);
  running = false;
  await Promise.all(loops);
  const newMaster = await set.masterAddress();
  const newServer = [set.master, set.replica].find((s) => s.port === newMaster.port);
  const landedKeys = new Set(
    newServer ? (await newServer.cli('KEYS', `${NAMESPACE}:w:*`)).split('\n') : [],
  );
  for (const w of writes) w.ok = landedKeys.has(`${NAMESPACE}:${w.key}`);

  // Writes: from the kill, how long until they succeed again for good, per instance.
  const outages = [0, 1].map((instance) => {
    const mine = writes.filter((w) => w.instance === instance && w.start >= killAt);
    const failed = mine.filter((w) => !w.ok);
    const lastFailure = failed.length ? Math.max(...failed.map((w) => w.end)) : killAt;
    return { failed: failed.length, total: mine.length, ms: lastFailure - killAt };
  });
  checks.push(
    check(
      'F8',
      outages.every((o) => o.ms <= WRITE_OUTAGE_BOUND_MS),
      `writes fail for at most ${WRITE_OUTAGE_BOUND_MS} ms after the master is killed (each CacheService)`,
      outages
        .map(
          (o, i) =>
            `instance ${i}: last failed write ends ${ms(o.ms)} ms after the kill (${o.failed} of ${o.total} writes failed)`,
        )
        .join('; '),
    ),
  );
  const landed = [0, 1].map((i) => writes.filter((w) => w.instance === i).pop()?.ok === true);
  checks.push(
    check(
      'F8',
      newMaster.port !== oldMaster.port && landed.every(Boolean),
      'then writes go to the new master (Sentinel names a new master, and the last writes are on it)',
      `master :${oldMaster.port} -> :${newMaster.port}; last write of each instance present on the new master: ${landed.join(', ')}`,
    ),
  );
  const afterKill = reads.filter((r) => r.start >= killAt);
  const failedReads = afterKill.filter((r) => !r.ok);
  const latency = latencyOf(afterKill);
  checks.push(
    check(
      'F8',
      failedReads.length === 0,
      '0 failures on cached reads (getOrSet never throws nor returns a wrong value; the library-level stand-in for "0 5xx")',
      `${failedReads.length} of ${afterKill.length} reads failed; p50/p99/max ${ms(latency.p50)}/${ms(latency.p99)}/${ms(latency.max)} ms`,
    ),
  );
  notes.push(
    'Library level, next to the app-level run above: two CacheServices in the runner, with no HTTP and no rate limiter in front, so the failover of the library itself is seen alone.',
  );
  notes.push(
    `Sentinel set: master, 1 replica, 3 sentinels (down-after 1000 ms, failover-timeout 5000 ms). Master killed with SIGKILL ${ms(killAt - (reads[0]?.start ?? killAt))} ms into the run; observed ${OBSERVE_MS / 1000} s after.`,
  );
  const wlat = latencyOf(writes.filter((w) => w.start >= killAt));
  notes.push(
    `Writes (set) after the kill: p50/p99/max ${ms(wlat.p50)}/${ms(wlat.p99)}/${ms(wlat.max)} ms.`,
  );
  const logged = lines
    .filter((l) => l.t >= killAt)
    .map((l) => `${ms(l.t - killAt)} ms \`${l.text.slice(0, 160)}\``);
  if (logged.length) notes.push(`Logged after the kill (both instances): ${logged.join('; ')}`);
  const all = [...afterKill, ...writes.filter((w) => w.start >= killAt)];
  return {
    scenario: 'F8 Sentinel master killed (library level: 2 CacheService, not the app)',
    requests: all.length,
    non2xx: `${failedReads.length} failed reads, ${outages.reduce((n, o) => n + o.failed, 0)} failed writes`,
    latency,
    recover: Math.max(...outages.map((o) => o.ms)),
    checks,
    notes,
  };
}

function currentMasterServer(set: RedisSentinel, address: { port: number }): RedisServer {
  const server = [set.master, set.replica].find((s) => s.port === address.port);
  if (!server) throw new Error(`the master :${address.port} is not one of the set's servers`);
  return server;
}
