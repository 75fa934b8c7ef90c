import type { HttpVariantResult } from '../http/http-bench';
import type { StampedeResult } from '../stampede/stampede';
import {
  formatCommands,
  formatNumber,
  formatRatio,
  formatSpread,
  percentile,
  pairedRatio,
  spread,
} from '../stats/summary';
import { commandsPerRequest, evaluateFigures, hitOps, roundTripsPerRequest } from './figures';
import type { BenchResults } from './results';

const table = (header: string[], rows: string[][]): string =>
  [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');

const section = (title: string, ...body: string[]): string => [`## ${title}`, ...body].join('\n\n');

/** RESULTS.md: machine, versions, the figures P1–P8, then one table per scenario. */
export function renderResults(results: BenchResults): string {
  const { environment: env, config } = results;
  const mode = config.quick
    ? 'QUICK smoke run (BENCH_QUICK=1): short slices, not for conclusions'
    : 'full run';
  return (
    [
      '# Benchmark results',
      `Written by \`npm run bench\` (bench/) on ${env.date}: ${mode}, ${results.seconds.toFixed(0)} s.`,
      machine(results),
      versions(results),
      method(results),
      figures(results),
      hitPath(results),
      stampedes(results),
      http(
        results,
        'rate-limit',
        "HTTP: rate-limited route (`GET /limited` vs the same app's unguarded `GET /open`)",
      ),
      http(
        results,
        'users',
        "HTTP: cached `GET /users/:id` (vs the same app's uncached `GET /raw/users/:id`)",
      ),
      http(
        results,
        'revocation',
        'HTTP: `GET /me` behind JwtRevocationGuard (vs the same app\'s unguarded `GET /open`): Redis against the memory store, the ceiling of a local cache of "not revoked" answers',
      ),
      memory(results),
      coherence(results),
      results.notes.length ? section('Notes', results.notes.map((n) => `- ${n}`).join('\n')) : '',
    ]
      .filter(Boolean)
      .join('\n\n') + '\n'
  );
}

function machine({ environment: env, loadAverageEnd }: BenchResults): string {
  return section(
    'Machine',
    table(
      ['', ''],
      [
        ['CPU', `${env.cpu}, ${env.cores} cores`],
        ['Memory', `${env.memoryGiB.toFixed(1)} GiB`],
        ['OS', env.os],
        ['Node', env.node],
        ['Redis', `${env.redis} (the bench's own, on a free loopback port)`],
        ['Load average (1/5/15 min) at start / end', `${env.loadAverage} / ${loadAverageEnd}`],
      ],
    ),
  );
}

function versions({ environment: env }: BenchResults): string {
  return section(
    'Versions',
    table(['Package', 'Version'], [['this module', env.library], ...env.versions]),
  );
}

function method(results: BenchResults): string {
  const { config } = results;
  const m = config.micro;
  const h = config.http;
  return section(
    'How it was measured',
    [
      `- One process runs the microbenchmarks; contenders are interleaved: each repetition gives every contender one ${m.sliceMs} ms slice, in an order that rotates and reverses between repetitions (none always first, none always right after the same rival), after one unmeasured warm-up slice each. ${m.reps} repetitions. Values are medians with (min–max) over repetitions; ratios are paired: the median of the per-repetition ratios.`,
      `- Every contender reads the same ~150-byte user record; distinct keys cycle over ${m.distinctKeys} keys filled beforehand, so every read is a hit (the loader-call column proves it).`,
      "- Redis commands per operation come from `INFO commandstats` snapshots taken right before and after each slice (the same as a CONFIG RESETSTAT between contenders, without resetting; the bench's own INFO/CONFIG excluded).",
      '- Yardsticks: "ioredis GET + JSON.parse" uses the client\'s defaults (no auto-pipelining) as the issue asks; the auto-pipelined row is shown beside it. This module\'s client does not auto-pipeline: it holds the writes issued during one pass of the event loop\'s I/O phase in the socket (cork) and sends them in one syscall. This module hands every caller its own copy: the memory store decodes the bytes on every hit, L1 decodes once and deep-copies on every hit; so the in-process floors are "Map.get + JSON.parse (own copy)" and the shared-object `Map.get`.',
      '- The module\'s `@Cacheable` coalesces concurrent calls for one key (single flight), and so does @type-cacheable once it has missed: in the "one hot key, 64 in flight" scenario most calls share another\'s read. The distinct-keys scenarios are the per-read cost.',
      `- HTTP: every app runs in its own child process; autocannon (in the parent) sends ${h.connections} connections for ${h.durationS} s per run, ${h.reps} repetition(s), after a ${h.warmupS} s warm-up per route that also fills the caches; \`:id\` routes cycle over ${h.ids} ids so that the requests in flight never share an id; CPU per request is the app process's \`process.cpuUsage()\` delta over the run. Each app serves its guarded/cached route and an unguarded/uncached baseline, measured back to back (route first in half of the repetitions); the apps take turns in the same rotating and reversing order as the microbenchmarks. CPUs: ${results.httpPinning ?? 'not recorded'}; each app gets one core, so its req/s is its CPU cost per request.`,
      '- Everything (Redis, apps, load generator) runs on this machine, whose speed changes over a run (it is shared: the same route has measured 3,000 and 6,000 req/s an hour apart), so absolute numbers are low and noisy; the paired ratios are what the figures use.',
    ].join('\n'),
  );
}

function figures(results: BenchResults): string {
  const rows = evaluateFigures(results).map((f) => [
    f.id,
    f.what,
    f.target,
    f.measured,
    f.pass === undefined ? 'n/a' : f.pass ? 'PASS' : '**MISS**',
  ]);
  return section('Figures P1–P8', table(['Figure', 'What', 'Target', 'Measured', 'Result'], rows));
}

function hitPath(results: BenchResults): string {
  if (!results.hit) return '';
  const tables = results.hit.map(({ scenario, results: rows }) => {
    const body = rows.map((r) => {
      const yardstick = r.spec.tier === 'redis' ? 'raw-ioredis' : 'map';
      if (r.error) return [r.spec.label, `failed: ${r.error}`, '', '', '', '', '', ''];
      const ops = spread(r.opsPerSec);
      const ratio = pairedRatio(r.opsPerSec, hitOps(results, scenario.id, yardstick));
      return [
        r.spec.label,
        formatSpread(ops),
        formatNumber(1e6 / ops.median, 2),
        formatRatio(ratio),
        formatCommands(r.commands, r.ops),
        (r.roundTrips / r.ops).toFixed(2),
        (r.serverUsec / r.ops).toFixed(2),
        String(r.loads),
      ];
    });
    return `### ${scenario.label}\n\n${table(['Contender', 'ops/s', 'µs/op', 'vs yardstick', 'Redis commands/op', 'round trips/op', 'Redis server µs/op', 'loader calls'], body)}`;
  });
  return section(
    'Hit path',
    'Yardstick: raw ioredis GET + JSON.parse for Redis hits, `Map.get` for in-process hits. µs/op is 1/throughput (the latency when sequential). ' +
      '"Redis commands/op" is the `INFO commandstats` delta, which also counts the commands a Lua script runs inside Redis; ' +
      '"round trips/op" counts the commands the client sent (ioredis clients counted as they send, node-redis from commandstats: it sends no scripts); ' +
      '"Redis server µs/op" is the commandstats `usec` delta: the time the single Redis thread spent per operation.',
    ...tables,
  );
}

function stampedes(results: BenchResults): string {
  const render = (title: string, rows?: StampedeResult[]) =>
    rows
      ? `### ${title}\n\n${table(
          ['Contender', 'loader calls per run', 'all callers served (ms)', 'wrong values'],
          rows.map((r) =>
            r.error
              ? [r.spec.label, `failed: ${r.error}`, '', '']
              : [r.spec.label, r.loads.join(', '), formatSpread(spread(r.ms)), String(r.wrong)],
          ),
        )}`
      : '';
  const { callers, processes, loaderMs } = results.config.stampede;
  if (!results.stampedeInProcess && !results.stampedeAcrossProcesses) return '';
  return section(
    'Stampede',
    `${callers} callers ask for one missing key at once; the loader takes ${loaderMs} ms. Each run uses a key never used before.`,
    render('1 process', results.stampedeInProcess),
    render(
      `${processes} processes x ${callers / processes} callers (shared Redis; in-process caches cannot share a load)`,
      results.stampedeAcrossProcesses,
    ),
  );
}

function http(
  results: BenchResults,
  group: HttpVariantResult['variant']['group'],
  title: string,
): string {
  const rows = results.http?.filter((r) => r.variant.group === group);
  if (!rows?.length) return '';
  const rps = (runs: HttpVariantResult['route']['runs']) => runs.map((r) => r.reqPerSec);
  const body = rows.map((v) => {
    if (v.error) return [v.variant.label, `failed: ${v.error}`, '', '', '', '', '', '', ''];
    const med = (
      runs: HttpVariantResult['route']['runs'],
      f: (r: (typeof runs)[number]) => number,
    ) => spread(runs.map(f)).median;
    const failures =
      v.route.runs.reduce((s, r) => s + r.failures, 0) +
      v.baseline.runs.reduce((s, r) => s + r.failures, 0);
    return [
      v.variant.label,
      formatSpread(spread(rps(v.route.runs))),
      formatSpread(spread(rps(v.baseline.runs))),
      formatRatio(pairedRatio(rps(v.route.runs), rps(v.baseline.runs))),
      `${med(v.route.runs, (r) => r.p50Ms)} / ${med(v.route.runs, (r) => r.p99Ms)} (${med(v.baseline.runs, (r) => r.p50Ms)} / ${med(v.baseline.runs, (r) => r.p99Ms)})`,
      `${formatNumber(med(v.route.runs, (r) => r.cpuUsPerRequest))} (${formatNumber(med(v.baseline.runs, (r) => r.cpuUsPerRequest))})`,
      v.variant.uses === 'redis'
        ? formatNumber(med(v.route.runs, (r) => r.redisCpuUsPerRequest))
        : '–',
      commandsPerRequest(v.route.runs).toFixed(2),
      roundTripsPerRequest(v.route.runs).toFixed(2),
      String(failures),
    ];
  });
  return section(
    title,
    table(
      [
        'Variant',
        'req/s',
        'baseline req/s',
        'vs baseline',
        'p50 / p99 ms (baseline)',
        'CPU µs/req (baseline)',
        'Redis server CPU µs/req',
        'Redis cmds/req',
        'round trips/req',
        'non-2xx + errors',
      ],
      body,
    ),
  );
}

function memory(results: BenchResults): string {
  const m = results.memory;
  if (!m) return '';
  const mib = (n: number) => (n / 1024 ** 2).toFixed(1);
  const distinct = m.distinct.map((d) =>
    d.error
      ? `- ${d.path}: failed: ${d.error}`
      : `- ${d.path}: RSS MiB at ${d.samples.map((s) => `${formatNumber(s.keys)}=${mib(s.rss)}`).join(', ')}; heap used ${mib(d.samples[0].heapUsed)} → ${mib(d.samples[d.samples.length - 1].heapUsed)} MiB`,
  );
  const l1 = table(
    ['payload', 'maxBytes', 'heldBytes', 'entries held', 'heap growth', 'RSS growth'],
    m.l1.map((r) => [
      `${r.payloadBytes} B`,
      `${mib(r.maxBytes)} MiB`,
      `${mib(r.heldBytes)} MiB`,
      formatNumber(r.held),
      `${mib(r.heapGrowth)} MiB (${(r.heapGrowth / r.maxBytes).toFixed(2)}x)`,
      `${mib(r.rssGrowth)} MiB`,
    ]),
  );
  return section(
    'L1 / memory store memory (P8)',
    `Each path in a fresh process run with --expose-gc; samples after two full GCs. ${formatNumber(m.keys)} distinct keys.`,
    distinct.join('\n'),
    `L1Cache filled with ${formatNumber(results.config.memory.l1Entries)} entries per payload size:`,
    l1,
    m.error ? `L1 run failed: ${m.error}` : '',
  );
}

function coherence(results: BenchResults): string {
  const rows = results.coherence ?? [];
  if (rows.length === 0) return '';
  const ms = (values: number[], p: number) => percentile(values, p).toFixed(2);
  return section(
    'L1 coherence across instances',
    "Two processes with L1 on the bench Redis. Per sample, A writes a key, B reads it into its L1 and then reads it once per event-loop turn while A changes it; the figure is the time from A's change returning to B's last read of the old value (0 when B never read it after). Times are `process.hrtime` (one monotonic clock for both processes).",
    table(
      [
        'change on A',
        'samples',
        'stale p50 ms',
        'stale p99 ms',
        'stale max ms',
        'missed',
        'B reads per watch (median)',
      ],
      rows.map((r) => [
        `\`${r.op}\``,
        formatNumber(r.staleMs.length),
        ms(r.staleMs, 50),
        ms(r.staleMs, 99),
        Math.max(...r.staleMs).toFixed(2),
        String(r.timeouts),
        formatNumber(percentile(r.reads, 50)),
      ]),
    ),
  );
}
