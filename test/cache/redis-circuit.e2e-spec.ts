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
    circuit = new RedisCircuit(TIMEOUT, 50);
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

  it('lets one trial call through after retryAfter and closes once the server answers', async () => {
    await server.pause();
    await expect(circuit.call(() => client.ping())).rejects.toThrow(CacheTimeoutError);
    await server.resume();
    await waitUntil(
      async () => {
        try {
          await circuit.call(() => client.ping());
          return true;
        } catch {
          return false;
        }
      },
      { what: 'a trial call to close the circuit', timeoutMs: 2000, intervalMs: 10 },
    );
    expect(circuit.isOpen).toBe(false);
    await expect(circuit.call(() => client.get('missing'))).resolves.toBeNull();
  });

  it('counts an error reply as an answer', async () => {
    await server.pause();
    await expect(circuit.call(() => client.ping())).rejects.toThrow(CacheTimeoutError);
    await server.resume();
    await new Promise((resolve) => setTimeout(resolve, 60)); // past retryAfter
    await expect(circuit.call(() => client.call('NO-SUCH-COMMAND'))).rejects.toThrow(
      /unknown command/i,
    );
    expect(circuit.isOpen).toBe(false);
  });
});
