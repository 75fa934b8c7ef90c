import * as net from 'net';

/** Offset of a cluster node's bus port from its client port, fixed by Redis. */
export const CLUSTER_BUS_OFFSET = 10000;

export interface FreePortsOptions {
  /** Also require `port + 10000` to be free (and valid), as a Redis Cluster node needs. */
  clusterBus?: boolean;
}

// Ports already handed out by this module instance: a spec may stop a server and restart it on
// the same port later, so we never give that port to anyone else in the meantime.
const handedOut = new Set<number>();

function listen(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Returns `count` distinct ports that were free on 127.0.0.1 a moment ago. They are held open
 * together while choosing, so they differ from each other and from earlier calls.
 *
 * @example
 * const [a, b, c] = await freePorts(3, { clusterBus: true });
 */
export async function freePorts(count: number, options: FreePortsOptions = {}): Promise<number[]> {
  const held: net.Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempt = 0; ports.length < count; attempt++) {
      if (attempt > count * 50) {
        throw new Error(`Could not find ${count} free ports on 127.0.0.1`);
      }
      const server = await listen(0);
      if (!server) continue;
      held.push(server);
      const port = (server.address() as net.AddressInfo).port;
      if (handedOut.has(port)) continue;
      if (options.clusterBus) {
        if (port + CLUSTER_BUS_OFFSET > 65535) continue;
        const bus = await listen(port + CLUSTER_BUS_OFFSET);
        if (!bus) continue;
        held.push(bus);
      }
      ports.push(port);
    }
  } finally {
    await Promise.all(held.map(close));
  }
  ports.forEach((port) => handedOut.add(port));
  return ports;
}

/**
 * Returns one port that was free on 127.0.0.1 a moment ago.
 *
 * @example
 * const port = await freePort();
 */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port;
}
