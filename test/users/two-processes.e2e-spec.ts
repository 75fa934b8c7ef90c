import * as fs from 'fs';
import * as path from 'path';
import request from 'supertest';
import { startRedis, type RedisServer } from '../harness';
import { makeTempDir } from '../harness/process-registry';
import { AppProcess, buildUsersApp } from './support/app-process';
import { newUser, TEST_JWT_SECRET } from './support/users-app';

/**
 * Two processes of the compiled app, as `npm start` runs it, sharing one Redis and one SQLite
 * file: what one instance writes, revokes or counts, the other sees at once.
 */
beforeAll(() => buildUsersApp(), 120_000);

describe('two app processes sharing Redis and SQLite', () => {
  let redis: RedisServer;
  let dir: string;
  let a: AppProcess;
  let b: AppProcess;

  beforeAll(async () => {
    redis = await startRedis();
    dir = makeTempDir('users-two-processes');
    const env = {
      REDIS_URL: redis.url,
      DATABASE_PATH: path.join(dir, 'users.db'),
      JWT_SECRET: TEST_JWT_SECRET,
      RATE_LIMIT: '10000/10s',
    };
    // Both at once: the second must cope with the first creating the schema.
    [a, b] = await Promise.all([AppProcess.start(env, dir), AppProcess.start(env, dir)]);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function signUpAndLogin(via: AppProcess): Promise<{ id: number; token: string }> {
    const user = newUser();
    const { id } = (await request(via.url).post('/users').send(user).expect(201)).body;
    const login = await request(via.url)
      .post('/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    return { id, token: login.body.accessToken };
  }

  it('shows an update made through one instance at once through the other', async () => {
    const { id, token } = await signUpAndLogin(a);
    await request(b.url).get(`/users/${id}`).expect(200); // now cached in Redis
    await request(b.url).get('/users?limit=100').expect(200);
    await request(a.url)
      .patch(`/users/${id}`)
      .set('Authorization', `Bearer ${token}`)
      .send({ name: 'Renamed' })
      .expect(200);
    expect((await request(b.url).get(`/users/${id}`).expect(200)).body.name).toBe('Renamed');
    const list = await request(b.url).get('/users?limit=100').expect(200);
    expect(list.body.items).toContainEqual(expect.objectContaining({ id, name: 'Renamed' }));
  });

  it('refuses on one instance a token logged out through the other', async () => {
    const { token } = await signUpAndLogin(a);
    await request(b.url).get('/auth/me').set('Authorization', `Bearer ${token}`).expect(200);
    await request(a.url).post('/auth/logout').set('Authorization', `Bearer ${token}`).expect(204);
    await request(b.url).get('/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
  });

  it('refuses on one instance every token after a logout-all through the other', async () => {
    const { id, token } = await signUpAndLogin(a);
    await request(b.url)
      .post('/auth/logout-all')
      .set('Authorization', `Bearer ${token}`)
      .expect(204);
    await request(a.url).get('/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
    await request(a.url)
      .patch(`/users/${id}`)
      .set('Authorization', `Bearer ${token}`)
      .send({ name: 'x' })
      .expect(401);
  });

  it('shares the login limit: the 6th failed attempt is refused, whichever instance gets it', async () => {
    const user = newUser();
    await request(a.url).post('/users').send(user).expect(201);
    const attempt = (via: AppProcess) =>
      request(via.url).post('/auth/login').send({ email: user.email, password: 'wrong password' });
    for (const via of [a, b, a, b, a]) await attempt(via).expect(401);
    const limited = await attempt(b).expect(429);
    expect(limited.headers['retry-after']).toBeDefined();
    await attempt(a).expect(429);
  });

  it('finishes the requests in flight on SIGTERM, then closes and exits', async () => {
    const { token } = await signUpAndLogin(b);
    const total = async (): Promise<number> =>
      ((await request(a.url).get('/users?limit=1').expect(200)).body as { total: number }).total;
    const before = await total();
    // Sign-ups hash a password each (tens of ms on a small thread pool): still running at SIGTERM.
    // On a loaded machine a request may not have reached the server yet when it stops listening;
    // such a request is refused at the socket (ECONNRESET), which is fine. What must never happen
    // is a request the server took being cut off, or a user created without its 201.
    const finished: number[] = [];
    const responses = Promise.all(
      Array.from({ length: 8 }, () =>
        request(b.url)
          .post('/users')
          .send(newUser())
          .then(
            (response) => {
              finished.push(Date.now());
              return response.status;
            },
            (error: NodeJS.ErrnoException) => error.code ?? 'error',
          ),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    const signalledAt = Date.now();
    const exit = b.stop();
    const statuses = await responses;
    const created = statuses.filter((status) => status === 201).length;
    expect(statuses.every((status) => status === 201 || status === 'ECONNRESET')).toBe(true);
    expect(created).toBeGreaterThan(0);
    expect(Math.max(...finished)).toBeGreaterThan(signalledAt);
    expect(await exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(b.log).not.toMatch(/ERROR/);
    // Every user created got its 201, and the other instance carries on alone with the same data.
    expect(await total()).toBe(before + created);
    await request(a.url).get('/auth/me').set('Authorization', `Bearer ${token}`).expect(200);
  });
});

describe('the app process at startup', () => {
  let dir: string;

  beforeAll(() => {
    dir = makeTempDir('users-startup');
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['JWT_SECRET', { JWT_SECRET: 'too-short' }],
    ['JWT_SECRET', { NODE_ENV: 'production' }],
    ['RATE_LIMIT', { RATE_LIMIT: '100 per minute' }],
    ['REDIS_URL', { REDIS_URL: 'http://user:hunter2@redis:6379' }],
  ])('exits non-zero naming %s when it is invalid', async (variable, env) => {
    const app = AppProcess.spawn({ DATABASE_PATH: ':memory:', ...env }, dir);
    expect(await app.exited).toEqual({ code: 1, signal: null });
    expect(app.log).toContain(`Invalid environment variable ${variable}`);
    expect(app.log).not.toContain('hunter2');
  });

  it('creates its SQLite file and schema under ./data on first start', async () => {
    const app = await AppProcess.start({}, dir);
    try {
      expect(fs.existsSync(path.join(dir, 'data', 'users.db'))).toBe(true);
      await request(app.url).post('/users').send(newUser()).expect(201);
      expect(app.log).toContain('JWT_SECRET is not set');
    } finally {
      await app.stop();
    }
  });
});
