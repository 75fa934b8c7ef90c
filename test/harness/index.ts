/**
 * The test harness: specs start their own Redis servers (standalone, Cluster, Sentinel) on free
 * loopback ports so they can stop, pause and restart them. Specs that only need "a Redis" use
 * `standaloneRedis()`, which honours REDIS_URL; with REDIS_URL the server is shared, so such a
 * spec must only touch keys under its own unique `namespace`, clean them up, and never flush.
 */
export { freePort, freePorts, CLUSTER_BUS_OFFSET } from './free-port';
export type { FreePortsOptions } from './free-port';
export { RedisServer, RedisStartError, parseCommandStats, startRedis } from './redis-server';
export type { StartRedisOptions } from './redis-server';
export { RedisCluster, startCluster } from './redis-cluster';
export type {
  ClusterNodeServer,
  ClusterRole,
  RedisAddress,
  StartClusterOptions,
} from './redis-cluster';
export { RedisSentinel, startSentinel } from './redis-sentinel';
export type { StartSentinelOptions } from './redis-sentinel';
export { standaloneRedis } from './standalone-redis';
export type { StandaloneRedis } from './standalone-redis';
export { waitUntil, sleep } from './wait';
export type { WaitOptions } from './wait';
