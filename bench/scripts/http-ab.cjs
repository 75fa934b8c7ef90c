// A/B of HTTP apps: each `build:variant` (a build folder and an id of `src/http/variants.ts`) runs
// in its own process, pinned to the last CPU while this script (autocannon) and Redis run on the
// others, as in the bench. Runs of `seconds` alternate between the apps, the order reversed every
// round. Prints median req/s, the app's and the Redis server's CPU per request, and each app's paired
// CPU and req/s ratios to the first.
//
//   cp -r build build-base            # before the change (then rebuild: npm run build)
//   node scripts/http-ab.cjs 20 build-base:module-redis-2 build:module-redis-2
//   node scripts/http-ab.cjs 20 build:nest-redis-get build:module-redis-2
//
// Each app serves its variant's guarded or cached route (`:id` cycles over 200 ids), with the
// bench's Node flags (HTTP_APP_NODE_FLAGS in src/http/http-bench.ts).
const { built, withPinnedApps, load, measure, runScript } = require('./pinned-apps.cjs');

const [rounds = '20', ...specs] = process.argv.slice(2);
const SECONDS = 1;
/** An idle pause before each round (`AB_GAP_MS`), as an app gets between its turns in the bench. */
const GAP_MS = Number(process.env.AB_GAP_MS ?? 0);

// The bench's own summaries (compiled into build/ by `npm run build`).
const { spread, pairedRatio } = built('build', 'stats/summary.js');
const median = (values) => spread(values).median;

async function main() {
  if (specs.length === 0) throw new Error('usage: http-ab.cjs <rounds> <build>:<variant>...');
  const { HTTP_APP_NODE_FLAGS } = built('build', 'http/http-bench.js');
  const parsed = specs.map((spec) => {
    const [dir, id] = spec.split(':');
    return { dir, id };
  });
  await withPinnedApps(parsed, HTTP_APP_NODE_FLAGS, async (apps) => {
    for (const app of apps) await load(app.port, app.variant.route, 1.5); // warm-up, fills the caches
    const runs = new Map(apps.map((app) => [app, []]));
    for (let round = 0; round < Number(rounds); round++) {
      await new Promise((resolve) => setTimeout(resolve, GAP_MS));
      for (const app of round % 2 ? [...apps].reverse() : apps)
        runs.get(app).push(await measure(app, app.variant.route, SECONDS));
    }
    const cpu = (app) => runs.get(app).map((r) => r.cpuPerRequest);
    for (const app of apps) {
      const ratio = pairedRatio(cpu(app), cpu(apps[0])).median;
      const failures = runs.get(app).reduce((sum, r) => sum + r.failures, 0);
      const rates = (of) => runs.get(of).map((r) => r.reqPerSec);
      const reqPerSec = median(rates(app));
      const rateRatio = pairedRatio(rates(app), rates(apps[0])).median;
      const redisCpu = median(runs.get(app).map((r) => r.redisCpuPerRequest));
      const p50 = median(runs.get(app).map((r) => r.p50));
      const p99 = median(runs.get(app).map((r) => r.p99));
      const kernel = (name) => median(runs.get(app).map((r) => r[name])).toFixed(2);
      console.log(
        `${`${app.dir}:${app.variant.id}`.padEnd(32)} ${reqPerSec.toFixed(0).padStart(6)} req/s  ` +
          `${median(cpu(app)).toFixed(1).padStart(6)} µs CPU/request ` +
          `(${median(runs.get(app).map((r) => r.systemCpuPerRequest)).toFixed(1)} system)  ` +
          `Redis ${redisCpu.toFixed(1).padStart(5)} µs/request  ` +
          `CPU ${ratio.toFixed(3)}x, req/s ${rateRatio.toFixed(3)}x the first (paired medians)  ` +
          `p50/p99 ${p50}/${p99} ms  ` +
          `per request: ${kernel('wakeupsPerRequest')} wake-ups, ` +
          `${kernel('readsPerRequest')} reads, ${kernel('writesPerRequest')} writes; ` +
          `load generator ${kernel('loaderWakeupsPerRequest')} wake-ups  ` +
          `${failures} failures`,
      );
    }
  });
}

runScript(main);
