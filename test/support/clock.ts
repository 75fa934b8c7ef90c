/**
 * Resolves at least 300 ms before the end of a wall-clock second (waiting for the next one when
 * the current one is past 0.7 s), so that a test's quick steps share one second: JWT `iat` and
 * revoke-all cutoffs have one-second resolution.
 */
export async function earlyInSecond(): Promise<void> {
  const into = Date.now() % 1000;
  if (into > 700) await new Promise((resolve) => setTimeout(resolve, 1000 - into + 5));
}
