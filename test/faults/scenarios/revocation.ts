import { now, sleep } from '../support/clock';
import type { HttpClient, HttpResult } from '../support/http-client';
import { shutdownNosave } from '../support/redis-faults';
import { check, type FigureCheck, type ScenarioReport } from '../support/report';
import {
  countByStatus,
  formatCounts,
  is2xx,
  latencyOf,
  ms,
  non2xxByStatus,
} from '../support/stats';
import type { BootedPair } from './boot-while-down';

const ROUNDS = 6;
const PROPAGATION_BOUND_MS = 1000;
const CALLS_PER_TOKEN = 10;

/**
 * F7: a logout through one instance is refused by the other within 1 s; with Redis down a revoked
 * token, a token Redis never saw (issued during the outage) and a live one are all refused with
 * 503, never admitted; a forged one is still 401.
 */
export async function revocationScenario(pair: BootedPair): Promise<ScenarioReport> {
  const { redis, apps, fixture } = pair;
  const clients = apps.map((app) => app.http);
  const checks: FigureCheck[] = [];
  const notes: string[] = [];
  const all: HttpResult[] = [];
  const track = async (result: Promise<HttpResult>): Promise<HttpResult> => {
    const r = await result;
    all.push(r);
    return r;
  };
  // Fresh users: the login limit of this pair is 5 per minute per email.
  const users = [
    await fixture.createUser(clients[0], 'rev0'),
    await fixture.createUser(clients[1], 'rev1'),
    await fixture.createUser(clients[0], 'rev2'),
  ];

  const delays: number[] = [];
  const anomalies: string[] = [];
  let revoked = '';
  for (let round = 0; round < ROUNDS; round++) {
    const from = clients[round % 2];
    const to = clients[(round + 1) % 2];
    const token = await fixture.login(from, users[round % 2].email);
    const before = await track(to.get('/auth/me', { token }));
    if (before.status !== 200)
      anomalies.push(`round ${round}: token not admitted before logout (${before.status})`);
    const logout = await track(from.post('/auth/logout', { token }));
    if (logout.status !== 204) anomalies.push(`round ${round}: logout answered ${logout.status}`);
    delays.push(await refusedAfter(to, token, logout.end, track));
    if (round === 0) revoked = token;
  }
  checks.push(
    check(
      'F7',
      anomalies.length === 0 && delays.every((d) => d <= PROPAGATION_BOUND_MS),
      `a logout through one instance is refused (401) by the other within ${PROPAGATION_BOUND_MS} ms (${ROUNDS} logouts, both directions)`,
      `delays ${delays.map((d) => ms(d)).join(', ')} ms${anomalies.length ? `; ${anomalies.join('; ')}` : ''}`,
    ),
  );

  const live = await fixture.login(clients[0], users[2].email);
  await shutdownNosave(redis);
  const unknown = await fixture.login(clients[1], users[2].email);
  const forged = `${live.slice(0, -4)}${live.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
  const askBoth = async (token: string): Promise<HttpResult[]> =>
    (
      await Promise.all(
        clients.map((c) =>
          Promise.all(
            Array.from({ length: CALLS_PER_TOKEN }, () => track(c.get('/auth/me', { token }))),
          ),
        ),
      )
    ).flat();
  const answers = {
    revoked: await askBoth(revoked),
    unknown: await askBoth(unknown),
    live: await askBoth(live),
    forged: await askBoth(forged),
  };
  const logoutDown = await track(clients[0].post('/auth/logout', { token: live }));
  const admitted = [...answers.revoked, ...answers.unknown, ...answers.live].filter((r) =>
    is2xx(r.status),
  );
  const refusedWith503 = [...answers.revoked, ...answers.unknown].every((r) => r.status === 503);
  checks.push(
    check(
      'F7',
      admitted.length === 0 && refusedWith503,
      'with Redis down, revoked and unknown tokens are refused with 503 on both instances, never admitted',
      `revoked: ${formatCounts(countByStatus(answers.revoked))}; unknown (issued during the outage): ${formatCounts(countByStatus(answers.unknown))}; live: ${formatCounts(countByStatus(answers.live))}; forged: ${formatCounts(countByStatus(answers.forged))}; logout during the outage: ${logoutDown.status}`,
    ),
  );

  await redis.restart();
  await Promise.all(apps.map((app) => app.waitReady(15_000)));
  await sleep(200);
  const afterRevoked = await Promise.all(
    clients.map((c) => track(c.get('/auth/me', { token: revoked }))),
  );
  const afterUnknown = await Promise.all(
    clients.map((c) => track(c.get('/auth/me', { token: unknown }))),
  );
  notes.push(
    `After Redis came back (empty: \`shutdown nosave\`, no persistence): the token revoked before the outage answers ${afterRevoked.map((r) => r.status).join('/')} and the one issued during it ${afterUnknown.map((r) => r.status).join('/')}. ${afterRevoked.some((r) => r.status === 200) ? 'The revocation was lost with the data: a Redis that restarts without persistence forgets every logout (deployment: enable AOF/RDB for the revocation keys, or keep maxTokenLifetime short).' : ''}`,
  );
  return {
    scenario: 'F7 revocation across instances, and with Redis down',
    requests: all.length,
    non2xx: formatCounts(non2xxByStatus(all)),
    latency: latencyOf(all),
    recover: '-',
    checks,
    notes,
  };
}

/** Polls `/auth/me` every 10 ms until 401; ms from `since` to that answer. */
async function refusedAfter(
  client: HttpClient,
  token: string,
  since: number,
  track: (r: Promise<HttpResult>) => Promise<HttpResult>,
): Promise<number> {
  while (now() - since < 5000) {
    const r = await track(client.get('/auth/me', { token }));
    if (r.status === 401) return r.end - since;
    await sleep(10);
  }
  return Infinity;
}
