import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REGISTRY_ENV } from './process-registry';

export const REDIS_SERVER_MISSING =
  'redis-server was not found on PATH: install it (apt-get install redis-server, or brew install redis) or set REDIS_URL to a server the tests may use';

function redisServerRuns(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('redis-server', ['--version'], { timeout: 5000 }, (error) => resolve(!error));
  });
}

/** Fails fast when specs cannot start their own servers, and sets up the pid registry. */
export default async function globalSetup(): Promise<void> {
  if (!process.env.REDIS_URL && !(await redisServerRuns())) {
    throw new Error(REDIS_SERVER_MISSING);
  }
  // Workers inherit this, and record their servers' pids in it for global teardown.
  process.env[REGISTRY_ENV] = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-harness-run-'));
}
