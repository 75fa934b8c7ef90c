import { setImmediate as checkPhase } from 'node:timers/promises';
import { PassBatcher } from './pass-batcher';

/** A batcher whose batches the test reads. */
function recording(maxBatch = 64): { batcher: PassBatcher<string>; sent: string[][] } {
  const sent: string[][] = [];
  const batcher = new PassBatcher<string>((batch) => sent.push(batch), maxBatch);
  return { batcher, sent };
}

/** Adds `items` in one pass and waits for its check phase. */
async function pass(batcher: PassBatcher<string>, ...items: string[]): Promise<void> {
  for (const item of items) batcher.add('', item);
  await checkPhase();
}

describe('PassBatcher', () => {
  it('sends a lone item at once, before add returns', async () => {
    const { batcher, sent } = recording();
    batcher.add('', 'a');
    expect(sent).toEqual([['a']]);
    await checkPhase();
    batcher.add('', 'b');
    expect(sent).toEqual([['a'], ['b']]);
  });

  it('sends the items that follow the first one of a pass together at the check phase', async () => {
    const { batcher, sent } = recording();
    batcher.add('', 'a');
    batcher.add('', 'b');
    batcher.add('', 'c');
    expect(sent).toEqual([['a']]);
    await checkPhase();
    expect(sent).toEqual([['a'], ['b', 'c']]);
  });

  it('never puts items of different groups in one batch', async () => {
    const { batcher, sent } = recording();
    batcher.add('', 'a');
    batcher.add('x', 'x1');
    batcher.add('y', 'y1');
    batcher.add('x', 'x2');
    await checkPhase();
    expect(sent.slice(1)).toEqual([['x1', 'x2'], ['y1']]);
  });

  it('sends a group as soon as it holds maxBatch items', async () => {
    const { batcher, sent } = recording(2);
    batcher.add('', 'a');
    batcher.add('', 'b');
    batcher.add('', 'c');
    expect(sent).toEqual([['a'], ['b', 'c']]);
    batcher.add('', 'd');
    await checkPhase();
    expect(sent).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  describe('after a busy pass', () => {
    it('holds the first item of a pass with the rest after a pass of several items', async () => {
      const { batcher, sent } = recording();
      await pass(batcher, 'a', 'b');
      batcher.add('', 'c');
      batcher.add('', 'd');
      expect(sent).toEqual([['a'], ['b']]);
      await checkPhase();
      expect(sent).toEqual([['a'], ['b'], ['c', 'd']]);
    });

    it('holds a lone item once after a busy pass, then sends lone items at once again', async () => {
      const { batcher, sent } = recording();
      await pass(batcher, 'a', 'b');
      batcher.add('', 'c');
      expect(sent).toEqual([['a'], ['b']]);
      await checkPhase();
      expect(sent).toEqual([['a'], ['b'], ['c']]);
      batcher.add('', 'd');
      expect(sent).toEqual([['a'], ['b'], ['c'], ['d']]);
      await checkPhase();
    });
  });
});
