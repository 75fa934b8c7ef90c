import request from 'supertest';
import { waitUntil, type RedisServer } from '../harness';
import { earlyInSecond } from '../support/clock';
import { newUser, startUsersApp, type UsersApp } from './support/users-app';

/** What a flow spec runs against: extra env for the app, and the Redis behind it, if any. */
export interface FlowSetup {
  env: Record<string, string>;
  redis?: RedisServer;
}

export type FlowBackend = 'memory' | 'redis' | 'cluster' | 'sentinel';

/** Room for the whole flow under the global limit; the login limit stays at its default. */
const ROOMY_RATE_LIMIT = '10000/10s';

/**
 * The whole users flow over HTTP. The same body runs on the in-memory store and on a harness
 * Redis, so the two backends cannot drift apart.
 */
export function describeUsersFlow(backend: FlowBackend, setup: () => FlowSetup): void {
  describe(`users app on the ${backend} store`, () => {
    let users: UsersApp;
    let http: ReturnType<typeof request>;

    beforeAll(async () => {
      users = await startUsersApp({ ...setup().env, RATE_LIMIT: ROOMY_RATE_LIMIT });
      http = request(users.server);
    });

    afterAll(() => users?.close());

    afterEach(() => jest.restoreAllMocks());

    async function signUp(body = newUser()): Promise<{ id: number; email: string }> {
      const response = await http.post('/users').send(body).expect(201);
      return response.body;
    }

    async function login(email: string, password = 'correct horse'): Promise<string> {
      const response = await http.post('/auth/login').send({ email, password }).expect(200);
      return response.body.accessToken;
    }

    describe('sign-up', () => {
      it('creates a user and never returns the password or its hash', async () => {
        const body = newUser('Ada');
        const response = await http.post('/users').send(body).expect(201);
        expect(Object.keys(response.body).sort()).toEqual(['createdAt', 'email', 'id', 'name']);
        expect(response.body).toMatchObject({ name: 'Ada', email: body.email });
        expect(JSON.stringify(response.body)).not.toContain('scrypt');
      });

      it('answers 400 naming the failing fields', async () => {
        const response = await http
          .post('/users')
          .send({ name: '', email: 'not-an-email', password: 'short', admin: true })
          .expect(400);
        expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
        const message = (response.body.message as string[]).join('\n');
        for (const field of ['name', 'email', 'password', 'admin'])
          expect(message).toContain(field);
      });

      it('answers 409 for a taken email, also when the sign-ups race', async () => {
        const body = newUser();
        const statuses = await Promise.all(
          Array.from({ length: 5 }, () => http.post('/users').send(body)),
        ).then((responses) => responses.map((r) => r.status).sort());
        expect(statuses).toEqual([201, 409, 409, 409, 409]);
        await http
          .post('/users')
          .send({ ...body, email: body.email.toUpperCase() })
          .expect(409);
      });
    });

    describe('reads', () => {
      it('reads a user through the cache: the second read does not reach SQLite', async () => {
        const { id } = await signUp();
        const findById = jest.spyOn(users.repository, 'findById');
        const first = await http.get(`/users/${id}`).expect(200);
        const second = await http.get(`/users/${id}`).expect(200);
        expect(second.body).toEqual(first.body);
        expect(findById).toHaveBeenCalledTimes(1);
      });

      it('answers 404 for an unknown id and 400 for one that is not a positive integer', async () => {
        await http.get('/users/999999999').expect(404);
        for (const id of ['abc', '1.5', '-1', '0', '1e3'])
          await http.get(`/users/${id}`).expect(400);
      });

      it('lists users per query from the cache, and shows a new user at once', async () => {
        const list = jest.spyOn(users.repository, 'list');
        const before = await http.get('/users?limit=100').expect(200);
        await http.get('/users?limit=100&offset=0').expect(200);
        expect(list).toHaveBeenCalledTimes(1);
        expect(before.body.items.length).toBeLessThanOrEqual(100);

        const created = await signUp();
        const after = await http.get('/users?limit=100').expect(200);
        expect(after.body.total).toBe(before.body.total + 1);
        expect(list).toHaveBeenCalledTimes(2);
        const last = await http.get(`/users?limit=1&offset=${after.body.total - 1}`).expect(200);
        expect(last.body.items).toEqual([expect.objectContaining({ id: created.id })]);
      });

      it('pages with limit 1-100 (default 20)', async () => {
        const page = await http.get('/users').expect(200);
        expect(page.body.items.length).toBe(Math.min(20, page.body.total));
        for (const query of ['limit=0', 'limit=101', 'limit=x', 'offset=-1', 'other=1']) {
          await http.get(`/users?${query}`).expect(400);
        }
      });

      it('answers a repeated query parameter with one clear 400', async () => {
        const response = await http.get('/users?limit=1&offset=0&limit=2').expect(400);
        expect(response.body).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: 'Query parameter "limit" must be given once',
        });
      });
    });

    describe('auth', () => {
      it('logs in with a bearer token, and answers /auth/me', async () => {
        const user = await signUp();
        const response = await http
          .post('/auth/login')
          .send({ email: user.email, password: 'correct horse' })
          .expect(200);
        expect(response.body).toEqual({
          accessToken: expect.any(String),
          tokenType: 'Bearer',
          expiresIn: 15 * 60,
        });
        const me = await http
          .get('/auth/me')
          .set('Authorization', `Bearer ${response.body.accessToken}`)
          .expect(200);
        expect(me.body).toMatchObject({ id: user.id, email: user.email });
      });

      it('answers 401 alike for a wrong password and an unknown email', async () => {
        const user = await signUp();
        const wrong = await http
          .post('/auth/login')
          .send({ email: user.email, password: 'wrong password' })
          .expect(401);
        const unknown = await http
          .post('/auth/login')
          .send({ email: `nobody.${user.email}`, password: 'wrong password' })
          .expect(401);
        expect(unknown.body).toEqual(wrong.body);
      });

      it('refuses protected routes without a valid token', async () => {
        await http.get('/auth/me').expect(401);
        await http.get('/auth/me').set('Authorization', 'Bearer not.a.token').expect(401);
        await http.patch('/users/1').send({ name: 'x' }).expect(401);
      });
    });

    describe('changes', () => {
      it('updates only the own account, and the next read shows the change', async () => {
        const ada = await signUp(newUser('Ada'));
        const bob = await signUp(newUser('Bob'));
        const token = await login(ada.email);
        await http.get(`/users/${ada.id}`).expect(200); // cached now
        const updated = await http
          .patch(`/users/${ada.id}`)
          .set('Authorization', `Bearer ${token}`)
          .send({ name: 'Ada Lovelace' })
          .expect(200);
        expect(updated.body).toMatchObject({ id: ada.id, name: 'Ada Lovelace', email: ada.email });
        const read = await http.get(`/users/${ada.id}`).expect(200);
        expect(read.body.name).toBe('Ada Lovelace');
        await http
          .patch(`/users/${bob.id}`)
          .set('Authorization', `Bearer ${token}`)
          .send({ name: 'Mallory' })
          .expect(403);
        await http
          .patch(`/users/${ada.id}`)
          .set('Authorization', `Bearer ${token}`)
          .send({ email: bob.email })
          .expect(409);
      });

      it('deletes only the own account; later reads are 404 and its tokens are refused', async () => {
        const ada = await signUp(newUser('Ada'));
        const bob = await signUp(newUser('Bob'));
        const token = await login(ada.email);
        await http.get(`/users/${ada.id}`).expect(200);
        await http.delete(`/users/${bob.id}`).set('Authorization', `Bearer ${token}`).expect(403);
        await http.delete(`/users/${ada.id}`).set('Authorization', `Bearer ${token}`).expect(204);
        await http.get(`/users/${ada.id}`).expect(404);
        await http.get('/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
      });
    });

    describe('logout', () => {
      it('refuses a logged-out token, and only that one', async () => {
        const user = await signUp();
        const [first, second] = [await login(user.email), await login(user.email)];
        await http.post('/auth/logout').set('Authorization', `Bearer ${first}`).expect(204);
        const refused = await http
          .get('/auth/me')
          .set('Authorization', `Bearer ${first}`)
          .expect(401);
        expect(refused.body).toEqual({
          statusCode: 401,
          error: 'Unauthorized',
          message: 'Token revoked',
        });
        await http.get('/auth/me').set('Authorization', `Bearer ${second}`).expect(200);
      });

      it('logout-all refuses every token issued so far, and a login right after works', async () => {
        const user = await signUp();
        const tokens = [await login(user.email), await login(user.email)];
        // The login below then falls in the logout-all's second, which would revoke its token
        // (iat is in seconds) had the login not waited for the next one.
        await earlyInSecond();
        await http.post('/auth/logout-all').set('Authorization', `Bearer ${tokens[0]}`).expect(204);
        const fresh = await login(user.email);
        await http.get('/auth/me').set('Authorization', `Bearer ${fresh}`).expect(200);
        for (const token of tokens) {
          await http.get('/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
        }
      });
    });

    describe('rate limits', () => {
      it('answers the 6th failed login in a minute with 429 and Retry-After, per email', async () => {
        const user = await signUp();
        const attempt = (email: string) =>
          http.post('/auth/login').send({ email, password: 'wrong password' });
        for (let i = 0; i < 5; i++) await attempt(user.email).expect(401);
        const limited = await attempt(user.email).expect(429);
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
        expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
        expect(limited.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
        // The right password does not get through either: every attempt counts.
        await http
          .post('/auth/login')
          .send({ email: user.email, password: 'correct horse' })
          .expect(429);
        await attempt(`other.${user.email}`).expect(401);
      });

      it('limits every route per client, but never health and metrics', async () => {
        const limited = await startUsersApp({ ...setup().env, RATE_LIMIT: '3/1m' });
        try {
          const small = request(limited.server);
          for (let i = 0; i < 3; i++) await small.get('/users').expect(200);
          const refused = await small.get('/users/1').expect(429);
          expect(refused.headers['retry-after']).toBeDefined();
          await small.get('/health/live').expect(200);
          await small.get('/health/ready').expect(200);
          await small.get('/metrics').expect(200);
        } finally {
          await limited.close();
        }
      });
    });

    describe('operations', () => {
      it('exposes Prometheus metrics', async () => {
        await http.get('/users/1');
        const response = await http.get('/metrics').expect(200);
        expect(response.headers['content-type']).toMatch(/^text\/plain/);
        for (const metric of [
          'http_requests_total{method="GET",route="/users/:id"',
          'http_request_duration_seconds_bucket',
          'cache_hits',
          'cache_misses',
          'cache_errors',
          'cache_hit_rate',
          'rate_limit_denied_total{limit="login"}',
          'jwt_revocation_checks_total{outcome="revoked"}',
          'jwt_revocation_checks_total{outcome="valid"}',
        ]) {
          expect(response.text).toContain(metric);
        }
      });

      it('is live without I/O, and ready while its stores answer', async () => {
        await http.get('/health/live').expect(200, { status: 'ok' });
        const ready = await http.get('/health/ready').expect(200);
        const mode = {
          memory: 'memory',
          redis: 'standalone',
          cluster: 'cluster',
          sentinel: 'sentinel',
        }[backend];
        // A public route: each dependency's status and mode, no versions, memory or addresses.
        expect(ready.body.details).toEqual({
          sqlite: { status: 'up' },
          redis: { status: 'up', mode },
        });
      });

      it('answers every error as JSON { statusCode, error, message }', async () => {
        const missing = await http.get('/no/such/route').expect(404);
        expect(missing.body).toEqual({
          statusCode: 404,
          error: 'Not Found',
          message: expect.any(String),
        });
        const malformed = await http
          .post('/users')
          .set('Content-Type', 'application/json')
          .send('{"name":')
          .expect(400);
        expect(Object.keys(malformed.body).sort()).toEqual(['error', 'message', 'statusCode']);
        const large = await http
          .post('/users')
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ name: 'x'.repeat(101 * 1024) }))
          .expect(413);
        expect(large.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
      });

      if (backend !== 'redis') return;

      it('keeps cache entries, rate limits and revocations in Redis', async () => {
        const redis = setup().redis!;
        const user = await signUp();
        await http.get(`/users/${user.id}`).expect(200);
        const token = await login(user.email);
        await http.post('/auth/logout').set('Authorization', `Bearer ${token}`).expect(204);
        const keys = (await redis.cli('--scan', '--pattern', '*users-app*')).split('\n');
        expect(keys).toContain(`users-app:user:${user.id}`);
        expect(keys.some((key) => key.startsWith(`{users-app:rv:${user.id}}:jti:`))).toBe(true);
        expect(keys.some((key) => key.startsWith('{users-app:rl:login:'))).toBe(true);
        expect(keys.some((key) => key.startsWith('{users-app:rl:ip:'))).toBe(true);
      });

      it('shows readiness details only with HEALTH_DETAILS=true', async () => {
        const detailed = await startUsersApp({ ...setup().env, HEALTH_DETAILS: 'true' });
        try {
          const ready = await request(detailed.server).get('/health/ready').expect(200);
          expect(ready.body.details.redis).toMatchObject({
            status: 'up',
            mode: 'standalone',
            role: 'master',
            latencyMs: expect.any(Number),
            version: expect.stringMatching(/^\d+\.\d+/),
          });
        } finally {
          await detailed.close();
        }
      });

      it('is not ready while Redis is down, and ready again once it is back', async () => {
        const redis = setup().redis!;
        const optional = await startUsersApp({ ...setup().env, REDIS_REQUIRED: 'false' });
        try {
          await redis.stop();
          const down = await http.get('/health/ready').expect(503);
          expect(down.body.details.redis).toEqual({ status: 'down', mode: 'standalone' });
          const degraded = await request(optional.server).get('/health/ready').expect(200);
          expect(degraded.body.details.redis).toEqual({
            status: 'up',
            mode: 'standalone',
            degraded: true,
          });

          await redis.restart();
          await waitUntil(async () => (await http.get('/health/ready')).status === 200, {
            what: 'readiness after Redis restarted',
          });
        } finally {
          await optional.close();
        }
      });
    });
  });
}
