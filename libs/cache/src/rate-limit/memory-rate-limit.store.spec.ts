import fc from 'fast-check';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import type { ResolvedRateLimitRule } from './rate-limit.options';

const rule = (limit: number, window: number, blockFor = 0): ResolvedRateLimitRule => ({
  name: 'default',
  limit,
  window,
  blockFor,
});

function storeAt(start = 1_000_000): { store: MemoryRateLimitStore; clock: { now: number } } {
  const clock = { now: start };
  return { store: new MemoryRateLimitStore(() => clock.now), clock };
}

describe('MemoryRateLimitStore', () => {
  it('sliding-window: never more than limit admitted hits in any interval of length window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 80 }),
        async (limit, window, gaps) => {
          const { store, clock } = storeAt();
          const admitted: number[] = [];
          for (const gap of gaps) {
            clock.now += gap;
            const { allowed } = await store.hit('t', [rule(limit, window)], 'sliding-window');
            if (allowed) admitted.push(clock.now);
          }
          // The (i + limit)-th admitted hit lies at least a window after the i-th.
          for (let i = 0; i + limit < admitted.length; i++) {
            expect(admitted[i + limit] - admitted[i]).toBeGreaterThanOrEqual(window);
          }
        },
      ),
    );
  });

  it('sliding-window: admits whenever fewer than limit hits were admitted in the last window', async () => {
    const { store, clock } = storeAt();
    const rules = [rule(2, 100)];
    expect((await store.hit('t', rules, 'sliding-window')).allowed).toBe(true); // t=0
    clock.now += 60;
    expect((await store.hit('t', rules, 'sliding-window')).allowed).toBe(true); // t=60
    clock.now += 39;
    const denied = await store.hit('t', rules, 'sliding-window'); // t=99
    expect(denied).toMatchObject({ allowed: false, retryAfterMs: 1 });
    clock.now += 1; // t=100: the hit at 0 is a whole window old
    expect((await store.hit('t', rules, 'sliding-window')).allowed).toBe(true);
  });

  it('fixed-window: counts per window aligned to the clock', async () => {
    const { store, clock } = storeAt(1_000_090);
    const rules = [rule(2, 100)];
    const first = await store.hit('t', rules, 'fixed-window');
    expect(first.limits[0].resetMs).toBe(10); // the window [1_000_000, 1_000_100) ends in 10 ms
    await store.hit('t', rules, 'fixed-window');
    expect((await store.hit('t', rules, 'fixed-window')).retryAfterMs).toBe(10);
    clock.now += 10; // a new window: a whole budget, 10 ms after two hits
    expect((await store.hit('t', rules, 'fixed-window')).limits[0]).toMatchObject({
      remaining: 1,
      resetMs: 100,
    });
  });

  it('blocks for blockFor from the first denial, without extending on retries', async () => {
    const { store, clock } = storeAt();
    const rules = [rule(1, 10, 500)];
    await store.hit('t', rules, 'sliding-window');
    expect((await store.hit('t', rules, 'sliding-window')).retryAfterMs).toBe(500);
    clock.now += 300;
    expect((await store.hit('t', rules, 'sliding-window')).retryAfterMs).toBe(200);
    clock.now += 200;
    expect((await store.hit('t', rules, 'sliding-window')).allowed).toBe(true);
  });

  it('forgets trackers whose windows are over', async () => {
    const { store, clock } = storeAt();
    for (let i = 0; i < 1000; i++) await store.hit(`t${i}`, [rule(1, 100)], 'sliding-window');
    clock.now += 20_000;
    await store.hit('late', [rule(1, 100)], 'sliding-window');
    const trackers = (store as unknown as { trackers: Map<string, unknown> }).trackers;
    expect([...trackers.keys()]).toEqual(['late']);
  });

  it('keeps a long log exact while compacting it', async () => {
    const { store, clock } = storeAt();
    const rules = [rule(100, 1000)];
    let admitted = 0;
    for (let i = 0; i < 5000; i++) {
      clock.now += 5; // 200 hits per window offered, 100 admitted
      if ((await store.hit('t', rules, 'sliding-window')).allowed) admitted++;
    }
    expect(admitted).toBeGreaterThanOrEqual(2400);
    expect(admitted).toBeLessThanOrEqual(2600);
  });
});
