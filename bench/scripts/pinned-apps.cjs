// What http-ab.cjs and turn-probe.cjs share: the bench's Redis and HTTP apps, started and pinned as
// in `npm run bench` (src/http/http-bench.ts), a load of autocannon, and the app's CPU per request.
const fs = require('node:fs');
const path = require('node:path');
const autocannon = require('autocannon');

const bench = path.resolve(__dirname, '..');
/** A compiled module of a build folder (`build`, or a copy such as `build-base`). */
const built = (dir, file) => require(path.join(bench, dir, 'bench/src', file));

/**
 * Starts Redis and one app per `{ dir, id }` (a build folder and an id of `src/http/variants.ts`)
 * with `nodeFlags`, runs `use(apps)`, then stops them all. Each app is
 * `{ dir, variant, child, redis, port }` (`redis`: the one Redis all apps share).
 */
async function withPinnedApps(specs, nodeFlags, use) {
  const { HTTP_VARIANTS } = built('build', 'http/variants.js');
  const { BenchRedis } = built('build', 'infra/redis-server.js');
  const pinning = built('build', 'infra/cpu-pinning.js').CpuPinning.detect();
  const redis = await BenchRedis.start();
  const apps = [];
  try {
    pinning?.pin(process.pid, pinning.loadCpus);
    pinning?.pin(redis.pid, pinning.loadCpus);
    for (const { dir, id } of specs) {
      const variant = HTTP_VARIANTS.find((v) => v.id === id);
      if (!variant) throw new Error(`Unknown HTTP variant '${id}'`);
      const { BenchChild } = built(dir, 'infra/child.js');
      const env = { BENCH_REDIS_URL: redis.url };
      const { child, ready } = await BenchChild.start('http/http-app', [id], env, nodeFlags);
      pinning?.pin(child.pid, pinning.appCpus);
      apps.push({ dir, variant, child, redis, port: Number(ready.port) });
    }
    return await use(apps);
  } finally {
    await Promise.all(apps.map((app) => app.child.stop()));
    await redis.stop();
  }
}

/** Connections of each load (`AB_CONNECTIONS`, default 32 as in the bench). */
const CONNECTIONS = Number(process.env.AB_CONNECTIONS ?? 32);

/** autocannon on one route with {@link CONNECTIONS} connections; `:id` cycles over ids 1-200. */
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

/**
 * One load of `seconds` on `route`: req/s, the app's CPU (µs) and the Redis server's CPU (µs, from
 * `INFO cpu`) per request the app received, failures.
 */
async function measure(app, route, seconds) {
  const before = await app.child.ask({ type: 'cpu' }, 'cpu');
  const redisBefore = await app.redis.cpuUs();
  const kernelBefore = kernelCounts(app.child.pid);
  const loaderBefore = kernelCounts(process.pid);
  const result = await load(app.port, route, seconds);
  const loaderAfter = kernelCounts(process.pid);
  const kernelAfter = kernelCounts(app.child.pid);
  const redisAfter = await app.redis.cpuUs();
  const after = await app.child.ask({ type: 'cpu' }, 'cpu');
  const cpu = after.usage.user + after.usage.system - before.usage.user - before.usage.system;
  const received = after.received - before.received;
  const perRequest = (name, after = kernelAfter, before = kernelBefore) =>
    (after[name] - before[name]) / received;
  return {
    reqPerSec: result.requests.average,
    cpuPerRequest: cpu / received,
    // the part of it spent in the kernel (system calls, waking other processes)
    systemCpuPerRequest: (after.usage.system - before.usage.system) / received,
    redisCpuPerRequest: (redisAfter - redisBefore) / received,
    // How often the app slept waiting for work (a wake-up each), and its read and write system
    // calls, per request (Linux /proc; NaN elsewhere).
    wakeupsPerRequest: perRequest('voluntary_ctxt_switches'),
    // the same for the load generator (autocannon, in this process)
    loaderWakeupsPerRequest: perRequest('voluntary_ctxt_switches', loaderAfter, loaderBefore),
    readsPerRequest: perRequest('syscr'),
    writesPerRequest: perRequest('syscw'),
    failures: result.non2xx + result.errors,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

/** A process's context switches (`/proc/<pid>/status`) and system call counts (`/proc/<pid>/io`). */
function kernelCounts(pid) {
  const counts = {};
  for (const file of ['status', 'io']) {
    let text = '';
    try {
      text = fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
    } catch {
      // not Linux, or the process is gone: the figures read NaN
    }
    for (const [, name, value] of text.matchAll(/^(\w+):\s+(\d+)$/gm)) counts[name] = Number(value);
  }
  return new Proxy(counts, { get: (target, name) => target[name] ?? NaN });
}

/** Runs `main`; prints its error and exits 1 if it fails. */
function runScript(main) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

module.exports = { built, withPinnedApps, load, measure, runScript };
