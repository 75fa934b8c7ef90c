import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort, startRedis, type RedisServer } from '../../harness';
import { makeTempDir } from '../../harness/process-registry';
import { runRedisCli } from '../../harness/redis-cli';
import { AppInstance } from '../support/app-instance';
import { JWT_SECRET, NAMESPACE } from '../support/app-env';
import { sleep } from '../support/clock';
import type { HttpClient, HttpResult } from '../support/http-client';
import { check, type FigureCheck, type ScenarioReport } from '../support/report';
import { formatCounts, latencyOf, ms, non2xxByStatus } from '../support/stats';
import { PASSWORD_CAUSE, quoteLines, TLS_CAUSE, trimLog } from '../support/log-lines';
import { makeTlsFiles } from '../support/tls-certs';
import { PASSWORD } from '../support/users-fixture';

const ADMIN_PASSWORD = 'fault-suite-admin-password';
const APP_USER = 'users-app';
const APP_PASSWORD = 'fault-suite-app-password';
/** "Fails readiness fast": the first readiness answer within this, and boot within F5's 5 s. */
const FAST_MS = 1000;
/** How long to wait for the log line after the instance listens. */
const LOG_WAIT_MS = 2000;
/** Lines the app prints whatever happens; they never count as the clear line. */
const BOILERPLATE =
  /InstanceLoader|RoutesResolver|RouterExplorer|SqliteConnection|NestFactory|NestApplication|Bootstrap/;
let databases = 0;

/**
 * The namespace-limited ACL user: only the keys the module writes (entries `ns:*`, tag marks and
 * locks `ns#*`, rate-limit counters `{ns:rl:*`, revocations `{ns:rv:*`), only the L1 channel
 * (`ns#l1`), every command but the dangerous ones.
 */
export const ACL_RULES = [
  'on',
  `>${APP_PASSWORD}`,
  'resetkeys',
  `~${NAMESPACE}:*`,
  `~${NAMESPACE}#*`,
  `~{${NAMESPACE}:rl:*`,
  `~{${NAMESPACE}:rv:*`,
  'resetchannels',
  `&${NAMESPACE}#l1`,
  '+@all',
  '-@dangerous',
];

/**
 * TLS (`rediss://` to `redis-server --tls-port` with a CA made by openssl, trusted by the app
 * through NODE_EXTRA_CA_CERTS) and a namespace-limited ACL user, each end to end through one app
 * instance; then a wrong CA and a wrong password, which must fail readiness fast with a clear log
 * line.
 */
export async function tlsAndAclScenarios(): Promise<ScenarioReport[]> {
  const dir = makeTempDir('fault-suite-tls');
  const files = makeTlsFiles(dir);
  const tlsPort = await freePort();
  const tlsRedis = await startRedis({
    args: [
      ...[
        '--tls-port',
        String(tlsPort),
        '--tls-cert-file',
        files.cert,
        '--tls-key-file',
        files.key,
      ],
      ...['--tls-ca-cert-file', files.ca, '--tls-auth-clients', 'no'],
    ],
  });
  const aclRedis = await startRedis({ password: ADMIN_PASSWORD });
  try {
    await aclRedis.cli('ACL', 'SETUSER', APP_USER, ...ACL_RULES);
    const tlsUrl = `rediss://127.0.0.1:${tlsPort}`;
    const aclUrl = `redis://${APP_USER}:${APP_PASSWORD}@127.0.0.1:${aclRedis.port}`;
    const wrongUrl = `redis://${APP_USER}:not-the-password@127.0.0.1:${aclRedis.port}`;
    return [
      await endToEnd(
        'TLS',
        'TLS `rediss://` with the CA in NODE_EXTRA_CA_CERTS',
        dir,
        tlsRedis,
        {
          REDIS_URL: tlsUrl,
          NODE_EXTRA_CA_CERTS: files.ca,
        },
        tlsPort,
      ),
      await failsFast(
        'Wrong CA',
        'App started with the wrong CA (TLS)',
        dir,
        { REDIS_URL: tlsUrl, NODE_EXTRA_CA_CERTS: files.otherCa },
        TLS_CAUSE,
      ),
      await endToEnd('ACL', "ACL user limited to the namespace's keys", dir, aclRedis, {
        REDIS_URL: aclUrl,
      }),
      await failsFast(
        'Wrong password',
        'App started with a wrong password (ACL user)',
        dir,
        { REDIS_URL: wrongUrl },
        PASSWORD_CAUSE,
      ),
    ];
  } finally {
    await Promise.all([tlsRedis.stop(), aclRedis.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function appEnv(dir: string, redis: Record<string, string>): Record<string, string> {
  return {
    DATABASE_PATH: path.join(dir, `case-${databases++}.db`),
    JWT_SECRET,
    RATE_LIMIT: '1000000/10s',
    LOGIN_RATE_LIMIT: '100000/1m',
    ...redis,
  };
}

/** Sign-up, cached reads, list, login, update, logout, then the refused token: all through Redis. */
async function endToEnd(
  figure: string,
  scenario: string,
  dir: string,
  redis: RedisServer,
  env: Record<string, string>,
  tlsPort?: number,
): Promise<ScenarioReport> {
  const app = await AppInstance.spawn('app', appEnv(dir, env), dir);
  const checks: FigureCheck[] = [];
  const notes: string[] = [];
  const calls: HttpResult[] = [];
  try {
    await app.waitListening();
    const readyAt = await app.waitReady(10_000).catch(() => Infinity);
    const c = app.http;
    const step = async (
      name: string,
      expected: number,
      call: Promise<HttpResult>,
    ): Promise<HttpResult> => {
      const r = await call;
      calls.push(r);
      if (r.status !== expected)
        notes.push(
          `${name}: expected ${expected}, got ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`,
        );
      return r;
    };
    const email = `e2e-${Date.now()}@example.com`;
    const user = (
      await step(
        'sign-up',
        201,
        c.post('/users', { body: { name: 'E2E', email, password: PASSWORD } }),
      )
    ).body as { id: number };
    await step('read (miss)', 200, c.get(`/users/${user.id}`));
    await step('read (hit)', 200, c.get(`/users/${user.id}`));
    await step('list', 200, c.get('/users?limit=5'));
    const login = await step(
      'login',
      200,
      c.post('/auth/login', { body: { email, password: PASSWORD } }),
    );
    const token = (login.body as { accessToken: string }).accessToken;
    await step('me', 200, c.get('/auth/me', { token }));
    await step(
      'update',
      200,
      c.request('PATCH', `/users/${user.id}`, { token, body: { name: 'E2E renamed' } }),
    );
    const reread = await step('read after update', 200, c.get(`/users/${user.id}`));
    if ((reread.body as { name?: string }).name !== 'E2E renamed')
      notes.push('read after update returned the old name');
    await step('logout', 204, c.post('/auth/logout', { token }));
    await step('me after logout', 401, c.get('/auth/me', { token }));
    await sleep(100);

    const admin = (...args: string[]) => redis.cli(...args);
    const keys = (await admin('KEYS', '*')).split('\n').filter(Boolean);
    const has = (prefix: string) => keys.some((k) => k.startsWith(prefix));
    const written = {
      entry: has(`${NAMESPACE}:user:`),
      tags: has(`${NAMESPACE}#tag:`),
      rateLimit: has(`{${NAMESPACE}:rl:`),
      revocation: has(`{${NAMESPACE}:rv:`),
    };
    const outside = keys.filter((k) => !/^(users-app[:#]|\{users-app:(rl|rv):)/.test(k));
    const cache = (await app.http.get('/metrics')).body as string;
    const hits = Number(/^cache_hits (\S+)$/m.exec(cache)?.[1] ?? 0);
    const flow = notes.length === 0 && Number.isFinite(readyAt);
    const keysOk = Object.values(written).every(Boolean) && hits > 0;
    let measured = `${calls.length} calls as expected: ${flow}; readiness 200: ${Number.isFinite(readyAt)}; keys written: ${Object.entries(
      written,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; cache hits ${hits}; keys outside the namespace: ${outside.length}`;
    let pass = flow && keysOk && outside.length === 0;
    if (tlsPort !== undefined) {
      const clients = (await admin('CLIENT', 'LIST')).split('\n');
      const overTls = clients.filter((l) => l.includes(`laddr=127.0.0.1:${tlsPort}`)).length;
      measured += `; app connections on the TLS port: ${overTls}`;
      pass &&= overTls > 0;
    } else {
      const denials = parseAclLog(await admin('ACL', 'LOG'));
      const blocking = denials.filter(
        (d) => d.reason !== 'command' || !['info'].includes(d.object),
      );
      measured += `; ACL LOG: ${denials.length ? denials.map((d) => `${d.reason} ${d.object} (${d.context}) x${d.count}`).join(', ') : 'empty'}`;
      pass &&= blocking.length === 0;
      const probe = await runRedisCli(
        {
          connection: ['-h', '127.0.0.1', '-p', String(redis.port), '--user', APP_USER],
          password: APP_PASSWORD,
        },
        ['SET', 'outside-the-namespace', '1'],
      ).then(
        () => 'allowed',
        (error: Error) => error.message.split('\n').pop() ?? 'refused',
      );
      notes.push(`Control: the app's ACL user writing outside the namespace: ${probe}.`);
      notes.push(
        `ACL rules: \`ACL SETUSER ${APP_USER} ${ACL_RULES.map((r) => (r.startsWith('>') ? '>***' : r)).join(' ')}\`.`,
      );
      if (denials.some((d) => d.object === 'info')) {
        const skipped = app.lines.some((l) => /Skipping the ready check/.test(l.text));
        notes.push(
          `INFO is in @dangerous, so it is denied to this user: the readiness probe (INFO is best effort there) reports no version or memory${skipped ? ', and ioredis skips its own ready check with a console warning ("Skipping the ready check because INFO command fails")' : ''}.`,
        );
      }
    }
    checks.push(
      check(figure, pass, `${scenario}: the app works end to end through Redis`, measured),
    );
    const warnings = app.lines.filter((l) => /WARN|ERROR|warn/i.test(l.text));
    if (warnings.length) notes.push(`Warnings logged: ${quoteLines(warnings)}`);
    return {
      scenario,
      requests: calls.length,
      non2xx: formatCounts(non2xxByStatus(calls.filter((r) => r.status !== 401))),
      latency: latencyOf(calls),
      recover: '-',
      checks,
      notes,
    };
  } finally {
    await app.stop();
  }
}

/** The instance must boot, answer readiness 503 fast, and say in its log what is wrong. */
async function failsFast(
  figure: string,
  scenario: string,
  dir: string,
  env: Record<string, string>,
  clear: RegExp,
): Promise<ScenarioReport> {
  const app = await AppInstance.spawn('app', appEnv(dir, env), dir);
  const notes: string[] = [];
  try {
    const listening = await app.waitListening();
    const boot = listening - app.spawnedAt;
    const ready: HttpResult = await app.http.get('/health/ready');
    const servesReads: HttpClient = app.http;
    const list = await servesReads.get('/users?limit=5');
    await sleep(LOG_WAIT_MS);
    const line = app.lines.find((l) => !BOILERPLATE.test(l.text) && clear.test(l.text));
    const redisLines = quoteLines(app.lines.filter((l) => !BOILERPLATE.test(l.text)));
    notes.push(
      `Readiness answer: ${ready.status} \`${JSON.stringify(ready.body).slice(0, 300)}\`.`,
    );
    notes.push(
      `What it logged (start-up boilerplate left out) within ${LOG_WAIT_MS} ms of listening: ${redisLines || 'nothing'}.`,
    );
    const fast = ready.status === 503 && ready.end - ready.start <= FAST_MS && boot <= 5000;
    return {
      scenario,
      requests: 2,
      non2xx: formatCounts(non2xxByStatus([ready, list])),
      latency: latencyOf([ready, list]),
      recover: '-',
      checks: [
        check(
          figure,
          fast,
          `readiness fails fast: booted within 5000 ms and /health/ready 503 within ${FAST_MS} ms`,
          `booted in ${ms(boot)} ms; readiness ${ready.status} in ${ms(ready.end - ready.start)} ms; GET /users ${list.status}`,
        ),
        check(
          figure,
          line !== undefined,
          `a clear log line naming the cause (${clear.source})`,
          line
            ? `\`${trimLog(line.text)}\``
            : 'no such line in the log (see the notes for what it said)',
        ),
      ],
      notes,
    };
  } finally {
    await app.stop();
  }
}

interface AclDenial {
  count: number;
  reason: string;
  context: string;
  object: string;
}

/** Reads redis-cli's flat rendering of `ACL LOG` (key, value, key, value, ... per entry). */
function parseAclLog(text: string): AclDenial[] {
  const lines = text.split('\n').map((l) => l.trim());
  const entries: AclDenial[] = [];
  let current: Partial<AclDenial> | undefined;
  for (let i = 0; i + 1 < lines.length; i++) {
    const [key, value] = [lines[i], lines[i + 1]];
    if (key === 'count') {
      current = { count: Number(value) };
      entries.push(current as AclDenial);
      i++;
    } else if (current && (key === 'reason' || key === 'context' || key === 'object')) {
      current[key] = value;
      i++;
    }
  }
  return entries;
}
