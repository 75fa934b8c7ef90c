/** One shared execution; `detached` once a change to its key made its result out of date. */
export interface Flight {
  detached: boolean;
  /**
   * Frees the key: calls from now on start anew, while the callers that joined still get this
   * execution's result. The work calls it once its outcome is known, on every path.
   */
  release(): void;
}

class Running<T> implements Flight {
  detached = false;
  promise!: Promise<T>;

  constructor(
    private readonly inFlight: Map<string, Running<T>>,
    private readonly key: string,
  ) {}

  release(): void {
    if (this.inFlight.get(this.key) === this) this.inFlight.delete(this.key);
  }
}

/**
 * Concurrent calls for one key share one execution: the first caller runs `work`, the others get
 * its promise (or what `forJoiner` makes of its result). The work frees the key itself
 * ({@link Flight.release}) as soon as its outcome is known, before its promise settles, so that a
 * hit pays no promise of the flight's own; {@link forget} detaches it earlier: a caller that
 * arrives after a change must not get a value read before that change.
 */
export class SingleFlight<T = unknown> {
  private readonly inFlight = new Map<string, Running<T>>();

  constructor(
    /** What a caller that joins an execution gets from its result (say, a copy of its own). */
    private readonly forJoiner?: (result: T) => T,
  ) {}

  run(key: string, work: (flight: Flight) => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key);
    if (running) return this.forJoiner ? running.promise.then(this.forJoiner) : running.promise;
    const flight = new Running<T>(this.inFlight, key);
    flight.promise = work(flight);
    this.inFlight.set(key, flight);
    return flight.promise;
  }

  /** Whether `key` has an execution in flight. */
  has(key: string): boolean {
    return this.inFlight.has(key);
  }

  /** Detaches the executions of `keys` (all of them without `keys`): later calls start anew. */
  forget(keys?: readonly string[]): void {
    if (this.inFlight.size === 0) return;
    const detach = (key: string): void => {
      const running = this.inFlight.get(key);
      if (running === undefined) return;
      running.detached = true;
      this.inFlight.delete(key);
    };
    if (keys === undefined) [...this.inFlight.keys()].forEach(detach);
    else keys.forEach(detach);
  }
}
