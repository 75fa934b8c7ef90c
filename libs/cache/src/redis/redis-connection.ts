import { Logger } from '@nestjs/common';
import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import type { ResolvedRedisOptions } from '../options/resolve-options';
import { RedisCircuit } from './redis-circuit';
import { WriteCoalescer } from './write-coalescer';

/** A client and the circuit every call on it goes through. */
export interface RedisLane {
  client: Redis | Cluster;
  circuit: RedisCircuit;
}

/**
 * What the module talks to Redis through: the client for writes, scripts and pub/sub, whether
 * the module opened it (and so must close it), and a second connection of its own for plain
 * reads. Redis runs one connection's commands in order, so a write held by the server
 * (`CLIENT PAUSE WRITE`, a slow script) would otherwise hold every read sent after it.
 */
export interface RedisConnection extends RedisLane {
  owned: boolean;
  /** Entry, tag-mark and revocation reads; always opened (and closed) by the module. */
  reads: RedisLane;
}

const MAX_BACKOFF_MS = 500;

/**
 * Reconnect delay: exponential from 50 ms, capped at 500 ms (so a restarted server is picked up within about half a second), with full jitter so many instances do
 * not reconnect in step.
 */
export function reconnectDelay(attempt: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, 50 * 2 ** Math.min(attempt, 10));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/**
 * Opens the ioredis client described by the options, set up so that a cache call never waits
 * longer than `commandTimeout`: no offline queue (commands fail at once while disconnected), no
 * resend of commands that got no reply, and background reconnection with a capped backoff. The
 * deadline itself is the circuit's; the writing client's own timeout is a backstop for the calls
 * made around its circuit (health checks, pub/sub).
 */
export function createRedisConnection(options: ResolvedRedisOptions): RedisConnection {
  const owned = options.client === undefined;
  const client = options.client ?? openClient(options, true);
  if (owned) logConnectionErrors(client);
  const reader = owned ? openClient(options, false) : duplicate(options.client!);
  logConnectionErrors(reader);
  const circuit = new RedisCircuit(
    options.commandTimeout,
    () => client.ping(),
    undefined,
    coalesce(client),
  );
  const readCircuit = new RedisCircuit(
    options.commandTimeout,
    () => reader.ping(),
    undefined,
    coalesce(reader),
  );
  // Linked circuits judge one connection by the other's answers, which assumes one server: on a
  // Cluster the two may be talking to different nodes, in different states.
  if (!(client as Cluster).isCluster) RedisCircuit.link(circuit, readCircuit);
  return { client, owned, circuit, reads: { client: reader, circuit: readCircuit } };
}

/** Batches the writes of one event-loop pass on a standalone or Sentinel client. */
function coalesce(client: Redis | Cluster): ((immediate: boolean) => void) | undefined {
  return (client as Cluster).isCluster ? undefined : new WriteCoalescer(client as Redis).hold;
}

/** The reading connection for a client the app passed in: same server and settings. */
function duplicate(client: Redis | Cluster): Redis | Cluster {
  return (client as Cluster).isCluster
    ? (client as Cluster).duplicate()
    : (client as Redis).duplicate();
}

/** Closes a client politely when it is connected, and stops its reconnection either way. */
export async function closeClient(client: Redis | Cluster): Promise<void> {
  try {
    if (client.status === 'ready') await client.quit();
  } catch {
    // Down or frozen: nothing more to say to it.
  } finally {
    // Stops a pending reconnection too, which `quit` leaves scheduled when Redis is down.
    if (client.status !== 'end') client.disconnect();
  }
}

/**
 * Logs why the connection fails (a wrong password, an untrusted certificate, a refused port), once
 * per distinct reason until the client is ready again, instead of once per reconnection attempt.
 * ioredis messages name the cause and the address, never the password.
 */
function logConnectionErrors(client: Redis | Cluster): void {
  const logger = new Logger('CacheModule');
  let last: string | undefined;
  const report = (error: unknown): void => {
    const reason = error instanceof Error ? error.message : String(error);
    if (reason === last) return;
    last = reason;
    logger.warn(`Redis connection error: ${reason}`);
  };
  client.on('error', report);
  client.on('node error', report);
  client.on('ready', () => {
    last = undefined;
  });
}

/**
 * Waits until the client is ready, at most `timeout` ms, and never fails: an app whose Redis is
 * down still boots (and the client keeps reconnecting in the background).
 */
export function waitUntilReady(client: Redis | Cluster, timeout: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeout);
    client.once('ready', done);
  });
}

/**
 * `backstop`: give the client a per-command timeout of its own behind the circuit's deadline. The
 * reading connection of a standalone or Sentinel server goes without: every command on it goes
 * through its circuit (which sends at most one probe at a time), and the timer ioredis arms and
 * clears per command cost about a tenth of a sequential read. A Cluster client keeps it, because
 * it retries commands on its own.
 */
function openClient(options: ResolvedRedisOptions, backstop: boolean): Redis | Cluster {
  const common: RedisOptions = {
    username: options.username,
    password: options.password,
    db: options.db,
    tls: options.tls === true ? {} : (options.tls as RedisOptions['tls']),
    commandTimeout:
      backstop || options.cluster ? backstopTimeout(options.commandTimeout) : undefined,
    connectTimeout: options.connectTimeout,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    // Commands are written as they come and pipelined on the socket anyway; auto-pipelining would
    // hold each one for a tick and queue batches behind a batch that waits for a silent server.
    enableAutoPipelining: false,
    retryStrategy: reconnectDelay,
    // ioredis arms this timer on every disconnect and only clears it when the socket closes, which
    // an already-refused socket never does again: keep it short so closing leaves nothing behind.
    disconnectTimeout: 100,
  };
  stripUndefined(common);

  if (options.cluster) {
    const nodes = options.cluster.nodes.map(toClusterNode);
    const { retryStrategy: _retry, enableOfflineQueue: _queue, ...redisOptions } = common;
    return new Cluster(nodes, {
      redisOptions,
      enableOfflineQueue: false,
      enableAutoPipelining: false,
      clusterRetryStrategy: reconnectDelay,
      slotsRefreshTimeout: options.connectTimeout,
      scaleReads: 'master',
    });
  }
  if (options.sentinels) {
    return new Redis({
      ...common,
      sentinels: options.sentinels,
      name: options.name,
      sentinelRetryStrategy: reconnectDelay,
    });
  }
  if (options.url) return new Redis(options.url, common);
  return new Redis({ ...common, host: options.host ?? '127.0.0.1', port: options.port ?? 6379 });
}

/**
 * The client's own per-command timeout, behind the circuit's deadline: it only clears commands
 * that a silent connection would otherwise keep forever.
 */
function backstopTimeout(commandTimeout: number): number {
  return Math.max(1000, commandTimeout * 4);
}

function toClusterNode(node: string | { host: string; port: number }): ClusterNode {
  if (typeof node !== 'string') return node;
  const url = node.includes('://') ? new URL(node) : new URL(`redis://${node}`);
  return { host: url.hostname, port: Number(url.port || 6379) };
}

function stripUndefined(options: RedisOptions): void {
  for (const key of Object.keys(options) as (keyof RedisOptions)[]) {
    if (options[key] === undefined) delete options[key];
  }
}
