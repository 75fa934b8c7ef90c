import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { CacheStoreError, CacheTimeoutError } from '@app/cache';
import { RedisCircuit } from '../../libs/cache/src/redis/redis-circuit';
import { startRedis, waitUntil, type RedisServer } from '../harness';

const TIMEOUT = 100;

/** V8's `gc()`, without starting Node with `--expose-gc`. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** A client with no timeout of its own (every deadline here is the circuit's), once connected. */
async function connect(server: RedisServer): Promise<Redis> {
  const client = new Redis(server.url, {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
  await client.connect();
  return client;
}

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
    client = await connect(server);
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

  it('keeps nothing of a call once it settled, though its deadline timer still runs', async () => {
    const gc = exposeGc();
    const replies: WeakRef<object>[] = [];
    const read = async (): Promise<void> => {
      const reply = await circuit.call(() => client.hgetall('no-such-hash'));
      replies.push(new WeakRef(reply));
    };
    for (let i = 0; i < 5; i++) await read();
    await new Promise((resolve) => setImmediate(resolve)); // a new job: WeakRef targets may go
    gc();
    expect(replies.filter((reply) => reply.deref() !== undefined)).toHaveLength(0);
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

    expect(sent.filter((name) => name !== 'ping')).toEqual([]); // only the circuit's own probes
    for (const result of refused) {
      expect(result).toMatchObject({ status: 'rejected', reason: expect.any(CacheStoreError) });
    }
  });

  it('probes the server in the background while open, and closes once it answers', async () => {
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

  it('keeps one probe waiting on a frozen server, not one more per interval', async () => {
    await server.pause();
    await expect(circuit.call(() => client.ping())).rejects.toThrow(CacheTimeoutError);
    await sleep(500); // ten probe intervals
    // The call that timed out and one probe: the client has no timeout that would drop them.
    expect(client.commandQueue.length).toBe(2);
    await server.resume();
    await waitUntil(async () => !circuit.isOpen, {
      what: 'the waiting probe to close the circuit',
      timeoutMs: 2000,
      intervalMs: 10,
    });
    expect(client.commandQueue.length).toBe(0);
  });

  it('counts an error reply to its probe as an answer', async () => {
    const probed = new RedisCircuit(TIMEOUT, () => client.call('NO-SUCH-COMMAND'), 50);
    await server.pause();
    await expect(probed.call(() => client.ping())).rejects.toThrow(CacheTimeoutError);
    expect(probed.isOpen).toBe(true);
    await server.resume();
    // The probe runs in the background; its error reply closes the circuit.
    await waitUntil(async () => !probed.isOpen, { what: 'the probe reply', timeoutMs: 2000 });
    await expect(probed.call(() => client.ping())).resolves.toBe('PONG');
    probed.close();
  });

  it('fails every call still waiting when one times out: they wait on the same silent server', async () => {
    await server.pause();
    const first = circuit.call(() => client.ping());
    await new Promise((resolve) => setTimeout(resolve, 30));
    let secondSettled = false;
    const second = circuit.call(() => client.get('k')).finally(() => (secondSettled = true));
    second.catch(() => undefined); // asserted below
    await expect(first).rejects.toThrow(CacheTimeoutError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondSettled).toBe(true); // before its own deadline, 30 ms later
    await expect(second).rejects.toThrow(CacheTimeoutError);
  });

  describe('linked to a second connection', () => {
    let reader: Redis;
    let reads: RedisCircuit;

    beforeEach(async () => {
      reader = await connect(server);
      reads = new RedisCircuit(TIMEOUT, () => reader.ping(), 50);
      RedisCircuit.link(circuit, reads);
    });

    afterEach(async () => {
      reads.close();
      await server.resume();
      await server.cli('CLIENT', 'UNPAUSE');
      reader.disconnect();
    });

    it('opens both when the server is frozen', async () => {
      await server.pause();
      const read = reads.call(() => reader.get('k'));
      await new Promise((resolve) => setTimeout(resolve, 30));
      const write = circuit.call(() => client.set('k', 'v'));
      await expect(read).rejects.toThrow(CacheTimeoutError);
      await expect(write).rejects.toThrow(CacheTimeoutError);
      expect(reads.isOpen).toBe(true);
      expect(circuit.isOpen).toBe(true);
    });

    it('opens only the held one during CLIENT PAUSE WRITE, before its deadline', async () => {
      const held = new RedisCircuit(5000, () => client.ping(), 50);
      RedisCircuit.link(held, reads);
      await server.clientPause(3000, 'WRITE');
      const started = Date.now();
      const write = held.call(() => client.set('held', 'v'));
      write.catch(() => undefined); // asserted below
      // Reads sent after the write keep being answered, so the write is being held.
      for (let i = 0; i < 10 && !held.isOpen; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await expect(reads.call(() => reader.get('held'))).resolves.toBeNull();
      }
      await expect(write).rejects.toThrow(CacheTimeoutError);
      expect(Date.now() - started).toBeLessThan(2500); // the pause still holds it; 5 s deadline
      expect(held.isOpen).toBe(true);
      expect(reads.isOpen).toBe(false);
      held.close();
    });
  });
});
