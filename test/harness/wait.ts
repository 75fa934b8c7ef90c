export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface WaitOptions {
  /** What is awaited, for the error message: `'cluster_state:ok on every node'`. */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `check` until it resolves true. A throwing check counts as "not yet"; the last error and
 * the elapsed time go into the timeout error.
 */
export async function waitUntil(
  check: () => Promise<boolean>,
  { what, timeoutMs = 10000, intervalMs = 50 }: WaitOptions,
): Promise<void> {
  const started = Date.now();
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started >= timeoutMs) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${reason}`, {
        cause: lastError,
      });
    }
    await sleep(intervalMs);
  }
}
