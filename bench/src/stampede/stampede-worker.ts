/**
 * Child process of the cross-process stampede: builds one contender on the shared Redis (every
 * worker of a run uses the same namespace), then on each `go` fires its callers at one missing key
 * and reports how often its loader ran.
 */
import 'reflect-metadata';
import { countingLoader } from '../fixtures';
import { contenderById } from '../contenders/registry';
import { failChild, tellParent, type ChildMessage } from '../infra/child';

async function main(): Promise<void> {
  const [id, namespace, loaderMs] = process.argv.slice(2);
  const loader = countingLoader(Number(loaderMs));
  const contender = await contenderById(id).create({
    redisUrl: process.env.BENCH_REDIS_URL ?? '',
    loader: loader.load,
    namespace,
  });
  process.on('message', (message: ChildMessage) => {
    if (message.type !== 'go') return;
    const before = loader.calls();
    const key = String(message.key);
    const callers = Number(message.callers);
    Promise.all(Array.from({ length: callers }, () => contender.read(key)))
      .then((values) => {
        const wrong = values.filter((v) => (v as { id?: string } | null)?.id !== key).length;
        tellParent({ type: 'done', loads: loader.calls() - before, wrong });
      })
      .catch(failChild);
  });
  process.once('SIGTERM', () => void contender.close().finally(() => process.exit(0)));
  tellParent({ type: 'ready' });
}

main().catch(failChild);
