/** One shared execution; `detached` once a change to its key made its result out of date. */
export interface Flight {
  detached: boolean;
}

interface Running<T> extends Flight {
  promise: Promise<T>;
}

/**
 * Concurrent calls for one key share one execution: the first caller runs `work`, the others get
 * its promise. The key is released as soon as the work settles, or when {@link forget} detaches
 * it: a caller that arrives after a change must not get a value read before that change.
 */
export class SingleFlight<T = unknown> {
  private readonly inFlight = new Map<string, Running<T>>();

  run(key: string, work: (flight: Flight) => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key);
    if (running) return running.promise;
    const flight = { detached: false } as Running<T>;
    const release = (): void => {
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
    };
    flight.promise = work(flight);
    // A branch of its own, not a link in the callers' chain (a hit pays no promise hop here).
    // Registered before any caller awaits the promise, so the key is free when they resume.
    flight.promise.then(release, release);
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
