import { CacheStoreError, CacheTimeoutError } from '../errors';

/** The longest an open circuit waits between two probes of the server. */
const MAX_RETRY_AFTER_MS = 200;
/** A call this much older than an answered call of the peer connection is held by the server. */
const MAX_HELD_MS = 50;

interface Pending {
  readonly sentAt: number;
  done: boolean;
  reject(error: Error): void;
}

/**
 * Every Redis call of the module goes through one circuit per connection, which gives what the
 * client alone does not:
 *
 * - **A deadline per call**, counted from the call, not from when the client gets to send it
 *   (ioredis Cluster retries a command on its own, each try with a fresh `commandTimeout`). A reply
 *   already read from the socket when the deadline passes still wins: the check runs after the
 *   event loop's I/O phase, so a busy loop does not turn answered calls into timeouts.
 * - **No waiting on a server that stopped answering.** The first call that times out opens the
 *   circuit and fails the calls still waiting on it: they were sent to the same silent server.
 *   Calls then fail at once. While calls keep coming, the circuit sends its own probe (a PING) at
 *   most every `retryAfter` ms, so no caller ever waits on a test of the server. Any answer, an
 *   error reply included, closes it again.
 * - **Linked connections** (the module reads over a second one): when a call times out on one, the
 *   other opens too unless it has had an answer to a call sent after that one, and probes the
 *   server at once: a frozen server leaves it open, a write pause closes it again. And when the other connection gets answers to calls sent well after one still
 *   waiting here, the server is holding this connection's call (`CLIENT PAUSE WRITE` holds writes
 *   and scripts, not reads): this circuit opens without waiting out the deadline.
 *
 * Deadlines are all `timeout` ms after their call, so pending calls are kept in call order and
 * one timer serves them all.
 */
export class RedisCircuit {
  private openedAt: number | undefined;
  /** When the circuit last closed after being open. */
  private closedAt = Number.NEGATIVE_INFINITY;
  private probing = false;
  private pending: Pending[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the most recently sent call that got an answer was sent. */
  private answeredSentAt = Number.NEGATIVE_INFINITY;
  private peer: RedisCircuit | undefined;
  private peerCheckScheduled = false;
  private readonly heldAfter: number;

  constructor(
    /** The deadline of one call, in ms. */
    readonly timeout: number,
    /** Tests the server while the circuit is open, e.g. `() => client.ping()`. */
    private readonly probe: () => Promise<unknown>,
    /** How long an open circuit waits between probes, in ms. */
    readonly retryAfter: number = Math.min(timeout, MAX_RETRY_AFTER_MS),
  ) {
    this.heldAfter = Math.min(MAX_HELD_MS, timeout / 5);
  }

  /** Links two circuits over connections to the same server (see the class comment). */
  static link(a: RedisCircuit, b: RedisCircuit): void {
    a.peer = b;
    b.peer = a;
  }

  /** Whether calls are being refused because the server stopped answering. */
  get isOpen(): boolean {
    return this.openedAt !== undefined;
  }

  /** Whether the circuit is open, or closed less than `ms` ago. */
  openWithin(ms: number): boolean {
    return this.openedAt !== undefined || Date.now() - this.closedAt < ms;
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

  /** Stops the timer; calls still pending settle with their command. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.head = 0;
  }

  private run<T>(command: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const call: Pending = { sentAt: Date.now(), done: false, reject };
      this.track(call);
      command().then(
        (value) => {
          if (call.done) return;
          call.done = true;
          this.answered(call);
          resolve(value);
        },
        (error: unknown) => {
          if (call.done) return;
          call.done = true;
          if (isTimeout(error)) this.trip(call.sentAt);
          else if (isReply(error)) this.answered(call);
          reject(error);
        },
      );
    });
  }

  private answered(call: Pending): void {
    this.close_();
    if (call.sentAt <= this.answeredSentAt) return;
    this.answeredSentAt = call.sentAt;
    const peer = this.peer;
    if (peer === undefined || this.peerCheckScheduled) return;
    this.peerCheckScheduled = true;
    // After the I/O phase: the peer's own replies that arrived meanwhile settle first.
    setImmediate(() => {
      this.peerCheckScheduled = false;
      const oldest = peer.oldestWaiting();
      if (oldest !== undefined && oldest < this.answeredSentAt - peer.heldAfter) peer.trip();
    });
  }

  private close_(): void {
    if (this.openedAt === undefined) return;
    this.openedAt = undefined;
    this.closedAt = Date.now();
  }

  private probeWhenDue(): void {
    if (Date.now() - this.openedAt! >= this.retryAfter) this.startProbe();
  }

  private startProbe(): void {
    if (this.probing) return;
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

  /**
   * Opens the circuit and fails every call still waiting: they wait on the same server. When a
   * call sent at `silentSince` timed out, the peer is suspect too unless it has had an answer to
   * a call sent since then: it opens and probes the server at once (a write pause answers the
   * probe, and the peer closes again; a frozen server does not).
   */
  private trip(silentSince?: number): void {
    this.openedAt = Date.now();
    const error = new CacheTimeoutError(`Redis gave no answer within ${this.timeout} ms`);
    for (let i = this.head; i < this.pending.length; i++) {
      const call = this.pending[i];
      if (call.done) continue;
      call.done = true;
      call.reject(error);
    }
    const peer = this.peer;
    if (silentSince === undefined || peer === undefined || peer.isOpen) return;
    if (peer.answeredSentAt >= silentSince) return;
    peer.trip();
    peer.startProbe();
  }

  /** When the oldest call still waiting for its answer was sent. */
  private oldestWaiting(): number | undefined {
    for (let i = this.head; i < this.pending.length; i++) {
      if (!this.pending[i].done) return this.pending[i].sentAt;
    }
    return undefined;
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
    const wait = Math.max(0, this.pending[this.head].sentAt + this.timeout - Date.now());
    // setImmediate runs after the I/O phase: replies that arrived meanwhile settle their calls first.
    this.timer = setTimeout(() => setImmediate(() => this.expire()), wait);
    this.timer.unref();
  }

  private expire(): void {
    const now = Date.now();
    while (this.head < this.pending.length) {
      const call = this.pending[this.head];
      if (!call.done) {
        if (call.sentAt + this.timeout > now) break;
        this.trip(call.sentAt); // fails this call and every one after it
        break;
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
