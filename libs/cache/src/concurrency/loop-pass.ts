/**
 * One pass through the event loop as the module's batching sees it: the calls made between the
 * first one and the next check phase (say, one per HTTP request of a burst the loop read together).
 * `PassBatcher` groups the items of a pass into shared Redis calls and `WriteCoalescer` holds the
 * commands of a pass in the socket; both decide here which call goes at once, alone.
 *
 * The first call of a pass goes alone, so that a lone call is never delayed; the ones after it are
 * held, and `end` runs at the check phase to send them. The first call is held too when the previous
 * pass had more than one call: under load a pass then costs one Redis call or write instead of two,
 * and a lone call is still delayed at most once, right after a busy pass (a pass of one lets the
 * next one go at once). Sending every first call alone fragments the load: their replies come back
 * alone and start passes of their own. Measured in `bench/` (paired, `scripts/hit-ab.cjs` and
 * `scripts/http-ab.cjs`), holding after a busy pass against sending every first call alone: the
 * store's reads at 64 in flight took 5.6 µs of CPU per hit against 8.0; the two-limit Redis route
 * at 32 connections, 0.93x the CPU per request; `GET /users/:id` on Redis, 0.94x.
 *
 * @example
 * const pass = new LoopPass(() => flushHeld());
 * if (pass.join()) sendNow(item);
 * else hold(item);
 */
export class LoopPass {
  private open = false;
  /** Calls of the open pass, and of the one before it. */
  private size = 0;
  private lastSize = 0;

  constructor(
    /** Runs at the check phase of every pass, after the pass is closed: sends what was held. */
    private readonly end: () => void,
  ) {}

  /**
   * Counts one call into the pass, opening it when none is open. Returns whether the call goes at
   * once, alone (true), or is held until `end` (false).
   */
  join(): boolean {
    this.size++;
    if (this.open) return false;
    this.open = true;
    setImmediate(this.close);
    return this.lastSize <= 1;
  }

  private readonly close = (): void => {
    this.open = false;
    this.lastSize = this.size;
    this.size = 0;
    this.end();
  };
}
