// A/B of hit-path contenders in one process: every contender (a build folder and a contender id)
// reads through the same Redis, in turns of 300 ms, the order reversed every round, so that the
// machine's changes of speed fall on all of them alike. Prints the medians and each contender's
// paired ratio to the first.
//
//   cp -r build build-base            # before the change (then rebuild: npm run build)
//   node scripts/hit-ab.cjs seq-distinct 40 build:raw-ioredis build-base:module-cacheable-redis build:module-cacheable-redis
//
// Scenarios are those of `src/micro/hit-path.ts` (seq-distinct, c64-distinct, ...). One process
// loads every build, so they share ioredis and Nest from bench/node_modules.
//
// HIT_AB_PIN=1 pins Redis to CPU 0 and this process to CPU 1 (taskset): on this 2-core machine,
// the sequential figures then vary less from run to run (raw ioredis read 17,000-26,000 hits/s
// unpinned in one afternoon).
require('reflect-metadata');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const [scenarioId, rounds = '30', ...specs] = process.argv.slice(2);
const bench = path.resolve(__dirname, '..');
const TURN_MS = 300;

// The bench's own summaries (compiled into build/ by `npm run build`).
const { spread, pairedRatio } = require(path.join(bench, 'build/bench/src/stats/summary.js'));
const median = (values) => spread(values).median;

async function turn(contender, scenario, ms) {
  let cursor = 0;
  let ops = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const end = start + ms;
  const reader = async () => {
    while (performance.now() < end) {
      for (let j = 0; j < 16; j++) {
        const keys = contender.keys;
        await contender.cache.read(scenario.hot ? keys[0] : keys[cursor++ % keys.length]);
      }
      ops += 16;
    }
  };
  await Promise.all(Array.from({ length: scenario.concurrency }, reader));
  const cpu = process.cpuUsage(cpuBefore);
  return {
    opsPerSec: (ops / (performance.now() - start)) * 1000,
    cpuPerOp: (cpu.user + cpu.system) / ops,
  };
}

async function main() {
  const builtIn = (dir, file) => require(path.join(bench, dir, 'bench/src', file));
  const { HIT_SCENARIOS } = builtIn('build', 'micro/hit-path.js');
  const scenario = HIT_SCENARIOS.find((s) => s.id === scenarioId);
  if (!scenario || specs.length === 0) {
    throw new Error('usage: hit-ab.cjs <scenario> <rounds> <build:contender>...');
  }
  const { BenchRedis } = builtIn('build', 'infra/redis-server.js');
  const redis = await BenchRedis.start();
  if (process.env.HIT_AB_PIN === '1') {
    const { execFileSync } = require('node:child_process');
    execFileSync('taskset', ['-a', '-pc', '0', String(redis.pid)], { stdio: 'ignore' });
    execFileSync('taskset', ['-a', '-pc', '1', String(process.pid)], { stdio: 'ignore' });
  }
  const contenders = [];
  try {
    for (const [i, spec] of specs.entries()) {
      const [dir, id] = spec.split(':');
      const { contenderById } = builtIn(dir, 'contenders/registry.js');
      const { countingLoader, ids } = builtIn(dir, 'fixtures.js');
      const cache = await contenderById(id).create({
        redisUrl: redis.url,
        loader: countingLoader().load,
        namespace: `ab${i}`,
      });
      const keys = ids(1000);
      for (let pass = 0; pass < 2; pass++) for (const key of keys) await cache.read(key);
      contenders.push({ spec, cache, keys, opsPerSec: [], cpuPerOp: [] });
    }
    for (const contender of contenders) await turn(contender, scenario, 2 * TURN_MS);
    for (let round = 0; round < Number(rounds); round++) {
      const order = round % 2 ? [...contenders].reverse() : contenders;
      for (const contender of order) {
        const { opsPerSec, cpuPerOp } = await turn(contender, scenario, TURN_MS);
        contender.opsPerSec.push(opsPerSec);
        contender.cpuPerOp.push(cpuPerOp);
      }
    }
    const first = contenders[0].opsPerSec;
    for (const c of contenders) {
      const ratio = pairedRatio(c.opsPerSec, first).median;
      console.log(
        `${c.spec.padEnd(42)} ${median(c.opsPerSec).toFixed(0).padStart(8)} ops/s  ` +
          `${median(c.cpuPerOp).toFixed(1).padStart(6)} µs CPU/op  ${ratio.toFixed(3)}x the first (paired median)`,
      );
    }
  } finally {
    for (const contender of contenders) await contender.cache.close();
    await redis.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
