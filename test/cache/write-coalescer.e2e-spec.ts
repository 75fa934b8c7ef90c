import { Redis } from 'ioredis';
import { RedisRateLimitStore } from '../../libs/cache/src/rate-limit/redis-rate-limit.store';
import { RedisCircuit } from '../../libs/cache/src/redis/redis-circuit';
import { WriteCoalescer } from '../../libs/cache/src/redis/write-coalescer';
import { startRedis, type RedisServer } from '../harness';

describe('WriteCoalescer', () => {
  let server: RedisServer;
  let client: Redis;

  beforeAll(async () => {
    server = await startRedis();
    client = new Redis(server.url);
    await client.ping();
  });

  afterAll(async () => {
    await client.quit();
    await server.stop();
  });

  const nextPass = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('writes a lone command at once', async () => {
    const coalescer = new WriteCoalescer(client);
    await nextPass();
    coalescer.hold();
    const reply = client.ping('alone');
    expect(client.stream.writableCorked).toBe(0);
    expect(client.stream.writableLength).toBe(0);
    await expect(reply).resolves.toBe('alone');
  });

  it('holds the commands that follow the first one in a pass, and sends them together at the check phase', async () => {
    const coalescer = new WriteCoalescer(client);
    await nextPass();
    const replies = ['a', 'b', 'c'].map((text) => {
      coalescer.hold();
      return client.ping(text);
    });
    expect(client.stream.writableCorked).toBe(1);
    expect(client.stream.writableLength).toBeGreaterThan(0); // b and c wait in the socket
    await nextPass();
    expect(client.stream.writableCorked).toBe(0);
    await expect(Promise.all(replies)).resolves.toEqual(['a', 'b', 'c']);
  });

  it('after a lone pass, writes the next pass’s first command at once again', async () => {
    const coalescer = new WriteCoalescer(client);
    await nextPass();
    coalescer.hold();
    await client.ping();
    await nextPass(); // the pass opened at a check phase closes at the next one
    coalescer.hold();
    const reply = client.ping('next');
    expect(client.stream.writableCorked).toBe(0);
    await expect(reply).resolves.toBe('next');
  });

  it('after a pass of several commands, holds the next pass’s first command too', async () => {
    const coalescer = new WriteCoalescer(client);
    await nextPass();
    await busyPass(coalescer);
    coalescer.hold();
    const reply = client.ping('held');
    expect(client.stream.writableCorked).toBe(1);
    await nextPass();
    expect(client.stream.writableCorked).toBe(0);
    await expect(reply).resolves.toBe('held');
  });

  it('writes a batch at once even after a busy pass, and opens no pass with it', async () => {
    const coalescer = new WriteCoalescer(client);
    await nextPass();
    await busyPass(coalescer);
    coalescer.hold(true);
    const batch = client.ping('batch');
    expect(client.stream.writableCorked).toBe(0);
    expect(client.stream.writableLength).toBe(0);
    coalescer.hold();
    const after = client.ping('after'); // opens the pass, held as the previous pass was busy
    expect(client.stream.writableCorked).toBe(1);
    await expect(Promise.all([batch, after])).resolves.toEqual(['batch', 'after']);
  });

  it('never holds a rate-limit call, which its store batches itself, even after a busy pass', async () => {
    const coalescer = new WriteCoalescer(client);
    const circuit = new RedisCircuit(1000, () => client.ping(), undefined, coalescer.hold);
    const store = new RedisRateLimitStore(client, { namespace: 'coalescer', circuit });
    const limits = [{ name: 'default', limit: 100, window: 60_000, blockFor: 0 }];
    await nextPass();
    await busyPass(coalescer); // the coalescer would hold the next pass's first command
    const hit = store.hit('ip:a', limits, 'fixed-window');
    expect(client.stream.writableCorked).toBe(0);
    expect(client.stream.writableLength).toBe(0);
    await expect(hit).resolves.toMatchObject({ allowed: true });
    circuit.close();
  });

  /** Two commands in one pass, answered. */
  async function busyPass(coalescer: WriteCoalescer): Promise<void> {
    coalescer.hold();
    const first = client.ping();
    coalescer.hold();
    await Promise.all([first, client.ping()]);
  }
});
