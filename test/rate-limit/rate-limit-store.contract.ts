import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimitAlgorithm, RateLimitStore, ResolvedRateLimitRule } from '@app/cache';

/** Makes a store; stores made with one namespace share their counters. */
export type RateLimitStoreFactory = (namespace: string) => Promise<RateLimitStore> | RateLimitStore;

const rule = (overrides: Partial<ResolvedRateLimitRule> = {}): ResolvedRateLimitRule => ({
  name: 'default',
  limit: 2,
  window: 60_000,
  blockFor: 0,
  ...overrides,
});

/**
 * What every rate-limit store must do, so memory, Redis and Cluster cannot drift apart. A new
 * backend is one class plus one call of this suite.
 */
export function describeRateLimitStoreContract(
  name: string,
  makeStore: RateLimitStoreFactory,
): void {
  describe(`${name} rate-limit store contract`, () => {
    let store: RateLimitStore;
    let tracker: string;
    const hit = (
      rules: ResolvedRateLimitRule[],
      algorithm: RateLimitAlgorithm = 'sliding-window',
    ) => store.hit(tracker, rules, algorithm);

    // Fixed windows are aligned to the store's clock (Redis's, or the memory store's monotonic one,
    // which drifts from Date.now()). Two hits a few ms apart straddled a boundary in full runs:
    // ask the store where its window ends and, with less than `need` ms of it left, wait for the
    // next one.
    const startEarlyInWindow = async (window: number, need = window * 0.8): Promise<void> => {
      const probe = await store.hit(`${tracker}-probe`, [rule({ window })], 'fixed-window');
      const left = probe.limits[0].resetMs;
      if (left < need) await sleep(left + 2);
    };

    beforeEach(async () => {
      store = await makeStore(`rl${randomUUID().slice(0, 8)}`);
      tracker = `ip:${randomUUID()}`;
    });

    describe.each(['sliding-window', 'fixed-window'] as const)('%s', (algorithm) => {
      // Every test here spans well under 2 s. The 60 s windows of `rule()` rolled over in the
      // middle of one (its second hit found a fresh counter) in a CI run.
      beforeEach(async () => {
        if (algorithm === 'fixed-window') await startEarlyInWindow(rule().window, 2_000);
      });

      it('admits up to the limit counting down what remains, then denies with a retry-after', async () => {
        const rules = [rule({ limit: 3 })];
        const results = [];
        for (let i = 0; i < 4; i++) results.push(await hit(rules, algorithm));
        expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
        expect(results.map((r) => r.limits[0].remaining)).toEqual([2, 1, 0, 0]);
        expect(results[0].retryAfterMs).toBe(0);
        expect(results[3].retryAfterMs).toBeGreaterThan(0);
        expect(results[3].retryAfterMs).toBeLessThanOrEqual(60_000);
      });

      it('admits exactly the limit out of many concurrent hits', async () => {
        const results = await Promise.all(
          Array.from({ length: 200 }, () => hit([rule({ limit: 20 })], algorithm)),
        );
        expect(results.filter((r) => r.allowed)).toHaveLength(20);
      });

      it('counts a denied hit against none of its limits (all or nothing)', async () => {
        const tight = rule({ name: 'tight', limit: 1 });
        const loose = rule({ name: 'loose', limit: 5 });
        const first = await hit([tight, loose], algorithm);
        const denied = await hit([tight, loose], algorithm);
        expect([first.allowed, denied.allowed]).toEqual([true, false]);
        expect(denied.limits.map((l) => [l.rule.name, l.remaining])).toEqual([
          ['tight', 0],
          ['loose', 4],
        ]);
        // `loose` holds only the admitted hit: this one leaves 3 of 5, not 2.
        expect((await hit([loose], algorithm)).limits[0].remaining).toBe(3);
      });

      it('keeps trackers, limit names and limits of another size apart', async () => {
        expect((await hit([rule({ limit: 1 })], algorithm)).allowed).toBe(true);
        expect((await hit([rule({ limit: 1 })], algorithm)).allowed).toBe(false);
        expect((await hit([rule({ limit: 1, name: 'other' })], algorithm)).allowed).toBe(true);
        expect((await hit([rule({ limit: 2 })], algorithm)).allowed).toBe(true);
        expect((await hit([rule({ limit: 1, window: 30_000 })], algorithm)).allowed).toBe(true);
        tracker = `${tracker}-2`;
        expect((await hit([rule({ limit: 1 })], algorithm)).allowed).toBe(true);
      });

      it('refuses for blockFor after going over, and a retry does not extend the block', async () => {
        const rules = [rule({ limit: 1, window: 100, blockFor: 400 })];
        if (algorithm === 'fixed-window') await startEarlyInWindow(100);
        expect((await hit(rules, algorithm)).allowed).toBe(true);
        const denied = await hit(rules, algorithm);
        const blockedAt = performance.now();
        expect(denied.allowed).toBe(false);
        expect(denied.retryAfterMs).toBe(400);
        expect(denied.limits[0].remaining).toBe(0);

        await sleep(200); // the window is over; the block is not
        const retried = await hit(rules, algorithm);
        expect(retried.allowed).toBe(false);
        expect(retried.retryAfterMs).toBeLessThanOrEqual(400 - 150);

        await sleep(blockedAt + 430 - performance.now());
        expect((await hit(rules, algorithm)).allowed).toBe(true);
      });

      it('keeps limits with and without a block apart within one hit', async () => {
        // The block is long against the pause below, so a slow machine cannot outlast it.
        const blocked = rule({ name: 'blocked', limit: 1, window: 100, blockFor: 1500 });
        const loose = rule({ name: 'loose', limit: 5 });
        const alsoBlocking = rule({ name: 'also', limit: 3, blockFor: 300 });
        const rules = [blocked, loose, alsoBlocking];
        if (algorithm === 'fixed-window') await startEarlyInWindow(100);
        expect((await hit(rules, algorithm)).allowed).toBe(true);
        const denied = await hit(rules, algorithm);
        expect(denied.allowed).toBe(false);
        expect(denied.retryAfterMs).toBe(1500);
        expect(denied.limits.map((l) => l.remaining)).toEqual([0, 4, 2]);

        await sleep(200); // `blocked`'s window is over, its block is not; `also` is not blocked
        const retried = await hit(rules, algorithm);
        expect(retried.allowed).toBe(false);
        expect(retried.limits.map((l) => l.remaining)).toEqual([0, 4, 2]);
        expect(
          (await hit([loose, alsoBlocking], algorithm)).limits.map((l) => l.remaining),
        ).toEqual([3, 1]);
      });
    });

    it('sliding-window frees a slot when the oldest hit leaves the window, and says when', async () => {
      const rules = [rule({ limit: 2, window: 300 })];
      const firstSent = performance.now();
      const first = await hit(rules);
      const firstAnswered = performance.now();
      expect(first.limits[0].resetMs).toBe(300); // the new hit is the oldest: it leaves in a window
      await sleep(100);
      expect((await hit(rules)).allowed).toBe(true);
      const deniedSent = performance.now();
      const denied = await hit(rules);
      const deniedAnswered = performance.now();

      expect(denied.allowed).toBe(false);
      // The first hit was logged between firstSent and firstAnswered, the denial computed between
      // deniedSent and deniedAnswered: retry-after is the rest of the first hit's window.
      expect(denied.retryAfterMs).toBeGreaterThanOrEqual(300 - (deniedAnswered - firstSent) - 1);
      expect(denied.retryAfterMs).toBeLessThanOrEqual(300 - (deniedSent - firstAnswered) + 1);
      expect(denied.limits[0].resetMs).toBe(denied.retryAfterMs);

      await sleep(denied.retryAfterMs + 10);
      const after = await hit(rules);
      expect(after.allowed).toBe(true);
      expect(after.limits[0].remaining).toBe(0); // the second hit is still in the window
    });

    it('fixed-window admits a whole budget again when its window ends, which reset reports', async () => {
      const rules = [rule({ limit: 1, window: 200 })];
      await startEarlyInWindow(200);

      const first = await hit(rules, 'fixed-window');
      expect(first.limits[0].resetMs).toBeGreaterThan(0);
      expect(first.limits[0].resetMs).toBeLessThanOrEqual(200);
      const denied = await hit(rules, 'fixed-window');
      expect(denied.allowed).toBe(false);
      expect(denied.retryAfterMs).toBeLessThanOrEqual(first.limits[0].resetMs);
      await sleep(denied.retryAfterMs + 10);
      const next = await hit(rules, 'fixed-window');
      expect(next.allowed).toBe(true);
      expect(next.limits[0].remaining).toBe(0);
    });
  });
}
