import { killRecordedServers, REGISTRY_ENV } from './process-registry';

/** Specs stop their own servers; this kills any a crashed or careless spec left behind. */
export default function globalTeardown(): void {
  const registryDir = process.env[REGISTRY_ENV];
  if (!registryDir) return;
  const killed = killRecordedServers(registryDir);
  delete process.env[REGISTRY_ENV];
  if (killed.length > 0) {
    console.warn(`redis harness: killed ${killed.length} leftover redis-server(s): ${killed}`);
  }
}
