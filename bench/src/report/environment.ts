import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';

export interface Environment {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  loadAverage: string;
  redis: string;
  library: string;
  versions: [string, string][];
}

const BENCH_DIR = resolve(__dirname, '..', '..', '..', '..');
const REPO_DIR = resolve(BENCH_DIR, '..');

/** Packages whose versions are recorded: the rivals, Nest, the clients and the load generator. */
const PACKAGES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  'ioredis',
  'lru-cache',
  'cache-manager',
  'keyv',
  '@keyv/redis',
  '@redis/client',
  '@type-cacheable/core',
  '@type-cacheable/ioredis-adapter',
  '@type-cacheable/lru-cache-adapter',
  'bentocache',
  '@nestjs/throttler',
  '@nest-lab/throttler-storage-redis',
  '@nestjs/cache-manager',
  'autocannon',
];

export function describeEnvironment(redisVersion: string): Environment {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 1024 ** 3,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: loadAverage(),
    redis: `redis-server ${redisVersion}`,
    library: describeLibrary(),
    versions: PACKAGES.map((name) => [name, installedVersion(name)]),
  };
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
}

function installedVersion(name: string): string {
  // Read the file directly: some packages' "exports" do not expose their package.json.
  for (const base of [
    join(BENCH_DIR, 'node_modules'),
    join(BENCH_DIR, 'node_modules', '@keyv', 'redis', 'node_modules'),
  ]) {
    const file = join(base, name, 'package.json');
    if (existsSync(file))
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'not installed';
}

function describeLibrary(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_DIR, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: REPO_DIR, encoding: 'utf8' }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'libs/cache/src') !== '';
    return `${pkg.name} ${pkg.version} (libs/cache/src at ${commit}${dirty ? ' + uncommitted changes' : ''})`;
  } catch {
    return `${pkg.name} ${pkg.version}`;
  }
}
