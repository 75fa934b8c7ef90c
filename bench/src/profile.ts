/**
 * Runs one hit-path contender in one scenario for a while, for `node --cpu-prof`:
 *
 *   node --cpu-prof --cpu-prof-dir=profiles build/bench/src/profile.js module-cacheable-redis c64-distinct 5
 *   node scripts/cpuprofile-top.mjs profiles/<file>.cpuprofile
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { contenderById } from './contenders/registry';
import { countingLoader, ids } from './fixtures';
import { BenchRedis } from './infra/redis-server';
import { HIT_SCENARIOS } from './micro/hit-path';

async function main(): Promise<void> {
  const [contenderId, scenarioId = 'c64-distinct', seconds = '5'] = process.argv.slice(2);
  const scenario = HIT_SCENARIOS.find((s) => s.id === scenarioId);
  if (!contenderId || !scenario) {
    throw new Error(
      `usage: profile.js <contender> <${HIT_SCENARIOS.map((s) => s.id).join('|')}> [seconds]`,
    );
  }
  const redis = await BenchRedis.start();
  try {
    const loader = countingLoader();
    const contender = await contenderById(contenderId).create({
      redisUrl: redis.url,
      loader: loader.load,
      namespace: 'profile',
    });
    const keys = ids(1000);
    for (let pass = 0; pass < 2; pass++) for (const key of keys) await contender.read(key);
    let cursor = 0;
    let ops = 0;
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    const deadline = start + Number(seconds) * 1000;
    const reader = async (): Promise<void> => {
      while (performance.now() < deadline) {
        for (let j = 0; j < 16; j++)
          await contender.read(scenario.hot ? keys[0] : keys[cursor++ % keys.length]);
        ops += 16;
      }
    };
    await Promise.all(Array.from({ length: scenario.concurrency }, reader));
    const opsPerSec = (ops / (performance.now() - start)) * 1000;
    const cpu = process.cpuUsage(cpuBefore);
    console.log(
      `${contenderId} ${scenario.id}: ${Math.round(opsPerSec)} ops/s, ${((cpu.user + cpu.system) / ops).toFixed(1)} µs CPU/op (this process), ${loader.calls()} loader calls (incl. the fill)`,
    );
    // Server-side cost per command: a Lua script costs Redis more than the GET it wraps.
    for (const line of (await redis.info('commandstats')).split('\r\n')) {
      if (/^cmdstat_(get|evalsha|eval):/.test(line)) console.log(`  ${line}`);
    }
    await contender.close();
  } finally {
    await redis.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
