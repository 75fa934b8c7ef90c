// A/B of the rate-limit script (`HIT_LIMITS`) of two or more builds: what one hit costs the Redis
// server, the `INFO commandstats` time of EVALSHA divided by the hits it decided. Every build sends
// the same batches (one tracker, the bench's two sliding-window limits, as the HTTP bench's requests
// do) to one Redis, each to keys of its own, in turns, the order reversed every round. Prints the
// median µs per hit for each batch size and the paired ratio to the first build.
//
//   cp -r build build-base            # before the change (then rebuild: npm run build)
//   node scripts/script-ab.cjs 10 1,8,16,32 build-base build
//
// A turn sends 4,000 hits; the logs reach the size the HTTP bench gives them (tens of thousands of
// entries in the 10 s window) after a few rounds, alike for every build.
const path = require('node:path');
const { Redis } = require('ioredis');

const [rounds = '10', sizes = '1,8,16,32', ...dirs] = process.argv.slice(2);
const bench = path.resolve(__dirname, '..');
const built = (dir, file) => require(path.join(bench, dir, file));
const HITS_PER_TURN = 4000;
/** The limits of the HTTP bench's two-limit route (src/http/rate-limit.apps.ts), as the store sends them. */
const SPEC = 'sliding-window 1000000 1000 0 10000000 10000 0';
const LIMITS = ['burst:1000000:1000', 'sustained:10000000:10000'];
/**
 * Builds before 982fc6f (2026-11-27) kept the sliding-window log in a sorted set (keys `:s:`) and took a
 * unique member before each hit's spec; later ones keep it in a list (keys `:l:`), one spec per hit.
 */
const isSortedSetLog = (script) => script.lua.includes("'ZADD'");

const { spread, pairedRatio } = built('build', 'bench/src/stats/summary.js');

async function turn(client, script, index, size, sequence) {
  const sortedSet = isSortedSetLog(script);
  const keys = [];
  for (let i = 0; i < size; i++) {
    for (const limit of LIMITS) {
      const [name, ...rest] = limit.split(':');
      keys.push(`{ab${index}:rl:ip:127.0.0.1}:${name}:${sortedSet ? 's' : 'l'}:${rest.join(':')}`);
    }
  }
  await client.config('RESETSTAT');
  for (let sent = 0; sent < HITS_PER_TURN; sent += size) {
    const args = []; // a sorted-set log needs a member unique to each hit, as the store made them
    for (let i = 0; i < size; i++) {
      if (sortedSet) args.push(`ab${index}.${sequence.next++}`);
      args.push(SPEC);
    }
    const reply = await script.run(client, keys, args);
    if (!Array.isArray(reply)) throw new Error(`unexpected reply ${String(reply)}`);
  }
  const stats = await client.info('commandstats');
  const usec = Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(stats)?.[1] ?? NaN);
  return usec / HITS_PER_TURN;
}

async function main() {
  if (dirs.length === 0) throw new Error('usage: script-ab.cjs <rounds> <sizes> <build>...');
  const { BenchRedis } = built('build', 'bench/src/infra/redis-server.js');
  const scripts = dirs.map((dir) => built(dir, 'libs/cache/src/rate-limit/rate-limit.scripts.js'));
  const redis = await BenchRedis.start();
  const client = new Redis(redis.url);
  try {
    for (const size of sizes.split(',').map(Number)) {
      const runs = dirs.map(() => []);
      const sequence = { next: 0 };
      for (let round = 0; round < Number(rounds); round++) {
        const order = dirs.map((_, i) => i);
        if (round % 2) order.reverse();
        for (const i of order)
          runs[i].push(await turn(client, scripts[i].HIT_LIMITS, i, size, sequence));
      }
      for (let i = 0; i < dirs.length; i++) {
        const { median, min, max } = spread(runs[i]);
        const ratio = pairedRatio(runs[i], runs[0]).median;
        console.log(
          `${String(size).padStart(3)} hits/call  ${dirs[i].padEnd(12)} ` +
            `${median.toFixed(2).padStart(6)} µs/hit (${min.toFixed(2)}–${max.toFixed(2)})  ` +
            `${ratio.toFixed(3)}x the first (paired median)`,
        );
      }
    }
  } finally {
    client.disconnect();
    await redis.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
