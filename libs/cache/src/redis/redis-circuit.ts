import { CacheStoreError, CacheTimeoutError } from '../errors';

/** The longest an open circuit waits between two probes of the server. */
const MAX_RETRY_AFTER_MS = 200;
/** How long a call waits before the linked connection is asked whether the server answers at all. */
const MAX_HELD_AFTER_MS = 40;

interface Pending {
  readonly sentAt: number;
  done: boolean;
  reject(error: Error): void;
}

/** Takes the place of a settled call in `pending`, so that nothing of the call is kept. */
const SETTLED: Pending = { sentAt: 0, done: true, reject: () => undefined };

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
 *   Calls then fail at once, and the circuit probes the server (a PING) in the background, at
 *   once and then every `retryAfter` ms until it answers; no caller ever waits on a probe. Any answer, an error reply
 *   included, closes it again.
 * - **Linked connections** (the module reads over a second one, to the same server):
 *   - when a call times out on one, the other opens too unless it has had an answer to a call
 *     sent after that one, and probes at once: a frozen server leaves it open, a write pause
 *     (which holds writes and scripts, not reads) closes it again;
 *   - a call still waiting after `heldAfter` ms makes the other connection ping the server; if
 *     the ping is answered and the call is still waiting `heldAfter` ms later, the server is
 *     holding this connection (`CLIENT PAUSE WRITE`): the circuit opens without waiting out the
 *     deadline.
 *
 * Deadlines are all `timeout` ms after their call, so pending calls are kept in call order and
 * one timer serves them all.
 */
export class RedisCircuit {
  private openedAt: number | undefined;
  /** When the circuit last closed after being open. */
  private closedAt = Number.NEGATIVE_INFINITY;
  private pending: Pending[] = [];
  private head = 0;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private heldTimer: NodeJS.Timeout | undefined;
  /** The probe command last sent, until the server answers it (or the connection drops it). */
  private probeSent: Promise<unknown> | undefined;
  /** When the most recently sent call that got an answer was sent. */
  private answeredSentAt = Number.NEGATIVE_INFINITY;
  private peer: RedisCircuit | undefined;
  private closed = false;
  private readonly heldAfter: number;

  constructor(
    /** The deadline of one call, in ms. */
    readonly timeout: number,
    /** Tests the server while the circuit is open, e.g. `() => client.ping()`. */
    private readonly probe: () => Promise<unknown>,
    /** How long an open circuit waits between probes, in ms. */
    readonly retryAfter: number = Math.min(timeout, MAX_RETRY_AFTER_MS),
    /**
     * Runs before each command is sent, told whether it must be written at once (the module
     * batches a pass's writes there: see `WriteCoalescer`).
     */
    private readonly beforeSend?: (immediate: boolean) => void,
  ) {
    this.heldAfter = Math.min(MAX_HELD_AFTER_MS, timeout / 5);
  }

  /** Links two circuits over connections to one server (see the class comment). */
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
    if (this.openedAt !== undefined) return true;
    // Never opened: no clock read (this runs on every L1 hit).
    return this.closedAt !== Number.NEGATIVE_INFINITY && Date.now() - this.closedAt < ms;
  }

  /**
   * Runs one Redis command (or a few sent together). Rejects with a `CacheTimeoutError` when it
   * does not settle within `timeout`, and with a `CacheStoreError` at once while the circuit is open.
   * `options.immediate`: the command is written at once, never held with the commands after it.
   */
  call<T>(command: () => Promise<T>, options?: CallOptions): Promise<T> {
    if (this.openedAt !== undefined) {
      return Promise.reject(
        new CacheStoreError(
          `Redis gave no answer within ${this.timeout} ms; not waiting for it until it answers again`,
        ),
      );
    }
    return this.run(command, options?.immediate === true);
  }

  /** Stops every timer; calls still pending settle with their command. */
  close(): void {
    this.closed = true;
    for (const timer of [this.deadlineTimer, this.probeTimer, this.heldTimer]) clearTimeout(timer);
    this.deadlineTimer = this.probeTimer = this.heldTimer = undefined;
    this.pending = [];
    this.head = 0;
  }

  // `immediate`: a batch or a probe, written at once (see `WriteCoalescer.hold`).
  private run<T>(command: () => Promise<T>, immediate: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const call: Pending = { sentAt: Date.now(), done: false, reject };
      this.track(call);
      this.beforeSend?.(immediate);
      command().then(
        (value) => {
          if (call.done) return;
          call.done = true;
          this.answered(call);
          this.dropSettled();
          resolve(value);
        },
        (error: unknown) => {
          if (call.done) return;
          call.done = true;
          if (isTimeout(error)) this.trip(`no answer within ${this.timeout} ms`, call.sentAt);
          else if (isReply(error)) this.answered(call);
          this.dropSettled();
          reject(error);
        },
      );
    });
  }

  private answered(call: Pending): void {
    this.answeredSentAt = Math.max(this.answeredSentAt, call.sentAt);
    if (this.openedAt === undefined) return;
    this.openedAt = undefined;
    this.closedAt = Date.now();
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  /**
   * Opens the circuit and fails every call still waiting: they wait on the same server. When a
   * call sent at `silentSince` timed out, the peer is suspect too (see the class comment).
   */
  private trip(reason: string, silentSince?: number): void {
    this.openedAt = Date.now();
    const error = new CacheTimeoutError(`Redis gave ${reason}`);
    for (let i = this.head; i < this.pending.length; i++) {
      const call = this.pending[i];
      if (call.done) continue;
      call.done = true;
      call.reject(error);
    }
    // The first probe goes at once: a server that was only slow (a burst, a busy machine) closes
    // the circuit again as soon as it catches up. A probe that times out schedules the next one.
    this.scheduleProbe(0);
    const peer = this.peer;
    if (silentSince === undefined || peer === undefined || peer.isOpen) return;
    if (peer.answeredSentAt >= silentSince) return;
    peer.trip(`no answer on the other connection within ${this.timeout} ms`);
    peer.scheduleProbe(0);
  }

  /** Probes the server in `wait` ms, and again every `retryAfter` ms while the circuit is open. */
  private scheduleProbe(wait: number): void {
    if (this.closed || this.probing) return;
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      if (this.openedAt === undefined || this.probing) return;
      this.probing = true;
      this.run(this.sendProbe, true)
        .catch(() => undefined)
        .finally(() => {
          this.probing = false;
          if (this.openedAt !== undefined) this.scheduleProbe(this.retryAfter);
        });
    }, wait);
    this.probeTimer.unref();
  }

  /**
   * Sends the probe, or waits again on the one still unanswered: a frozen server keeps every
   * command it was sent, so probing it anew each time would pile up one more per `retryAfter` on a
   * connection that has no timeout of its own.
   */
  private readonly sendProbe = (): Promise<unknown> => {
    if (this.probeSent !== undefined) return this.probeSent;
    const sent = this.probe();
    this.probeSent = sent;
    const settled = (): void => {
      if (this.probeSent === sent) this.probeSent = undefined;
    };
    sent.then(settled, settled);
    return sent;
  };

  private track(call: Pending): void {
    this.pending.push(call);
    if (this.deadlineTimer === undefined) this.armDeadline();
    if (this.peer !== undefined && this.heldTimer === undefined) this.armHeldCheck();
  }

  /**
   * Forgets the settled calls at the front as soon as they settle (replies come in call order), so
   * that a settled call (its promise and reply) is not kept until the next deadline check: kept that
   * long, every reply outlived a young-generation GC and was copied to the old one.
   */
  private dropSettled(): void {
    const { pending } = this;
    while (this.head < pending.length && pending[this.head].done) pending[this.head++] = SETTLED;
    if (this.head === pending.length) {
      pending.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > pending.length) {
      this.pending = pending.slice(this.head);
      this.head = 0;
    }
  }

  /** The oldest call still waiting for its answer, dropping the settled ones before it. */
  private oldestWaiting(): Pending | undefined {
    this.dropSettled();
    return this.head < this.pending.length ? this.pending[this.head] : undefined;
  }

  /** Arms the timer for the oldest unsettled call's deadline. */
  private armDeadline(): void {
    const oldest = this.oldestWaiting();
    if (oldest === undefined || this.closed) {
      this.deadlineTimer = undefined;
      return;
    }
    const wait = Math.max(0, oldest.sentAt + this.timeout - Date.now());
    // setImmediate runs after the I/O phase: replies that arrived meanwhile settle their calls first.
    this.deadlineTimer = setTimeout(() => setImmediate(() => this.expire()), wait);
    this.deadlineTimer.unref();
  }

  private expire(): void {
    const oldest = this.oldestWaiting();
    if (oldest !== undefined && oldest.sentAt + this.timeout <= Date.now()) {
      this.trip(`no answer within ${this.timeout} ms`, oldest.sentAt); // fails every waiting call
    }
    this.armDeadline();
  }

  /** Arms the held check (see the class comment) for the oldest unsettled call. */
  private armHeldCheck(): void {
    const oldest = this.oldestWaiting();
    if (oldest === undefined || this.closed) {
      this.heldTimer = undefined;
      return;
    }
    const wait = Math.max(0, oldest.sentAt + this.heldAfter - Date.now());
    this.heldTimer = setTimeout(() => setImmediate(() => this.checkHeld(oldest)), wait);
    this.heldTimer.unref();
  }

  private checkHeld(call: Pending): void {
    const peer = this.peer!;
    if (call.done || this.isOpen || peer.isOpen || this.closed) return this.armHeldCheck();
    peer.run(peer.probe, true).then(
      () => {
        if (this.closed) return;
        // The server answers the other connection: give this call one more interval.
        this.heldTimer = setTimeout(() => {
          setImmediate(() => {
            if (!call.done && !this.isOpen && !this.closed) {
              this.trip('no answer to this connection while it answers another (writes held?)');
            }
            this.armHeldCheck();
          });
        }, this.heldAfter);
        this.heldTimer.unref();
      },
      () => this.armHeldCheck(),
    );
  }
}

/** Runs `command` through `circuit` when there is one (a store built outside the module has none). */
export function callThrough<T>(
  circuit: RedisCircuit | undefined,
  command: () => Promise<T>,
  options?: CallOptions,
): Promise<T> {
  return circuit ? circuit.call(command, options) : command();
}

/** How {@link RedisCircuit.call} sends a command. */
export interface CallOptions {
  /**
   * Write the command at once, never held with the commands after it: for a command that carries
   * the calls of a pass, batched (see `PassBatcher` and `WriteCoalescer`).
   */
  immediate?: boolean;
}

/** ioredis's own `commandTimeout` (kept as a backstop) rejects with this message. */
function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Command timed out';
}

/** An error reply (OOM, READONLY, NOPERM...) is an answer: the server is there. */
function isReply(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}
