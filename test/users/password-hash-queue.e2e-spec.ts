import type { AddressInfo } from 'node:net';
import { HASH_QUEUE_FULL_MESSAGE } from '../../apps/users/src/auth/password.hasher';
import { newUser, startUsersApp, type UsersApp } from './support/users-app';

describe('users app under a burst of password hashes (PASSWORD_HASH_QUEUE)', () => {
  let users: UsersApp;
  let base: string;

  beforeAll(async () => {
    // One hash at a time, and limits high enough that the burst reaches the hasher.
    users = await startUsersApp({
      PASSWORD_HASH_QUEUE: '1',
      RATE_LIMIT: '1000/10s',
      LOGIN_RATE_LIMIT: '1000/1m',
    });
    await new Promise<void>((resolve) => users.server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(users.server.address() as AddressInfo).port}`;
  });

  afterAll(() => users?.close());

  const post = (path: string, body: object) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('answers the logins over the queue 503 with Retry-After at once, the others 401, and logs in after', async () => {
    // 20 logins sent together; each hash takes tens of milliseconds, so they overlap.
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post('/auth/login', { email: `nobody.${i}@example.com`, password: 'wrong password' }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.every((status) => status === 401 || status === 503)).toBe(true);
    expect(statuses).toContain(401);
    const refused = answers.filter((answer) => answer.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) {
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(await answer.json()).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: HASH_QUEUE_FULL_MESSAGE,
        retryAfter: 1,
      });
    }
    await Promise.all(answers.filter((answer) => answer.status !== 503).map((a) => a.text()));

    // Every slot was given back: a sign-up and its login go through.
    const user = newUser();
    expect((await post('/users', user)).status).toBe(201);
    const login = await post('/auth/login', { email: user.email, password: user.password });
    expect(login.status).toBe(200);
  });
});
