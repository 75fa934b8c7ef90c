import { CacheStoreError, CacheTimeoutError } from '../errors';

/** The longest an open circuit refuses calls before it lets one through to test the server. */
const MAX_RETRY_AFTER_MS = 200;

interface Pending {
  readonly deadline: number;
  done: boolean;
  reject(error: Error): void;
}

/**
 * Every Redis call of the module goes through one circuit per connection, which gives two
 * guarantees the client alone does not:
 *
 * - **A deadline per call**, counted from the call, not from when the client gets to send it
 *   (ioredis Cluster retries a command on its own, each try with a fresh `commandTimeout`). A reply
 *   already read from the socket when the deadline passes still wins: the check runs after the
 *   event loop's I/O phase, so a busy loop does not turn answered calls into timeouts.
 * - **No waiting on a server that stopped answering.** The first call that times out opens the
 *   circuit: calls then fail at once instead of each waiting out its own timeout. While calls keep
 *   coming, the circuit sends its own probe (a PING) at most every `retryAfter` ms, so no caller
 *   ever waits on a test of the server. Any answer, an error reply included, closes it again.
 *
 * Deadlines are all `timeout` ms after their call, so pending calls are kept in call order and
 * one timer serves them all.
 */
export class RedisCircuit {
  private openedAt: number | undefined;
  private probing = false;
  private pending: Pending[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** The deadline of one call, in ms. */
    readonly timeout: number,
    /** Tests the server while the circuit is open, e.g. `() => client.ping()`. */
    private readonly probe: () => Promise<unknown>,
    /** How long an open circuit waits between probes, in ms. */
    readonly retryAfter: number = Math.min(timeout, MAX_RETRY_AFTER_MS),
  ) {}

  /** Whether calls are being refused because the server stopped answering. */
  get isOpen(): boolean {
    return this.openedAt !== undefined;
  }

  /**
   * Runs one Redis command (or a few sent together). Rejects with a `CacheTimeoutError` when it
   * does not settle within `timeout`, and with a `CacheStoreError` at once while the circuit is open.
   */
  call<T>(command: () => Promise<T>): Promise<T> {
    if (this.openedAt !== undefined) {
      this.probeWhenDue();
      return Promise.reject(
        new CacheStoreError(
          `Redis gave no answer within ${this.timeout} ms; not waiting for it until it answers again`,
        ),
      );
    }
    return this.run(command);
  }

  private run<T>(command: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const call: Pending = { deadline: Date.now() + this.timeout, done: false, reject };
      this.track(call);
      command().then(
        (value) => {
          if (call.done) return;
          call.done = true;
          this.openedAt = undefined;
          resolve(value);
        },
        (error: unknown) => {
          if (call.done) return;
          call.done = true;
          if (isTimeout(error)) this.trip();
          else if (isReply(error)) this.openedAt = undefined;
          reject(error);
        },
      );
    });
  }

  private probeWhenDue(): void {
    if (this.probing || Date.now() - this.openedAt! < this.retryAfter) return;
    this.probing = true;
    this.run(this.probe)
      .catch(() => {
        // Still open (a timeout re-opened it); wait a full interval before the next probe.
        if (this.openedAt !== undefined) this.openedAt = Date.now();
      })
      .finally(() => {
        this.probing = false;
      });
  }

  /** Stops the timer; calls still pending settle with their command. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.head = 0;
  }

  private trip(): void {
    this.openedAt = Date.now();
  }

  private track(call: Pending): void {
    this.pending.push(call);
    if (this.timer === undefined) this.arm();
  }

  /** Arms the timer for the oldest unsettled call, dropping the settled ones before it. */
  private arm(): void {
    while (this.head < this.pending.length && this.pending[this.head].done) this.head++;
    if (this.head === this.pending.length) {
      this.pending = [];
      this.head = 0;
      this.timer = undefined;
      return;
    }
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
    const wait = Math.max(0, this.pending[this.head].deadline - Date.now());
    // setImmediate runs after the I/O phase: replies that arrived meanwhile settle their calls first.
    this.timer = setTimeout(() => setImmediate(() => this.expire()), wait);
    this.timer.unref();
  }

  private expire(): void {
    const now = Date.now();
    while (this.head < this.pending.length) {
      const call = this.pending[this.head];
      if (!call.done) {
        if (call.deadline > now) break;
        call.done = true;
        this.trip();
        call.reject(new CacheTimeoutError(`Redis gave no answer within ${this.timeout} ms`));
      }
      this.head++;
    }
    this.arm();
  }
}

/** ioredis's own `commandTimeout` (kept as a backstop) rejects with this message. */
function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Command timed out';
}

/** An error reply (OOM, READONLY, NOPERM...) is an answer: the server is there. */
function isReply(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}
