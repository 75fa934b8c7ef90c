import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import { COMMAND_TIMEOUT_MS } from './app-env';
import { ms, type LatencySummary } from './stats';

export type Verdict = 'PASS' | 'FAIL' | 'BLOCKED' | 'ERROR';

/** One figure checked in one scenario: the target, what was measured, and the verdict. */
export interface FigureCheck {
  figure: string;
  verdict: Verdict;
  target: string;
  measured: string;
}

/** One row of the table, plus what the notes say about it. */
export interface ScenarioReport {
  scenario: string;
  /** Requests counted in the row (the load during the fault window, or the probes sent). */
  requests: number;
  non2xx: string;
  latency?: LatencySummary;
  /** Time to recover, in ms, or a word when it does not apply. */
  recover?: number | string;
  checks: FigureCheck[];
  notes: string[];
}

export function check(
  figure: string,
  pass: boolean,
  target: string,
  measured: string,
): FigureCheck {
  return { figure, verdict: pass ? 'PASS' : 'FAIL', target, measured };
}

export function tableOf(reports: readonly ScenarioReport[]): string {
  const header = [
    '| Scenario | Requests | Non-2xx by status | p50 / p99 / max (ms) | Recover | Result |',
    '| --- | ---: | --- | --- | ---: | --- |',
  ];
  const rows = reports.map((r) => {
    const latency = r.latency
      ? `${ms(r.latency.p50)} / ${ms(r.latency.p99)} / ${ms(r.latency.max)}`
      : '-';
    const recover =
      typeof r.recover === 'number' ? `${Math.round(r.recover)} ms` : (r.recover ?? '-');
    const result = r.checks.map((c) => `${c.figure} ${c.verdict}`).join(', ') || '-';
    return `| ${r.scenario} | ${r.requests} | ${r.non2xx} | ${latency} | ${recover} | ${result} |`;
  });
  return [...header, ...rows].join('\n');
}

/** Every figure, its worst verdict across scenarios, and each measurement. */
export function figuresOf(reports: readonly ScenarioReport[]): string {
  const order: string[] = [];
  const byFigure = new Map<string, { scenario: string; check: FigureCheck }[]>();
  for (const report of reports) {
    for (const c of report.checks) {
      if (!byFigure.has(c.figure)) {
        byFigure.set(c.figure, []);
        order.push(c.figure);
      }
      byFigure.get(c.figure)!.push({ scenario: report.scenario, check: c });
    }
  }
  const rank: Verdict[] = ['ERROR', 'FAIL', 'BLOCKED', 'PASS'];
  const lines: string[] = [];
  for (const figure of order) {
    const entries = byFigure.get(figure)!;
    const worst = rank.find((v) => entries.some((e) => e.check.verdict === v))!;
    lines.push(`- **${figure}: ${worst}**`);
    for (const { scenario, check: c } of entries) {
      lines.push(`  - ${scenario}: ${c.verdict}. Target: ${c.target}. Measured: ${c.measured}.`);
    }
  }
  return lines.join('\n');
}

export function notesOf(reports: readonly ScenarioReport[]): string {
  return reports
    .filter((r) => r.notes.length > 0)
    .map((r) => [`### ${r.scenario}`, '', ...r.notes.map((n) => `- ${n}`)].join('\n'))
    .join('\n\n');
}

/** CPU, cores, memory, OS, Node and Redis versions, load average at the start. */
export function machineOf(): string[] {
  const cpus = os.cpus();
  const redis = tryRun('redis-server', ['--version'])
    .replace(/sha=\S+ malloc=\S+ bits=\S+ build=\S+/, '')
    .trim();
  return [
    `CPU: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores`,
    `Memory: ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    `OS: ${os.type()} ${os.release()} (${os.arch()})`,
    `Node.js: ${process.version}`,
    `Redis: ${redis}`,
    `Load average at start (1/5/15 min): ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}`,
  ];
}

function tryRun(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: 5000 });
  } catch {
    return 'unknown';
  }
}

/** What each figure counts: the rules the scenarios apply, stated once for the reader. */
const COUNTING = [
  '"0 5xx" counts the public routes: cached reads (`GET /users/:id`, `GET /users`), sign-up and login; a request that got no answer within 3 s counts as a failure too. Routes with a token answer 503 by design while revocations cannot be checked: they are counted separately, and F7 requires that none is admitted (2xx) while Redis is down.',
  'F1: requests sent from the shutdown to the end of the load (10 s after the restart). Latency counts every request, token and scrypt routes included.',
  "F2: first success = the first of the library's recovery log lines (`Cache store is answering again`, `Rate limit store answers again`, `Revocation store available again`) on each instance, from the moment the restart was issued. Hit rate = cache hits / (hits + misses) from `/metrics` (`CacheService.stats()`), summed over both instances, in 1.5 s windows after the restart, against the baseline after its first second.",
  'F3: every request sent between the start and the end of the fault, all routes. Sign-up and login hash a password (scrypt, tens of ms of CPU on this machine): their bound is commandTimeout + 100 ms plus their own p99 in the baseline before the fault. Readiness from the 100 ms `/health/ready` polls: the first 503 after the fault started, the first 200 among polls sent after it ended.',
  'F4: cached reads sent during the fault against the baseline p99 (+100 ms noise margin); `cache_errors` from `/metrics`; 6 fresh tokens of users the load never uses, logged out 1 s into the fault (3 per instance), then checked on both instances after recovery (401 on both = stored).',
  'F5: boot = spawn to the first `GET /health/live` 200. "Picks Redis up" = readiness 200 and a cache hit on each instance, timed from the restart (standalone) or from `cluster_state:ok` on every node (Cluster); its bound is 2 s, since reads skip Redis for 1 s after a connection comes up following a failure.',
  'F6: a login is admitted when it is not answered 429. Bursts of 1000 concurrent logins for one email, 500 per instance.',
  'F7: 6 logouts, alternating instances, each followed by `GET /auth/me` on the other instance every 10 ms until 401. With Redis down: 10 calls per instance each with a revoked token, a token issued during the outage, a live token and a forged one.',
  'F8: the app pair with `REDIS_SENTINELS` under the load. Writes fail = authenticated calls answered 5xx (a revocation check and a logout need the master); "go to the new master" = the promoted replica receives SET/EVALSHA (from `INFO commandstats`, reset before the kill). A library-level run (two `CacheService`s in the runner, `getOrSet` every 10 ms, a `set` every 50 ms, which succeeded if its key is on the new master at the end) follows it.',
  'F9: requests sent from the kill to the end of the load. "Used" = the promoted replica serves its first `GET` (from `INFO commandstats`, reset before the kill). The killed master is the one serving the `users` tag mark, which every cached read checks.',
  'F10: every update writes a unique name, so the versions of a user are ordered: a read (user or list) sent after an update was acknowledged must show it or a later one, and a list must count at least the sign-ups acknowledged before it was sent. Checked on every read of F1, F3, F4 and the READONLY run; the figure counts the reads sent after the fault ended.',
  `"Recover": from the end of the fault (for F9, the kill) to the end of the last abnormal answer among the requests sent after it: non-2xx, or slower than 2x commandTimeout (${2 * COMMAND_TIMEOUT_MS} ms) on a route whose time is not scrypt's (sign-up and login are left out of "slow").`,
];

export interface DocumentInput {
  reports: readonly ScenarioReport[];
  machine: readonly string[];
  started: Date;
  seconds: number;
  command: string;
}

/** `docs/reliability.md`. */
export function documentOf({ reports, machine, started, seconds, command }: DocumentInput): string {
  return [
    '# Reliability under Redis faults',
    '',
    `Generated by \`${command}\` (\`test/faults/run.ts\`) on ${started.toISOString()}; the run took ${seconds.toFixed(0)} s. Every figure below was measured in that run; rerun the command to refresh this file.`,
    '',
    '## Machine',
    '',
    ...machine.map((line) => `- ${line}`),
    '',
    '## Setup',
    '',
    '- The compiled sample app (`dist/users/apps/users/src/main.js`, built by `npm run build:users`) in 2 processes sharing one SQLite file and one `JWT_SECRET`, behind Redis servers the test harness starts on free loopback ports (never the system Redis). Faults come from those servers only.',
    `- The app sets no \`redis.commandTimeout\` (\`apps/users/src/app.module.ts\`), so the library default applies: **commandTimeout = ${COMMAND_TIMEOUT_MS} ms**.`,
    '- Load: 200 req/s in total, open loop (request n is sent n/200 s after the start whatever happened to earlier ones), alternating between the 2 instances, keep-alive, 3 s timeout per request. Mix: 69.5% `GET /users/:id` and 12% `GET /users?limit=20` (cached reads), 15% `GET /auth/me` (token), 1% `PATCH /users/:id` (token; evicts the user and the `users` tag, so every cached entry), 0.5% `POST /users`, 2% `POST /auth/login` (scrypt). 20 users are read and updated; each keeps one token. `RATE_LIMIT` and `LOGIN_RATE_LIMIT` are raised for the load (it comes from one IP); F6 runs a pair with the default login limit.',
    '- Load scenarios: 3 s baseline, 5 s fault, 4-10 s after. `/health/ready` is polled every 100 ms and `/metrics` every 500 ms on each instance, apart from the load.',
    '',
    '### What each figure counts',
    '',
    ...COUNTING.map((line) => `- ${line}`),
    '',
    '## Results',
    '',
    tableOf(reports),
    '',
    '## Figures',
    '',
    figuresOf(reports),
    '',
    '## Notes per scenario',
    '',
    notesOf(reports),
    '',
  ].join('\n');
}
