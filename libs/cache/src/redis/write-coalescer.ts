import type { Redis } from 'ioredis';

/**
 * Holds a standalone client's socket writes until the event loop's check phase, so commands
 * issued while one batch of I/O callbacks runs (say, one per HTTP request arriving together)
 * leave in one write (one syscall) instead of one each. Unlike ioredis's auto-pipelining, it never
 * holds a command behind another batch's replies: commands are written to the socket as they
 * come, and only the flush to the kernel waits for the I/O phase to end.
 *
 * Measured on the users app (`GET /users/:id` on Redis, 32 connections): one write syscall per 20
 * or so requests instead of one per request, and 140 instead of 178 µs of CPU per request.
 */
export class WriteCoalescer {
  private corked: Redis['stream'] | undefined;

  constructor(private readonly client: Redis) {}

  /** Call before sending a command. */
  readonly hold = (): void => {
    const stream = this.client.stream;
    if (stream === undefined || stream === this.corked || this.client.status !== 'ready') return;
    stream.cork();
    this.corked = stream;
    setImmediate(() => {
      this.corked = undefined;
      stream.uncork();
    });
  };
}
