import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, type RedisServer } from '../harness';
import { uniqueNamespace } from '../contract/cache-store.contract';
import { cacheApp } from '../support/cache-app';

/** Handles that keep a process alive: sockets and timers, not the runner's own pipes. */
function liveHandles(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((kind) => kind === 'TCPSocketWrap' || kind === 'Timeout');
}

describe('module lifecycle', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server.stop());

  async function cycle(url: string | undefined): Promise<void> {
    const { app, cache } = await cacheApp(
      { namespace: uniqueNamespace(), redis: url ? { url, connectTimeout: 200 } : undefined },
      {},
      { awaitRedis: false },
    );
    await cache.getOrSet('k', () => 1);
    await cache.del('k');
    await app.close();
  }

  it.each([
    ['the memory store', () => undefined],
    ['a running Redis', () => server.url],
    ['a Redis that is down', () => 'redis://127.0.0.1:1'],
  ])('leaves no socket or timer behind after app.close() on %s', async (_name, url) => {
    const before = liveHandles().length;
    for (let i = 0; i < 5; i++) await cycle(url());
    // ioredis's own disconnect timer is 100 ms (see redis-connection.ts); other suites sharing
    // this process may still hold a short timer of their own, so allow the count to settle.
    const deadline = Date.now() + 1000;
    while (liveHandles().length > before && Date.now() < deadline) await sleep(50);
    expect(liveHandles().length).toBeLessThanOrEqual(before);
  });

  it('leaks no socket, timer or process listener over 100 start/stop cycles on Redis', async () => {
    const handlesBefore = liveHandles().length;
    const listenersBefore = processListeners();
    for (let i = 0; i < 100; i++) await cycle(server.url);
    const deadline = Date.now() + 1000;
    while (liveHandles().length > handlesBefore && Date.now() < deadline) await sleep(50);
    expect(liveHandles().length).toBeLessThanOrEqual(handlesBefore);
    expect(processListeners()).toEqual(listenersBefore);
  });
});

/** How many listeners the process has per event: a leak grows one of them every cycle. */
function processListeners(): Record<string, number> {
  return Object.fromEntries(
    process.eventNames().map((name) => [String(name), process.listenerCount(name)]),
  );
}
