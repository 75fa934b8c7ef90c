import { Logger } from '@nestjs/common';
import { CacheError, CacheEvents, RevocationUnavailableException } from '@app/cache';
import { startRedis, waitUntil, type RedisServer } from '../harness';
import { newSecret, revocationApp, uniqueNamespace, type RevocationApp } from './revocation-app';

const COMMAND_TIMEOUT = 150;
// Generous: this bounds a hang, it does not measure speed (the machine is shared and noisy).
const BOUND = COMMAND_TIMEOUT + 600;
const secret = newSecret();

describe('JwtRevocationGuard while the revocation store is unavailable', () => {
  let server: RedisServer;
  let closed: RevocationApp;
  let open: RevocationApp;
  let token: string;

  beforeAll(async () => {
    server = await startRedis();
    const app = (onStoreFailure: 'closed' | 'open') =>
      revocationApp({
        namespace: uniqueNamespace(),
        redis: { url: server.url, commandTimeout: COMMAND_TIMEOUT, connectTimeout: 300 },
        revocation: { jwt: { secret, algorithms: ['HS256'] }, onStoreFailure },
      });
    closed = await app('closed');
    open = await app('open');
    token = closed.issuer.issue({ sub: 'nia', ttl: '5m' }).token;
  });

  afterAll(async () => {
    await closed?.close();
    await open?.close();
    await server?.stop();
  });

  beforeEach(async () => {
    if (!server.running) await server.restart();
    await waitUntilChecked(closed);
    await waitUntilChecked(open);
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    if (server.running) await server.resume();
  });

  const me = (app: RevocationApp) => app.http().get('/me').set('Authorization', `Bearer ${token}`);

  /** Waits until the app's client is connected again and a store check succeeds. */
  function waitUntilChecked(app: RevocationApp): Promise<void> {
    const probe = { sub: 'probe', jti: 'probe', iat: 0 };
    return waitUntil(async () => (await app.revocation.isRevoked(probe)) === false, {
      what: 'a revocation check to succeed',
      timeoutMs: 5000,
    });
  }

  async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = performance.now();
    const value = await work();
    return { value, ms: performance.now() - started };
  }

  it('answers 503 at once when Redis is stopped (a possibly revoked token is never admitted)', async () => {
    await server.stop();
    const { value: response, ms } = await timed(() => me(closed));
    expect(response.status).toBe(503);
    expect(response.body.message).toBe(RevocationUnavailableException.MESSAGE);
    expect(response.headers['retry-after']).toBe('1');
    expect(ms).toBeLessThan(BOUND);
  });

  it('answers 503 within the command timeout when Redis is frozen', async () => {
    await server.pause();
    const { value: response, ms } = await timed(() => me(closed));
    expect(response.status).toBe(503);
    expect(ms).toBeLessThan(BOUND);
  });

  it('waitUntilIssuable rejects at once when Redis is stopped, within the command timeout when frozen', async () => {
    await server.stop();
    const stopped = await timed(() => closed.revocation.waitUntilIssuable('nia').catch((e) => e));
    expect(stopped.value).toBeInstanceOf(CacheError);
    expect(stopped.ms).toBeLessThan(BOUND);
    await server.restart();
    await waitUntilChecked(closed);
    await server.pause();
    const frozen = await timed(() => closed.revocation.waitUntilIssuable('nia').catch((e) => e));
    expect(frozen.value).toBeInstanceOf(CacheError);
    expect(frozen.ms).toBeLessThan(BOUND);
  });

  it('refuses a revocation Redis has no memory for, and keeps refusing the tokens revoked before', async () => {
    const before = closed.issuer.issue({ sub: 'oom', ttl: '5m' });
    const after = closed.issuer.issue({ sub: 'oom', ttl: '5m' });
    // The writing connection's circuit may still be open from the frozen server of an earlier
    // test (beforeEach waits for a read; the write side closes at its next probe, within 150 ms).
    await waitUntil(
      () =>
        closed.revocation.revoke({ jti: before.jti, exp: before.exp, sub: 'oom' }).then(
          () => true,
          () => false,
        ),
      { what: 'a revocation to be stored', timeoutMs: 5000 },
    );
    await server.cli('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    await server.cli('CONFIG', 'SET', 'maxmemory', '1');
    try {
      await expect(
        closed.revocation.revoke({ jti: after.jti, exp: after.exp, sub: 'oom' }),
      ).rejects.toThrow(CacheError);
      const bearer = (t: string) => closed.http().get('/me').set('Authorization', `Bearer ${t}`);
      expect((await bearer(before.token)).status).toBe(401);
      // not revoked: the caller was told so, and the token still works
      expect((await bearer(after.token)).status).toBe(200);
    } finally {
      await server.cli('CONFIG', 'SET', 'maxmemory', '0');
    }
  });

  it('still refuses invalid tokens with 401 while Redis is down', async () => {
    await server.stop();
    await closed.http().get('/me').set('Authorization', 'Bearer junk').expect(401);
  });

  it("'open' admits while Redis is down, logging one warning per outage", async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const openWarnings = () =>
      warn.mock.calls.filter(([message]) => /unavailable.*'open'/.test(String(message)));

    const outcomes: string[] = [];
    const off = open.app
      .get(CacheEvents)
      .on((event) => event.type === 'revocation.check' && outcomes.push(event.outcome));
    await server.stop();
    for (let i = 0; i < 5; i++) {
      const { value: response, ms } = await timed(() => me(open));
      expect(response.status).toBe(200);
      expect(ms).toBeLessThan(BOUND);
    }
    off();
    expect(outcomes).toEqual(Array(5).fill('unavailable'));
    expect(openWarnings()).toHaveLength(1);

    await server.restart();
    await waitUntilChecked(open); // the outage ends
    await server.pause();
    await me(open).expect(200);
    await me(open).expect(200);
    expect(openWarnings()).toHaveLength(2);
  });
});
