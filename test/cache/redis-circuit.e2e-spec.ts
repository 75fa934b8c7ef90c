import { Redis } from 'ioredis';
import { CacheStoreError, CacheTimeoutError } from '@app/cache';
import { RedisCircuit } from '../../libs/cache/src/redis/redis-circuit';
import { startRedis, waitUntil, type RedisServer } from '../harness';

const TIMEOUT = 100;

describe('RedisCircuit on a real Redis', () => {
  let server: RedisServer;
  let client: Redis;
  let circuit: RedisCircuit;

  beforeAll(async () => {
    server = await startRedis();
  });

  afterAll(() => server.stop());

  beforeEach(async () => {
    await server.resume();
    // No client-side timeout: every deadline below is the circuit's.
    client = new Redis(server.url, {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    await client.connect();
    circuit = new RedisCircuit(TIMEOUT, () => client.ping(), 50);
  });

  afterEach(async () => {
    circuit.close();
    await server.resume();
    client.disconnect();
  });

  it('settles a call with its reply', async () => {
    await expect(circuit.call(() => client.ping())).resolves.toBe('PONG');
    expect(circuit.isOpen).toBe(false);
  });

  it('lets a reply that arrived while the event loop was busy win over the deadline', async () => {
    const call = circuit.call(() => client.ping());
    // Block the loop well past the deadline; the reply is read before the deadline is checked.
    const until = Date.now() + TIMEOUT * 3;
    while (Date.now() < until) {
      // busy
    }
    await expect(call).resolves.toBe('PONG');
    expect(circuit.isOpen).toBe(false);
  });

  it('times a call out on a frozen server, then refuses calls at once instead of sending them', async () => {
    await server.pause();
    await expect(circuit.call(() => client.ping())).rejects.toThrow(CacheTimeoutError);
    expect(circuit.isOpen).toBe(true);

    const sent: string[] = [];
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command: Parameters<typeof send>[0]) => {
      sent.push(command.name);
      return send(command);
    }) as typeof client.sendCommand;
    const refused = await Promise.allSettled(
      Array.from({ length: 20 }, () => circuit.call(() => client.get('k'))),
    );
    client.sendCommand = send;

    expect(sent).toEqual([]);
    for (const result of refused) {
      expect(result).toMatchObject({ status: 'rejected', reason: expect.any(CacheStoreError) });
    }
  });

  it('probes the server while open, without making a caller wait, and closes once it answers', async () => {
    await server.pause();
    await expect(circuit.call(() => client.ping())).rejects.toThrow(CacheTimeoutError);
    await server.resume();
    const refusedAt: number[] = [];
    await waitUntil(
      async () => {
        const started = Date.now();
        try {
          await circuit.call(() => client.get('k'));
          return true;
        } catch (error) {
          expect(error).toBeInstanceOf(CacheStoreError); // refused, not timed out
          refusedAt.push(Date.now() - started);
          return false;
        }
      },
      { what: 'a probe to close the circuit', timeoutMs: 2000, intervalMs: 10 },
    );
    expect(circuit.isOpen).toBe(false);
    expect(refusedAt.length).toBeGreaterThan(0);
  });

  it('counts an error reply to its probe as an answer', async () => {
    const probed = new RedisCircuit(TIMEOUT, () => client.call('NO-SUCH-COMMAND'), 50);
    await server.pause();
    await expect(probed.call(() => client.ping())).rejects.toThrow(CacheTimeoutError);
    await server.resume();
    await new Promise((resolve) => setTimeout(resolve, 60)); // past retryAfter
    await expect(probed.call(() => client.ping())).rejects.toThrow(CacheStoreError); // starts it
    await waitUntil(async () => !probed.isOpen, { what: 'the probe reply', timeoutMs: 2000 });
    await expect(probed.call(() => client.ping())).resolves.toBe('PONG');
    probed.close();
  });
});
