// Public exports of health/ (re-exported by the library's index.ts).
export { RedisHealthIndicator, type RedisHealthCheckOptions } from './redis.health';
export type { RedisHealthDetails, RedisHealthMode } from './redis-probe';
