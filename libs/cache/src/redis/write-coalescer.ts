import type { Redis } from 'ioredis';

/**
 * Holds a standalone client's socket writes until the end of the current tick, so commands issued
 * in one tick leave in one write (one syscall) instead of one each. Unlike ioredis's
 * auto-pipelining, it never holds a command behind another batch's replies: commands are written
 * to the socket as they come, and only the flush to the kernel waits for the tick to end.
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
    process.nextTick(() => {
      this.corked = undefined;
      stream.uncork();
    });
  };
}
