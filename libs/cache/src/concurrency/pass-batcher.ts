import { LoopPass } from './loop-pass';

/**
 * Gathers the calls made during one pass through the event loop into batches, so that a burst of
 * requests the loop read together shares one Redis call, without delaying a lone call: the first
 * item of a pass is sent at once, alone, unless the previous pass held more than one (see
 * {@link LoopPass}); the ones that follow it in the same pass are grouped (items of different
 * groups never share a batch: on a Cluster, one group per hash slot) and sent at the check phase,
 * or as soon as a group holds `maxBatch` items.
 *
 * @example
 * const batcher = new PassBatcher<Hit>((hits) => sendAll(hits), 64);
 * batcher.add('', hit);
 */
export class PassBatcher<T> {
  private readonly pass: LoopPass;
  private readonly waiting = new Map<string, T[]>();

  constructor(
    private readonly send: (batch: T[]) => void,
    private readonly maxBatch: number,
  ) {
    this.pass = new LoopPass(this.flush);
  }

  add(group: string, item: T): void {
    if (this.pass.join()) {
      this.send([item]);
      return;
    }
    const batch = this.waiting.get(group);
    if (batch === undefined) {
      this.waiting.set(group, [item]);
    } else if (batch.push(item) === this.maxBatch) {
      this.waiting.delete(group);
      this.send(batch);
    }
  }

  private readonly flush = (): void => {
    if (this.waiting.size === 0) return;
    const batches = [...this.waiting.values()];
    this.waiting.clear();
    for (const batch of batches) this.send(batch);
  };
}
