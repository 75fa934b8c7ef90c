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
const { withPinnedApps, load, measure, runScript } = require('./pinned-apps.cjs');

const [rounds = '2', sequence = 'r,b,r,b', ids = 'module-redis-2,nest-admit-all'] =
  process.argv.slice(2);
const flags = (process.env.PROBE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const GAP_MS = Number(process.env.PROBE_GAP_MS ?? 0);

async function main() {
  const specs = ids.split(',').map((id) => ({ dir: 'build', id }));
  await withPinnedApps(specs, flags, async (apps) => {
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
          const { cpuPerRequest } = await measure(app, route, Number(seconds));
          runs.push(`${step}=${cpuPerRequest.toFixed(0)}`);
        }
        console.log(`${app.variant.id.padEnd(28)} round ${round}  µs/request: ${runs.join(' ')}`);
      }
    }
  });
}

runScript(main);
