import { Logger } from '@nestjs/common';
import { CacheStoreError, CacheTimeoutError } from '../errors';
import { CacheEvents } from '../metrics/cache-events';
import { MemoryRateLimitStore } from './memory-rate-limit.store';
import type { ResolvedRateLimitRule } from './rate-limit.options';
import { RateLimitService, type RateLimitSettings } from './rate-limit.service';
import type { RateLimitDecision, RateLimitStore } from './rate-limit-store.interface';

const rules: ResolvedRateLimitRule[] = [{ name: 'default', limit: 1, window: 60_000, blockFor: 0 }];
const local: RateLimitSettings = { algorithm: 'sliding-window', onStoreFailure: 'local' };

/** A store that answers every hit with `answer` (a failure is thrown, or rejected when async). */
function storeAnswering(
  answer: () => RateLimitDecision | Promise<RateLimitDecision>,
): RateLimitStore {
  return { hit: () => answer() };
}

describe('RateLimitService.check', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('answers synchronously when the store does (the memory store adds no promise)', () => {
    const service = new RateLimitService(new MemoryRateLimitStore(), new CacheEvents());
    const first = service.check('ip:a', rules, local);
    const second = service.check('ip:a', rules, local);
    expect(first).toMatchObject({ status: 'decided', decision: { allowed: true } });
    expect(second).toMatchObject({ status: 'decided', decision: { allowed: false } });
  });

  it('treats a thrown failure like a rejected one: decided in memory, synchronously', () => {
    const service = new RateLimitService(
      storeAnswering(() => {
        throw new CacheStoreError('down');
      }),
      new CacheEvents(),
    );
    expect(service.check('ip:a', rules, local)).toMatchObject({
      status: 'decided',
      decision: { allowed: true },
    });
    expect(service.check('ip:a', rules, { ...local, onStoreFailure: 'closed' })).toEqual({
      status: 'unavailable',
      admit: false,
    });
  });

  it('settles a rejected hit as an outcome, never as a rejection', async () => {
    const service = new RateLimitService(
      storeAnswering(() => Promise.reject(new CacheTimeoutError('late'))),
      new CacheEvents(),
    );
    const refused = service.check('ip:a', rules, { ...local, unanswered: 'refuse' });
    expect(refused).toBeInstanceOf(Promise);
    await expect(refused).resolves.toMatchObject({ decision: { allowed: false } });
  });

  it('waits for a store that answers with a thenable that is not a native promise', async () => {
    const decision: RateLimitDecision = { allowed: true, retryAfterMs: 0, limits: [] };
    const thenable = { then: (resolve: (value: RateLimitDecision) => void) => resolve(decision) };
    const service = new RateLimitService(
      storeAnswering(() => thenable as unknown as Promise<RateLimitDecision>),
      new CacheEvents(),
    );
    await expect(service.check('ip:a', rules, local)).resolves.toEqual({
      status: 'decided',
      decision,
    });
    await expect(service.hit('ip:a', rules, local)).resolves.toEqual({
      status: 'decided',
      decision,
    });
  });
});
