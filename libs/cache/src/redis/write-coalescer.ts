import type { Redis } from 'ioredis';

/**
 * Batches a standalone client's socket writes without delaying a lone command. The commands of a
 * pass through the event loop (say, one per HTTP request of a burst the loop read together) are
 * held in the socket (cork) and leave in one write at the check phase; the first command of a pass
 * is written at once, unless the previous pass held more than one. Unlike ioredis's
 * auto-pipelining, it never holds a command behind another batch's replies.
 *
 * So commands that come one at a time are never held (holding every command until the check phase
 * made lone sequential reads about 30 µs slower), and under load a pass costs one write instead of
 * one for its first command plus one for the rest: about 700 Redis write syscalls for 5,270
 * requests on `GET /users/:id` (`bench/`, 32 connections) with the first command of every pass
 * written alone, and 0.95x the CPU per request once it is held too after a busy pass
 * (`bench/scripts/http-ab.cjs`, paired).
 *
 * The calls of a `PassBatcher` (rate-limit hits, revocation checks and, on standalone, the
 * store's reads: they batch themselves, and their batches leave at the check phase) and the
 * circuit's probes are never held for the commands after them (`hold(true)`). A held pass opened
 * at the check phase closes only at the next one, so such a batch would wait a whole pass; it joins
 * a pass only if one is open already, which then closes in the same check phase. Every other pass is opened by its first command, even a lone
 * one: a sequential read pays one check-phase callback. Two rules without it were tried (holding
 * every command sent while another awaits its reply, and opening a pass only then); both saved
 * about 2% on sequential hits, but both let a batch sent at the check phase wait a whole pass.
 */
export class WriteCoalescer {
  private corked: Redis['stream'] | undefined;
  /** A command went out in this pass of the event loop; the next ones are batched. */
  private passOpen = false;
  /** Commands of the open pass, and of the one before it. */
  private passSize = 0;
  private lastPassSize = 0;

  constructor(private readonly client: Redis) {}

  /** Call before sending a command; `immediate` for a command never to hold (see above). */
  readonly hold = (immediate = false): void => {
    const stream = this.client.stream;
    if (immediate || stream === undefined || this.client.status !== 'ready') return;
    this.passSize++;
    if (stream === this.corked) return;
    if (!this.passOpen) {
      this.passOpen = true;
      setImmediate(this.flush);
      if (this.lastPassSize <= 1) return;
    }
    stream.cork();
    this.corked = stream;
  };

  private readonly flush = (): void => {
    this.passOpen = false;
    this.lastPassSize = this.passSize;
    this.passSize = 0;
    const stream = this.corked;
    this.corked = undefined;
    stream?.uncork();
  };
}
