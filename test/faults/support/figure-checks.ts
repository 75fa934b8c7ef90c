import { COMMAND_TIMEOUT_MS } from './app-env';
import type { AppInstance } from './app-instance';
import { hitRate, type FaultRun } from './fault-run';
import { AUTHENTICATED_KINDS, CACHED_READS, PUBLIC_KINDS, type Sample } from './load-generator';
import { check, type FigureCheck } from './report';
import { findStaleReads } from './stale-reads';
import {
  countByStatus,
  formatCounts,
  is2xx,
  is5xx,
  isAbnormal,
  latencyOf,
  ms,
  non2xxByStatus,
  ofKinds,
  perKind,
  startedWithin,
} from './stats';
import type { UsersFixture } from './users-fixture';

/** "Slow" for the recovery time: twice the command timeout, the F1 bound on p99. */
export const SLOW_MS = 2 * COMMAND_TIMEOUT_MS;

/** Checks and notes shared by the load scenarios, computed from a fault run's timeline. */

/** "0 5xx" counts cached reads and public routes; cached reads must also all be 2xx. */
export function zeroFiveXx(figure: string, window: Sample[]): FigureCheck {
  const publicRoutes = ofKinds(window, PUBLIC_KINDS);
  const reads = ofKinds(window, CACHED_READS);
  const failedPublic = publicRoutes.filter((r) => is5xx(r.status) || r.status === 0);
  const failedReads = reads.filter((r) => !is2xx(r.status));
  const failed = window.filter((r) => failedPublic.includes(r) || failedReads.includes(r));
  const five = failedPublic.length;
  const notOk = failedReads.length;
  return check(
    figure,
    five === 0 && notOk === 0,
    '0 5xx (or no answer) on public routes (reads, list, sign-up, login); every cached read 2xx',
    `${five} 5xx/no answer of ${publicRoutes.length} public requests; ${notOk} non-2xx of ${reads.length} cached reads` +
      describeFailures(failed),
  );
}

/** The first few failed requests, so that a failed run says what failed and when. */
function describeFailures(failed: Sample[]): string {
  if (failed.length === 0) return '';
  const first = failed.slice(0, 3).map((r) => {
    const answer = r.status === 0 ? `no answer (${r.error ?? 'unknown'})` : String(r.status);
    const user = r.userId === undefined ? '' : ` (user ${r.userId})`;
    return `${r.kind}${user} on app-${'ab'[r.instance] ?? r.instance} at ${r.start.toFixed(0)} ms: ${answer} after ${(r.end - r.start).toFixed(0)} ms`;
  });
  return ` (${first.join('; ')}${failed.length > 3 ? '; …' : ''})`;
}

/** F7 in passing: no authenticated call sent while Redis is down is admitted. */
export function authDuringOutage(run: FaultRun<unknown>, notes: string[]): FigureCheck {
  const { times } = run;
  const auth = ofKinds(
    startedWithin(run.samples, times.injected, times.remove),
    AUTHENTICATED_KINDS,
  );
  const admitted = auth.filter((r) => is2xx(r.status)).length;
  notes.push(
    `Authenticated calls sent while Redis was down: ${auth.length}, answered ${formatCounts(non2xxByStatus(auth))}, ${admitted} admitted. The 503s are by design (revocations cannot be checked) and are not counted against "0 5xx".`,
  );
  return check(
    'F7',
    admitted === 0,
    'with Redis down, no request with a token is admitted (503)',
    `${admitted} of ${auth.length} authenticated calls sent during the outage admitted`,
  );
}

export function readinessDown(
  figure: string,
  run: FaultRun<unknown>,
  apps: AppInstance[],
): FigureCheck {
  const { times } = run;
  const delays = apps.map((_, i) => {
    const first = run.readiness.find(
      (r) => r.instance === i && r.start >= times.inject && r.status === 503,
    );
    return first ? first.end - times.inject : Infinity;
  });
  return check(
    figure,
    delays.every((d) => d <= 1000),
    '/health/ready 503 within 1000 ms of the fault',
    delays
      .map((d, i) => `${apps[i].name} ${Number.isFinite(d) ? `${ms(d)} ms` : 'never'}`)
      .join(', '),
  );
}

export function readinessUpDelays(run: FaultRun<unknown>, apps: AppInstance[]): number[] {
  const { times } = run;
  return apps.map((_, i) => {
    const first = run.readiness.find(
      (r) => r.instance === i && r.start >= times.removed && r.status === 200,
    );
    return first ? first.end - times.removed : Infinity;
  });
}

export function readinessUp(
  figure: string,
  run: FaultRun<unknown>,
  apps: AppInstance[],
): FigureCheck {
  const delays = readinessUpDelays(run, apps);
  return check(
    figure,
    delays.every((d) => d <= 1000),
    '/health/ready 200 within 1000 ms after the fault ends',
    delays
      .map((d, i) => `${apps[i].name} ${Number.isFinite(d) ? `${ms(d)} ms` : 'never'}`)
      .join(', '),
  );
}

export function readinessSummary(run: FaultRun<unknown>, apps: AppInstance[]): string {
  const { times } = run;
  const during = run.readiness.filter((r) => r.start >= times.injected && r.start < times.remove);
  const parts = apps.map((app, i) => {
    const mine = during.filter((r) => r.instance === i);
    return `${app.name} ${formatCounts(countByStatus(mine))}`;
  });
  return `Readiness answers during the fault: ${parts.join('; ')}.`;
}

/** F10: no read after recovery shows data older than an acknowledged update. */
export function staleChecks(
  run: FaultRun<unknown>,
  fixture: UsersFixture,
  notes: string[],
): FigureCheck[] {
  const { times } = run;
  const stale = findStaleReads(run.samples, fixture);
  const after = stale.filter((r) => r.start >= times.removed);
  const during = stale.filter((r) => r.start < times.removed && r.start >= times.inject);
  const changes = run.samples.filter(
    (r) => (r.kind === 'update' && r.status === 200) || (r.kind === 'create' && r.status === 201),
  );
  const inFault = changes.filter((r) => r.end >= times.inject && r.start < times.removed);
  notes.push(
    `F10: ${inFault.filter((r) => r.kind === 'update').length} updates and ${inFault.filter((r) => r.kind === 'create').length} sign-ups acknowledged during the fault (${changes.length} changes in the whole run); stale reads during the fault: ${during.length}${during.length ? ` (first: ${describeStale(during[0], times.inject)})` : ''}.`,
  );
  const baselineStale = stale.filter((r) => r.start < times.inject);
  if (baselineStale.length > 0) {
    notes.push(
      `Stale reads before the fault (baseline): ${baselineStale.length}; first: ${describeStale(baselineStale[0], times.inject)}.`,
    );
  }
  return [
    check(
      'F10',
      after.length === 0,
      'after recovery, no read shows a value older than an update or sign-up acknowledged before it was sent',
      after.length === 0
        ? `0 stale reads after recovery (${inFault.length} changes acknowledged during the fault)`
        : `${after.length} stale reads after recovery; first: ${describeStale(after[0], times.removed)}`,
    ),
  ];
}

export function describeStale(
  read: ReturnType<typeof findStaleReads>[number],
  origin: number,
): string {
  const who = read.userId === undefined ? '' : ` of user ${read.userId}`;
  return `${read.kind}${who} on instance ${read.instance} at ${ms(read.start - origin)} ms saw ${read.saw}, expected ${read.expected}`;
}

/** The first 1.5 s window after the fault whose hit rate is at least 90% of the baseline's. */
export function hitRateRecovery(
  run: FaultRun<unknown>,
  before: number,
): { ms?: number; rate?: number; last: number } {
  const { times } = run;
  const span = 1500;
  let last = NaN;
  for (let t = times.removed + span; t <= times.loadEnd; t += 250) {
    const rate = hitRate(run.counters, t - span, t);
    last = rate;
    if (rate >= 0.9 * before) return { ms: t - times.removed, rate, last };
  }
  return { last };
}

export function pct(rate: number): string {
  return Number.isFinite(rate) ? `${(rate * 100).toFixed(1)}%` : 'n/a';
}

export function commonNotes(run: FaultRun<unknown>): string[] {
  const { times } = run;
  const baseline = startedWithin(run.samples, times.loadStart, times.inject);
  const l = latencyOf(baseline);
  const after = startedWithin(run.samples, times.removed).filter((r) => isAbnormal(r, SLOW_MS));
  const lastAbnormal = after.length ? after.reduce((a, b) => (a.end > b.end ? a : b)) : undefined;
  return [
    `After the fault: ${after.length} abnormal answers (non-2xx, or over ${SLOW_MS} ms for a route that is not scrypt-bound) among requests sent after it${after.length ? `: ${perKind(after).join('; ')}; the last one a ${lastAbnormal!.kind} sent ${ms(lastAbnormal!.start - times.removed)} ms after the fault ended, answered ${lastAbnormal!.status || 'nothing'} after ${ms(lastAbnormal!.end - lastAbnormal!.start)} ms` : ''}.`,
    `Timeline (ms from load start): fault at ${ms(times.inject - times.loadStart)} (in place at ${ms(times.injected - times.loadStart)}), removed at ${ms(times.remove - times.loadStart)} (done at ${ms(times.removed - times.loadStart)}), load ended ${ms(times.loadEnd - times.loadStart)}.`,
    `Baseline (before the fault): ${baseline.length} requests, non-2xx ${formatCounts(non2xxByStatus(baseline))}, p50/p99/max ${ms(l.p50)}/${ms(l.p99)}/${ms(l.max)} ms; cache hit rate ${pct(hitRate(run.counters, times.loadStart + 1000, times.inject))}.`,
  ];
}
