import { SingleFlight, type Flight } from './single-flight';

/** A work whose promise the test settles by hand. */
function deferred(): {
  work: (flight: Flight) => Promise<string>;
  flight(): Flight;
  settle(value: string): void;
} {
  let settle!: (value: string) => void;
  let held: Flight | undefined;
  const promise = new Promise<string>((resolve) => (settle = resolve));
  return {
    work: (flight) => {
      held = flight;
      return promise;
    },
    flight: () => held!,
    settle: (value) => settle(value),
  };
}

describe('SingleFlight', () => {
  it('gives concurrent callers of one key the first caller’s execution', async () => {
    const flights = new SingleFlight<string>();
    const first = deferred();
    const second = jest.fn(() => Promise.resolve('second'));
    const a = flights.run('k', first.work);
    const b = flights.run('k', second);
    expect(second).not.toHaveBeenCalled();
    first.settle('first');
    await expect(Promise.all([a, b])).resolves.toEqual(['first', 'first']);
  });

  it('hands joiners what forJoiner makes of the result, and the first caller the result itself', async () => {
    const flights = new SingleFlight<{ n: number }>((result) => ({ ...result }));
    let settle!: (value: { n: number }) => void;
    const shared = { n: 1 };
    const a = flights.run('k', () => new Promise((resolve) => (settle = resolve)));
    const b = flights.run('k', () => Promise.resolve({ n: 2 }));
    settle(shared);
    const [mine, joined] = await Promise.all([a, b]);
    expect(mine).toBe(shared);
    expect(joined).toEqual({ n: 1 });
    expect(joined).not.toBe(shared);
  });

  it('keeps other keys apart', async () => {
    const flights = new SingleFlight<string>();
    const held = deferred();
    void flights.run('a', held.work);
    await expect(flights.run('b', () => Promise.resolve('b'))).resolves.toBe('b');
    held.settle('a');
  });

  it('holds the key until the work releases it, then starts anew; the joined callers keep their result', async () => {
    const flights = new SingleFlight<string>();
    const first = deferred();
    const joined = flights.run('k', first.work);
    first.settle('first');
    await joined;
    // Settled but not released: a later call still joins it.
    await expect(flights.run('k', () => Promise.resolve('second'))).resolves.toBe('first');
    first.flight().release();
    expect(flights.has('k')).toBe(false);
    await expect(flights.run('k', () => Promise.resolve('second'))).resolves.toBe('second');
  });

  it('ignores a release by a work that forget() already detached, leaving the newer execution in place', async () => {
    const flights = new SingleFlight<string>();
    const old = deferred();
    void flights.run('k', old.work);
    flights.forget(['k']);
    expect(old.flight().detached).toBe(true);
    const current = deferred();
    const newer = flights.run('k', current.work);
    old.flight().release();
    expect(flights.has('k')).toBe(true);
    expect(flights.run('k', () => Promise.resolve('other'))).toBe(newer);
    current.settle('newer');
    old.settle('old');
  });

  it('forget() without keys detaches every execution', () => {
    const flights = new SingleFlight<string>();
    const a = deferred();
    const b = deferred();
    void flights.run('a', a.work);
    void flights.run('b', b.work);
    flights.forget();
    expect([a.flight().detached, b.flight().detached]).toEqual([true, true]);
    expect(flights.has('a') || flights.has('b')).toBe(false);
    a.settle('a');
    b.settle('b');
  });
});
