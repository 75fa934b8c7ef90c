import { Redis } from 'ioredis';
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

  it('starts over in the next pass: its first command is written at once again', async () => {
    const coalescer = new WriteCoalescer(client);
    await nextPass();
    coalescer.hold();
    coalescer.hold();
    await Promise.all([client.ping(), client.ping()]);
    coalescer.hold();
    const reply = client.ping('next');
    expect(client.stream.writableCorked).toBe(0);
    await expect(reply).resolves.toBe('next');
  });
});
