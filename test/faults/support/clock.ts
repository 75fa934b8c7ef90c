import { performance } from 'node:perf_hooks';

/**
 * Milliseconds on the one monotonic clock that the load, the probes, the app logs and the fault
 * log all share, so that their events can be put on one timeline.
 */
export const now = (): number => performance.now();

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export const sleepUntil = (t: number): Promise<void> => sleep(t - now());
