// A/B of HTTP apps: each `build:variant` (a build folder and an id of `src/http/variants.ts`) runs
// in its own process, pinned to the last CPU while this script (autocannon) and Redis run on the
// others, as in the bench. Runs of `seconds` alternate between the apps, the order reversed every
// round. Prints median req/s and CPU per request, and each app's paired CPU ratio to the first.
//
//   cp -r build build-base            # before the change (then rebuild: npm run build)
//   node scripts/http-ab.cjs 20 build-base:module-redis-2 build:module-redis-2
//   node scripts/http-ab.cjs 20 build:nest-redis-get build:module-redis-2
//
// Each app serves its variant's guarded or cached route (`:id` cycles over 200 ids), with the
// bench's Node flags (HTTP_APP_NODE_FLAGS in src/http/http-bench.ts).
const path = require('node:path');
const autocannon = require('autocannon');

const [rounds = '20', ...specs] = process.argv.slice(2);
const bench = path.resolve(__dirname, '..');
const SECONDS = 1;
/** An idle pause before each round (`AB_GAP_MS`), as an app gets between its turns in the bench. */
const GAP_MS = Number(process.env.AB_GAP_MS ?? 0);
const CONNECTIONS = 32;

// The bench's own summaries (compiled into build/ by `npm run build`).
const { spread, pairedRatio } = require(path.join(bench, 'build/bench/src/stats/summary.js'));
const median = (values) => spread(values).median;

function load(port, route, seconds) {
  let next = 0;
  const request = route.includes(':id')
    ? {
        setupRequest: (req) => ({ ...req, path: route.replace(':id', String((next++ % 200) + 1)) }),
      }
    : { path: route };
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [request],
  });
}

async function run(app, route) {
  const before = await app.child.ask({ type: 'cpu' }, 'cpu');
  const result = await load(app.port, route, SECONDS);
  const after = await app.child.ask({ type: 'cpu' }, 'cpu');
  const cpu = after.usage.user + after.usage.system - before.usage.user - before.usage.system;
  return {
    reqPerSec: result.requests.average,
    cpuPerRequest: cpu / (after.received - before.received),
    failures: result.non2xx + result.errors,
  };
}

async function main() {
  const built = (dir, file) => require(path.join(bench, dir, 'bench/src', file));
  const { HTTP_VARIANTS } = built('build', 'http/variants.js');
  if (specs.length === 0) throw new Error('usage: http-ab.cjs <rounds> <build>:<variant>...');
  const { BenchRedis } = built('build', 'infra/redis-server.js');
  const pinning = built('build', 'infra/cpu-pinning.js').CpuPinning.detect();
  const redis = await BenchRedis.start();
  const apps = [];
  try {
    pinning?.pin(process.pid, pinning.loadCpus);
    pinning?.pin(redis.pid, pinning.loadCpus);
    for (const spec of specs) {
      const [dir, id] = spec.split(':');
      const variant = HTTP_VARIANTS.find((v) => v.id === id);
      if (!variant) throw new Error(`Unknown HTTP variant '${id}'`);
      const { BenchChild } = built(dir, 'infra/child.js');
      const { HTTP_APP_NODE_FLAGS } = built('build', 'http/http-bench.js');
      const { child, ready } = await BenchChild.start(
        'http/http-app',
        [variant.id],
        { BENCH_REDIS_URL: redis.url },
        HTTP_APP_NODE_FLAGS,
      );
      pinning?.pin(child.pid, pinning.appCpus);
      apps.push({ spec, route: variant.route, child, port: Number(ready.port), runs: [] });
    }
    for (const app of apps) await load(app.port, app.route, 1.5); // warm-up, fills the caches
    for (let round = 0; round < Number(rounds); round++) {
      await new Promise((resolve) => setTimeout(resolve, GAP_MS));
      for (const app of round % 2 ? [...apps].reverse() : apps)
        app.runs.push(await run(app, app.route));
    }
    const first = apps[0].runs;
    for (const app of apps) {
      const cpu = (runs) => runs.map((r) => r.cpuPerRequest);
      const ratio = pairedRatio(cpu(app.runs), cpu(first)).median;
      const failures = app.runs.reduce((sum, r) => sum + r.failures, 0);
      console.log(
        `${app.spec.padEnd(32)} ${median(app.runs.map((r) => r.reqPerSec))
          .toFixed(0)
          .padStart(6)} req/s  ` +
          `${median(app.runs.map((r) => r.cpuPerRequest))
            .toFixed(1)
            .padStart(6)} µs CPU/request  ` +
          `CPU ${ratio.toFixed(3)}x the first (paired median)  ${failures} failures`,
      );
    }
  } finally {
    await Promise.all(apps.map((app) => app.child.stop()));
    await redis.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
