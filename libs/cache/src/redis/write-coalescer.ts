import type { Redis } from 'ioredis';
import { LoopPass } from '../concurrency/loop-pass';

/**
 * Batches a standalone client's socket writes without delaying a lone command. The commands of a
 * pass through the event loop (say, one per HTTP request of a burst the loop read together) are
 * held in the socket (cork) and leave in one write at the check phase; the first command of a pass
 * is written at once, unless the previous pass held more than one (see {@link LoopPass}). Unlike
 * ioredis's auto-pipelining, it never holds a command behind another batch's replies.
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
 * circuit's probes never open a pass (`hold(true)`): a pass opened at the check phase closes only
 * at the next one, so such a batch would wait a whole pass. When a pass is open already, the socket
 * is corked and the batch leaves with that pass, in the same check phase. Every other pass is
 * opened by its first command, even a lone one: a sequential read pays one check-phase callback.
 * Two rules without it were tried (holding every command sent while another awaits its reply, and
 * opening a pass only then); both saved about 2% on sequential hits, but both let a batch sent at
 * the check phase wait a whole pass.
 */
export class WriteCoalescer {
  private corked: Redis['stream'] | undefined;
  private readonly pass = new LoopPass(() => this.uncork());

  constructor(private readonly client: Redis) {}

  /** Call before sending a command; `immediate` for a command never to hold (see above). */
  readonly hold = (immediate = false): void => {
    const stream = this.client.stream;
    if (immediate || stream === undefined || this.client.status !== 'ready') return;
    if (this.pass.join() || stream === this.corked) return;
    stream.cork();
    this.corked = stream;
  };

  private uncork(): void {
    const stream = this.corked;
    this.corked = undefined;
    stream?.uncork();
  }
}
