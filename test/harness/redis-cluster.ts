import { freePorts } from './free-port';
import { parseInfo, runRedisCli } from './redis-cli';
import { RedisServer, RedisStartError, startRedis } from './redis-server';
import { waitUntil } from './wait';

export interface StartClusterOptions {
  /** Master count, at least 3 (redis-cli refuses fewer); default 3. */
  masters?: number;
  /** Replicas per master; default 0. */
  replicasPerMaster?: number;
  /** Extra redis-server arguments for every node. */
  args?: string[];
}

/** A node's role when the cluster was created; after a failover ask it (`currentRole()`). */
export type ClusterRole = 'master' | 'replica';
export type ClusterNodeServer = RedisServer & { readonly role: ClusterRole };
export interface RedisAddress {
  host: string;
  port: number;
}

const CREATE_TIMEOUT_MS = 20000;
const HEALTHY_TIMEOUT_MS = 15000;

function clusterArgs(port: number, extra: readonly string[]): string[] {
  return [
    ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
    // A low node timeout makes failure detection, and so failover specs, take about a second.
    ...['--cluster-node-timeout', '1000'],
    ...extra,
  ];
}

async function startNode(port: number, extra: readonly string[]): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedis({ port, args: clusterArgs(port, extra) });
    } catch (error) {
      const inUse = error instanceof RedisStartError && error.addressInUse;
      if (!inUse || attempt >= 3) throw error;
      [port] = await freePorts(1, { clusterBus: true });
    }
  }
}

const portOf = (address: string) => Number(address.split('@')[0].split(':').pop());

interface NodeView {
  /** `port:slots` of every master that owns slots, sorted: equal on all nodes once they agree. */
  owners: string;
  ownerPorts: number[];
  knownNodes: number;
  liveReplicas: number;
  /** Ports this node flags as failing (`fail` or `fail?`). */
  failing: number[];
}

/** One node's view of the cluster, or undefined while the node itself is not ok. */
async function viewOf(node: RedisServer): Promise<NodeView | undefined> {
  if (parseInfo(await node.cli('CLUSTER', 'INFO')).cluster_state !== 'ok') return undefined;
  // CLUSTER NODES rows: <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot>...
  const rows = (await node.cli('CLUSTER', 'NODES')).split('\n').map((l) => l.trim().split(' '));
  if (rows.some((row) => /handshake|noaddr/.test(row[2]))) return undefined;
  const myself = rows.find((row) => row[2].includes('myself'));
  if (myself?.[2].includes('slave')) {
    const link = parseInfo(await node.cli('INFO', 'replication')).master_link_status;
    if (link !== 'up') return undefined;
  }
  const owners = rows.filter((row) => row[2].includes('master') && row.length > 8);
  return {
    owners: owners
      .map((row) => `${portOf(row[1])}:${row.slice(8).join(',')}`)
      .sort()
      .join(' '),
    ownerPorts: owners.map((row) => portOf(row[1])),
    knownNodes: rows.length,
    liveReplicas: rows.filter((row) => /slave/.test(row[2]) && !/fail/.test(row[2])).length,
    failing: rows.filter((row) => /fail/.test(row[2])).map((row) => portOf(row[1])),
  };
}

/**
 * True when every running node is ok, they all agree on which masters own which slots, those
 * masters are running, no running node is flagged as failing, and every replica is linked.
 */
async function isHealthy(
  nodes: readonly RedisServer[],
  expected?: { knownNodes: number; liveReplicas: number },
): Promise<boolean> {
  const running = nodes.filter((n) => n.running);
  const runningPorts = new Set(running.map((n) => n.port));
  const views = await Promise.all(running.map(viewOf));
  return views.every(
    (view) =>
      view !== undefined &&
      view.owners === views[0]?.owners &&
      view.ownerPorts.every((port) => runningPorts.has(port)) &&
      !view.failing.some((port) => runningPorts.has(port)) &&
      (!expected ||
        (view.knownNodes === expected.knownNodes && view.liveReplicas === expected.liveReplicas)),
  );
}

/**
 * A Redis Cluster of harness servers on loopback ports.
 *
 * @example
 * const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
 * afterAll(() => cluster.stop());
 * const client = new Cluster(cluster.startupNodes);
 */
export class RedisCluster {
  private constructor(readonly nodes: ClusterNodeServer[]) {}

  /** Creates the cluster; prefer `startCluster()`. */
  static async start(options: StartClusterOptions = {}): Promise<RedisCluster> {
    const masters = options.masters ?? 3;
    const replicasPerMaster = options.replicasPerMaster ?? 0;
    if (masters < 3) throw new Error('A Redis Cluster needs at least 3 masters');
    const total = masters * (1 + replicasPerMaster);
    const ports = await freePorts(total, { clusterBus: true });
    const started = await Promise.allSettled(ports.map((p) => startNode(p, options.args ?? [])));
    const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      const addresses = servers.map((s) => `${s.host}:${s.port}`);
      const replicasFlag = ['--cluster-replicas', String(replicasPerMaster)];
      const create = ['--cluster', 'create', ...addresses, ...replicasFlag, '--cluster-yes'];
      await runRedisCli({ connection: [] }, create, CREATE_TIMEOUT_MS);
      const expected = { knownNodes: total, liveReplicas: masters * replicasPerMaster };
      await waitUntil(() => isHealthy(servers, expected), {
        what: 'cluster_state:ok and linked replicas on every node',
        timeoutMs: HEALTHY_TIMEOUT_MS,
        intervalMs: 100,
      });
      const nodes = await Promise.all(
        servers.map(async (s) => {
          const role: ClusterRole = (await s.currentRole()) === 'master' ? 'master' : 'replica';
          return Object.assign(s, { role });
        }),
      );
      return new RedisCluster(nodes);
    } catch (error) {
      await Promise.all(servers.map((s) => s.stop()));
      throw error;
    }
  }

  /** Nodes that were created as masters, in creation order. */
  get masters(): ClusterNodeServer[] {
    return this.nodes.filter((n) => n.role === 'master');
  }

  /** Nodes that were created as replicas. */
  get replicas(): ClusterNodeServer[] {
    return this.nodes.filter((n) => n.role === 'replica');
  }

  /** Every node's address, as ioredis `new Cluster(startupNodes)` takes them. */
  get startupNodes(): RedisAddress[] {
    return this.nodes.map((n) => ({ host: n.host, port: n.port }));
  }

  /**
   * Stops the master at `index` (of `masters`) and returns it, without waiting for a failover:
   * follow with `waitForHealthy()` when the spec needs the replica promoted.
   */
  async killMaster(index = 0): Promise<ClusterNodeServer> {
    const master = this.masters[index];
    if (!master) throw new Error(`No master at index ${index}`);
    await master.stop();
    return master;
  }

  /**
   * Waits until the running nodes form a healthy cluster again: all `cluster_state:ok`, agreeing
   * on slot owners that are all running, replicas linked. Use it after `killMaster()` (failover
   * takes about 2 s) or after restarting a node (an old master rejoins as a replica).
   */
  async waitForHealthy(timeoutMs = HEALTHY_TIMEOUT_MS): Promise<void> {
    await waitUntil(() => isHealthy(this.nodes), {
      what: 'the running nodes to agree on running slot owners',
      timeoutMs,
      intervalMs: 100,
    });
  }

  /** Stops every node. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

/**
 * Starts `masters * (1 + replicasPerMaster)` cluster-enabled servers, joins them with
 * `redis-cli --cluster create`, and resolves once every node reports `cluster_state:ok`, knows
 * every other node, and every replica's link to its master is up. Takes about 2.5 s.
 */
export function startCluster(options: StartClusterOptions = {}): Promise<RedisCluster> {
  return RedisCluster.start(options);
}
