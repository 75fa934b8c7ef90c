import { CacheTimeoutError } from '../errors';
import { Deadline } from './deadline';

describe('Deadline', () => {
  it('settles like the work when the work finishes first', async () => {
    const deadline = new Deadline(1000);
    try {
      await expect(deadline.race(Promise.resolve('pong'))).resolves.toBe('pong');
    } finally {
      deadline.clear();
    }
  });

  it('rejects with a CacheTimeoutError once the time is up', async () => {
    const deadline = new Deadline(20);
    const hung = new Promise<never>(() => undefined);
    await expect(deadline.race(hung)).rejects.toThrow(CacheTimeoutError);
    await expect(deadline.race(hung)).rejects.toThrow('Redis did not answer within 20 ms');
  });

  it('leaves no timer behind once cleared', () => {
    jest.useFakeTimers();
    try {
      new Deadline(1000).clear();
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
