// What a turn costs: several HTTP apps (ids of `src/http/variants.ts`), pinned like the bench's,
// take turns as in `npm run bench`; each turn is a few runs of 0.5 s back to back (`r` the
// variant's route, `b` its baseline; `r:0.1` a 0.1 s run), and each run prints the app's CPU per
// request. It is how the bench's HTTP_APP_NODE_FLAGS were chosen (src/http/http-bench.ts):
//
//   node scripts/turn-probe.cjs 2 r,b,r,b module-redis-2,nest-admit-all,throttler-redis-2,users-module-redis
//   PROBE_NODE_FLAGS=--no-memory-reducer node scripts/turn-probe.cjs 2 r,b,r,b module-redis-2,...
//
// PROBE_NODE_FLAGS (default: none) are the apps' Node flags; PROBE_GAP_MS an idle pause before
// each turn.
const path = require('node:path');
const autocannon = require('autocannon');

const [rounds = '2', sequence = 'r,b,r,b', ids = 'module-redis-2,nest-admit-all'] =
  process.argv.slice(2);
const flags = (process.env.PROBE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const GAP_MS = Number(process.env.PROBE_GAP_MS ?? 0);
const built = (file) => require(path.resolve(__dirname, '..', 'build/bench/src', file));

function load(port, route, seconds) {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 32,
    duration: seconds,
    requests: [{ path: route }],
  });
}

async function cpuPerRequest(app, route, seconds) {
  const before = await app.child.ask({ type: 'cpu' }, 'cpu');
  await load(app.port, route, seconds);
  const after = await app.child.ask({ type: 'cpu' }, 'cpu');
  const cpu = after.usage.user + after.usage.system - before.usage.user - before.usage.system;
  return cpu / (after.received - before.received);
}

async function main() {
  const { HTTP_VARIANTS } = built('http/variants.js');
  const { BenchRedis } = built('infra/redis-server.js');
  const { BenchChild } = built('infra/child.js');
  const pinning = built('infra/cpu-pinning.js').CpuPinning.detect();
  const redis = await BenchRedis.start();
  const apps = [];
  try {
    pinning?.pin(process.pid, pinning.loadCpus);
    pinning?.pin(redis.pid, pinning.loadCpus);
    for (const id of ids.split(',')) {
      const variant = HTTP_VARIANTS.find((v) => v.id === id);
      if (!variant || variant.route.includes(':id')) throw new Error(`Unusable variant '${id}'`);
      const env = { BENCH_REDIS_URL: redis.url };
      const { child, ready } = await BenchChild.start('http/http-app', [id], env, flags);
      pinning?.pin(child.pid, pinning.appCpus);
      apps.push({ variant, child, port: Number(ready.port) });
    }
    for (const app of apps) {
      for (const route of [app.variant.route, app.variant.baseline])
        await load(app.port, route, 1.5);
    }
    for (let round = 0; round < Number(rounds); round++) {
      for (const app of apps) {
        await new Promise((resolve) => setTimeout(resolve, GAP_MS));
        const runs = [];
        for (const step of sequence.split(',')) {
          const [which, seconds = '0.5'] = step.split(':');
          const route = which === 'r' ? app.variant.route : app.variant.baseline;
          runs.push(`${step}=${(await cpuPerRequest(app, route, Number(seconds))).toFixed(0)}`);
        }
        console.log(`${app.variant.id.padEnd(28)} round ${round}  µs/request: ${runs.join(' ')}`);
      }
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
