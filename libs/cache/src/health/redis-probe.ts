import type { Cluster, Redis } from 'ioredis';
import { CacheTimeoutError } from '../errors';
import type { Deadline } from './deadline';

/** How the module reaches Redis; `'memory'` when no Redis is configured. */
export type RedisHealthMode = 'standalone' | 'sentinel' | 'cluster' | 'memory';

/**
 * What a Redis health check reports. Built only from INFO fields, counts and fixed sentences, so it
 * never carries a password, a URL or a client error message.
 */
export type RedisHealthDetails = {
  mode: RedisHealthMode;
  /** Round trip of PING (on a Cluster, of the slowest master that answered). */
  latencyMs?: number;
  /** `'master'` or `'replica'` (on a Cluster, of the first master that answered). */
  role?: string;
  /** `redis_version` from INFO server. */
  version?: string;
  /** From INFO memory; `maxBytes` 0 means no `maxmemory` limit. */
  memory?: { usedBytes: number; maxBytes: number };
  /**
   * `cluster_state` (`'fail'` if any master says so), how many masters answered PING, and how
   * many serve slots (`cluster_size`, or the masters the client knows if that is more).
   */
  cluster?: { state: string; mastersAnswered: number; mastersExpected: number };
  /** Why Redis counts as down (or, for an optional check, as degraded). */
  reason?: string;
  /** Set by an optional check that stays up although Redis is down. */
  degraded?: boolean;
};

interface NodeReport {
  latencyMs: number;
  info: Record<string, string>;
  clusterState?: string;
  clusterSize?: number;
}

const INFO_SECTIONS = ['server', 'memory', 'replication'] as const;

function isCluster(client: Redis | Cluster): client is Cluster {
  return client.isCluster;
}

/** Which kind of deployment the client talks to. */
export function modeOf(client: Redis | Cluster): Exclude<RedisHealthMode, 'memory'> {
  if (isCluster(client)) return 'cluster';
  return client.options.sentinels?.length ? 'sentinel' : 'standalone';
}

/**
 * PINGs the client (every master of a Cluster) and reads its INFO within the deadline. Never
 * rejects: a failure comes back as a `reason`.
 */
export async function probeRedis(
  client: Redis | Cluster,
  deadline: Deadline,
): Promise<RedisHealthDetails> {
  if (isCluster(client)) return probeCluster(client, deadline);
  const mode = modeOf(client);
  let details: RedisHealthDetails;
  try {
    details = { mode, ...describeNode(await deadline.race(probeNode(client, false))) };
  } catch (error) {
    return { mode, reason: describeFailure(error, client.status) };
  }
  // The module writes through this connection: a replica answers every write with READONLY (a
  // failover that left a DNS name or a URL on the old master, or a Sentinel switch under way).
  if (details.role === 'replica') details.reason = REPLICA_REASON;
  return details;
}

const REPLICA_REASON =
  'Redis answers as a replica: every write fails (READONLY); the module needs the master';

async function probeCluster(cluster: Cluster, deadline: Deadline): Promise<RedisHealthDetails> {
  const masters = cluster.nodes('master');
  if (masters.length === 0) {
    return { mode: 'cluster', reason: `no Cluster master is known (${cluster.status})` };
  }
  const settled = await Promise.allSettled(
    masters.map((node) => deadline.race(probeNode(node, true))),
  );
  const reports: NodeReport[] = [];
  const failures: string[] = [];
  settled.forEach((result, i) => {
    if (result.status === 'fulfilled') reports.push(result.value);
    else failures.push(describeFailure(result.reason, masters[i].status));
  });
  const state = clusterStateOf(reports);
  // The client forgets a master whose connection ended; cluster_size still counts it.
  const expected = Math.max(masters.length, ...reports.map((r) => r.clusterSize ?? 0));
  const problems: string[] = [];
  if (state !== 'ok' && state !== 'unknown') problems.push(`cluster_state is ${state}`);
  if (reports.length < expected) {
    const why = failures.length > 0 ? `: ${[...new Set(failures)].join(', ')}` : '';
    problems.push(`${reports.length} of ${expected} masters answered${why}`);
  }
  const slowest = () => roundMs(Math.max(...reports.map((r) => r.latencyMs)));
  return {
    mode: 'cluster',
    ...(reports.length > 0 ? { ...describeNode(reports[0]), latencyMs: slowest() } : {}),
    cluster: { state, mastersAnswered: reports.length, mastersExpected: expected },
    ...(problems.length > 0 ? { reason: problems.join('; ') } : {}),
  };
}

/** `'ok'` only when every master that answered says so; `'unknown'` when none answered. */
function clusterStateOf(reports: NodeReport[]): string {
  if (reports.length === 0) return 'unknown';
  const notOk = reports.find((r) => r.clusterState !== 'ok');
  return notOk ? (notOk.clusterState ?? 'unknown') : 'ok';
}

/**
 * PING, INFO and (on a Cluster) CLUSTER INFO, sent in the same tick so they go out back to back
 * on the one connection and come back in one round trip (ioredis never autopipelines INFO or
 * CLUSTER, so an explicit pipeline would not save anything). INFO is best effort (an ACL may deny
 * it); PING and CLUSTER INFO must succeed.
 */
async function probeNode(node: Redis, cluster: boolean): Promise<NodeReport> {
  const started = performance.now();
  const ping = node.ping().then(() => performance.now() - started);
  const sections = Promise.allSettled(INFO_SECTIONS.map((section) => node.info(section)));
  const clusterInfo = cluster ? node.cluster('INFO') : Promise.resolve(undefined);
  const [latencyMs, infos, clusterReply] = await Promise.all([ping, sections, clusterInfo]);
  const info = Object.assign(
    {},
    ...infos.map((result) => (result.status === 'fulfilled' ? parseInfo(result.value) : {})),
  ) as Record<string, string>;
  if (clusterReply === undefined) return { latencyMs, info };
  const { cluster_state: clusterState, cluster_size: size } = parseInfo(clusterReply);
  return { latencyMs, info, clusterState, clusterSize: Number(size) || undefined };
}

function describeNode({ latencyMs, info }: NodeReport): Omit<RedisHealthDetails, 'mode'> {
  const usedBytes = Number(info.used_memory);
  const maxBytes = Number(info.maxmemory);
  return {
    latencyMs: roundMs(latencyMs),
    ...(info.role ? { role: info.role === 'slave' ? 'replica' : info.role } : {}),
    ...(info.redis_version ? { version: info.redis_version } : {}),
    ...(Number.isFinite(usedBytes) && Number.isFinite(maxBytes)
      ? { memory: { usedBytes, maxBytes } }
      : {}),
  };
}

/**
 * A fixed sentence for a failure. Client errors can quote the connection (host, URL), so only
 * our own timeout message and the code of a Redis error reply (`NOAUTH`, `LOADING`) get through.
 */
function describeFailure(error: unknown, status: string): string {
  if (error instanceof CacheTimeoutError) return error.message;
  if (error instanceof Error && error.name === 'ReplyError') {
    return `Redis refused the check (${error.message.split(' ', 1)[0]})`;
  }
  if (error instanceof Error && error.message === 'Command timed out') {
    return 'Redis did not answer within the connection commandTimeout';
  }
  if (status !== 'ready') return `Redis is not connected (${status})`;
  return 'Redis could not run the check';
}

function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}
