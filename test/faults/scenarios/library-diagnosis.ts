import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CacheModule, CacheService } from '@app/cache';
import { Redis } from 'ioredis';
import { startRedis } from '../../harness';
import { COMMAND_TIMEOUT_MS } from '../support/app-env';
import { now, sleep } from '../support/clock';
import type { ScenarioReport } from '../support/report';
import { ms } from '../support/stats';

const NAMESPACE = 'fault-suite-diagnosis';

/**
 * Not a figure: measurements that explain the F3 and F4 results, taken on one `CacheService` with
 * the module's own connection settings (commandTimeout 250 ms, auto-pipelining on), and on a bare
 * ioredis client for what Redis itself blocks under `CLIENT PAUSE WRITE`.
 */
export async function libraryDiagnosis(): Promise<ScenarioReport> {
  const redis = await startRedis();
  let context: INestApplicationContext | undefined;
  const bare = new Redis(redis.url, {
    commandTimeout: COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
  });
  bare.on('error', () => undefined);
  const notes: string[] = [];
  try {
    context = await NestFactory.createApplicationContext(
      CacheModule.forRoot({ namespace: NAMESPACE, redis: { url: redis.url } }),
      { logger: false },
    );
    const cache = context.get(CacheService);
    await cache.set('present', { id: 1 });

    await redis.pause();
    const alone = await timed(() => cache.get('present'));
    await sleep(300);
    const [, second] = await Promise.all([
      timed(() => cache.get('present')),
      sleep(100).then(() => timed(() => cache.get('present'))),
    ]);
    await sleep(300);
    const loadMissing = await timed(() => cache.getOrSet('missing', () => 'loaded'));
    await redis.resume();
    notes.push(
      `Redis frozen (SIGSTOP), commandTimeout ${COMMAND_TIMEOUT_MS} ms: one \`cache.get\` alone took ${ms(alone)} ms; a \`cache.get\` sent 100 ms after another one took ${ms(second)} ms (ioredis auto-pipelining runs one pipeline per connection at a time, so a command waits for the pending pipeline to time out before its own ${COMMAND_TIMEOUT_MS} ms start); one \`getOrSet\` of a missing key took ${ms(loadMissing)} ms (a read, a lock and a write, each waiting for its own timeout). An HTTP read of the app adds the rate-limit script before these.`,
    );

    await sleep(300);
    await bare.set(`${NAMESPACE}:k`, 'v');
    await redis.clientPause(3000, 'WRITE');
    const plainGet = await timedBare(() => bare.get(`${NAMESPACE}:k`));
    const readScript = await timedBare(() =>
      bare.eval("return redis.call('GET', KEYS[1])", 1, `${NAMESPACE}:k`),
    );
    const readOnlyScript = await timedBare(() =>
      bare.call('EVAL_RO', "return redis.call('GET', KEYS[1])", 1, `${NAMESPACE}:k`),
    );
    const cacheGet = await timed(() => cache.get('present'));
    await redis.cli('CLIENT', 'UNPAUSE');
    notes.push(
      `\`CLIENT PAUSE WRITE\`: a plain GET answered in ${plainGet}; a read-only Lua script by EVAL in ${readScript}; the same script by EVAL_RO in ${readOnlyScript}; \`cache.get\` (the module reads through a Lua script, GET_ENTRY, by EVALSHA) took ${ms(cacheGet)} ms.${readScript.startsWith('no answer') ? ` This Redis holds script calls during a write pause even when the script only reads${readOnlyScript.startsWith('no answer') ? ' (EVAL_RO included)' : ''}, so every read of the module waits for its timeout.` : ''}`,
    );
    return {
      scenario: 'Diagnosis: one CacheService on a frozen / write-paused Redis (no figure)',
      requests: 0,
      non2xx: '-',
      recover: '-',
      checks: [],
      notes,
    };
  } finally {
    await redis.resume().catch(() => undefined);
    bare.disconnect();
    await context?.close().catch(() => undefined);
    await redis.stop();
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = now();
  await work();
  return now() - started;
}

/** "12 ms", or "no answer (error) after 250 ms". */
async function timedBare(work: () => Promise<unknown>): Promise<string> {
  const started = now();
  try {
    await work();
    return `${ms(now() - started)} ms`;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `no answer (${message}) after ${ms(now() - started)} ms`;
  }
}
