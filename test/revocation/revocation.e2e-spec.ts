import { randomUUID } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import {
  CacheConfigError,
  CacheEvents,
  INVALID_TOKEN_MESSAGES as M,
  RevocationArgumentError,
  TokenIssuer,
  type CacheEvent,
  type CacheModuleOptions,
} from '@app/cache';
import { startRedis, type RedisServer } from '../harness';
import { earlyInSecond } from '../support/clock';
import {
  commandsDuring,
  FakePassportGuard,
  newSecret,
  nowSeconds,
  revocationApp,
  uniqueNamespace,
  type RevocationApp,
} from './revocation-app';

const secret = newSecret();
const TOLERANCE_MS = 5000;
const DAY_MS = 86_400_000;

/** An HS256 token of `sub` with an explicit `iat`, valid for a minute after it. */
function tokenOf(sub: string, iat: number, jti: string = randomUUID()): string {
  return sign({ sub, jti, iat, exp: iat + 60 }, secret, { algorithm: 'HS256' });
}

describe('Token revocation on Redis', () => {
  let server: RedisServer;
  let namespace: string;
  let options: CacheModuleOptions;
  let a: RevocationApp;
  let b: RevocationApp;

  beforeAll(async () => {
    server = await startRedis();
    namespace = uniqueNamespace();
    options = {
      namespace,
      redis: { url: server.url },
      revocation: { jwt: { secret, algorithms: ['HS256'] } },
    };
    a = await revocationApp(options);
    b = await revocationApp(options); // a second instance of the same service
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await server?.stop();
  });

  const me = (app: RevocationApp, token: string) =>
    app.http().get('/me').set('Authorization', `Bearer ${token}`);

  async function expectRevoked(app: RevocationApp, token: string): Promise<void> {
    const response = await me(app, token);
    expect(response.status).toBe(401);
    expect(response.body.message).toBe(M.revoked);
    expect(response.headers['www-authenticate']).toBe(
      `Bearer error="invalid_token", error_description="${M.revoked}"`,
    );
  }

  it('sets request.user to the verified claims', async () => {
    const issued = a.issuer.issue({ sub: 'ada', ttl: '1m', claims: { role: 'admin' } });
    const response = await me(a, issued.token).expect(200);
    expect(response.body.user).toEqual({
      sub: 'ada',
      jti: issued.jti,
      iat: issued.iat,
      exp: issued.exp,
      role: 'admin',
    });
  });

  it('revokes one token while the same user’s other tokens still pass', async () => {
    const first = a.issuer.issue({ sub: 'alice', ttl: '1m' });
    const second = a.issuer.issue({ sub: 'alice', ttl: '1m' });
    await a.http().post('/logout').set('Authorization', `Bearer ${first.token}`).expect(204);
    await expectRevoked(a, first.token);
    await me(a, second.token).expect(200);
  });

  it('revoke-all rejects every token the subject was issued until then, and no one else’s', async () => {
    const earlier = tokenOf('bob', nowSeconds() - 30);
    const recent = tokenOf('bob', nowSeconds() - 2);
    const someoneElse = tokenOf('carol', nowSeconds() - 30);
    await a.http().post('/logout-all').set('Authorization', `Bearer ${recent}`).expect(204);
    await expectRevoked(a, earlier);
    await expectRevoked(a, recent);
    await me(a, someoneElse).expect(200);
  });

  it('same-second rule: a token whose iat is in the second of a revoke-all is revoked, even if issued after it', async () => {
    // Revoke-all at 0.2 s into a second; a login 0.7 s later (same second) gets the same iat.
    const second = nowSeconds() - 10;
    await a.revocation.revokeAllForSubject('dave', new Date(second * 1000 + 200));
    expect(await server.cli('GET', `{${namespace}:rv:dave}:all`)).toBe(String(second));
    await expectRevoked(a, tokenOf('dave', second - 1)); // before
    await expectRevoked(a, tokenOf('dave', second)); // same second, issued after the revoke-all
    await me(a, tokenOf('dave', second + 1)).expect(200); // the next second
  });

  it('waitUntilIssuable: a login right after a revoke-all on another instance gets a token that works', async () => {
    await earlyInSecond();
    const second = nowSeconds();
    await a.revocation.revokeAllForSubject('hugo');
    await b.revocation.waitUntilIssuable('hugo');
    const issued = b.issuer.issue({ sub: 'hugo', ttl: '1m' });
    expect(issued.iat).toBe(second + 1);
    await me(a, issued.token).expect(200);
    await me(b, issued.token).expect(200);
  });

  it('waitUntilIssuable answers in the same second when the subject has no revoke-all this second', async () => {
    await a.revocation.revokeAllForSubject('iris', Date.now() - 5000);
    await earlyInSecond();
    const second = nowSeconds();
    await a.revocation.waitUntilIssuable('iris');
    await a.revocation.waitUntilIssuable('jack'); // never revoked
    expect(nowSeconds()).toBe(second);
  });

  it('never moves a cutoff back: an older revoke-all leaves the later one in place', async () => {
    const second = nowSeconds() - 5;
    await a.revocation.revokeAllForSubject('erin', second * 1000);
    await a.revocation.revokeAllForSubject('erin', (second - 20) * 1000);
    expect(await server.cli('GET', `{${namespace}:rv:erin}:all`)).toBe(String(second));
    await expectRevoked(a, tokenOf('erin', second - 1));
  });

  it('keeps a revoked token’s key until exp plus the clock tolerance (PTTL)', async () => {
    const issued = a.issuer.issue({ sub: 'frank', ttl: '30s' });
    const before = Date.now();
    await a.revocation.revoke({ sub: 'frank', jti: issued.jti, exp: issued.exp });
    const pttl = Number(await server.cli('PTTL', `{${namespace}:rv:frank}:jti:${issued.jti}`));
    const expected = issued.exp * 1000 + TOLERANCE_MS - before;
    expect(pttl).toBeLessThanOrEqual(expected);
    expect(pttl).toBeGreaterThan(expected - 1000);
  });

  it('keeps a revoke-all cutoff until the longest token it covers has expired (PTTL)', async () => {
    await a.revocation.revokeAllForSubject('gina');
    const pttl = Number(await server.cli('PTTL', `{${namespace}:rv:gina}:all`));
    expect(pttl).toBeGreaterThan(DAY_MS + TOLERANCE_MS - 1000);
    expect(pttl).toBeLessThanOrEqual(DAY_MS + TOLERANCE_MS + 1000);
  });

  it('stores nothing for a token that has already expired, and still resolves', async () => {
    const jti = randomUUID();
    const delta = await commandsDuring(server, () =>
      a.revocation.revoke({ sub: 'hank', jti, exp: nowSeconds() - 60 }),
    );
    expect(delta).toEqual({});
  });

  it('rejects revoke() without sub, with a clear error', async () => {
    const revoke = a.revocation.revoke({ jti: randomUUID(), exp: nowSeconds() + 60 });
    await expect(revoke).rejects.toThrow(RevocationArgumentError);
    await expect(revoke).rejects.toThrow(/"sub"/);
  });

  it('a revocation made on one instance is seen by a second instance on the same Redis', async () => {
    const issued = a.issuer.issue({ sub: 'ivan', ttl: '1m' });
    await me(b, issued.token).expect(200);
    await a.http().post('/logout').set('Authorization', `Bearer ${issued.token}`).expect(204);
    await expectRevoked(b, issued.token);
  });

  it('answers isRevoked in one round trip (one MGET), for the token and its subject together', async () => {
    await a.revocation.revokeAllForSubject('judy', (nowSeconds() - 100) * 1000);
    const jti = randomUUID();
    await a.revocation.revoke({ sub: 'judy', jti, exp: nowSeconds() + 60 });
    const check = (id: string, iat: number) =>
      commandsDuring(server, async () => {
        await a.revocation.isRevoked({ sub: 'judy', jti: id, iat });
      });
    expect(await check(jti, nowSeconds())).toEqual({ mget: 1 });
    expect(await check(randomUUID(), nowSeconds() - 200)).toEqual({ mget: 1 });
    await expect(a.revocation.isRevoked({ sub: 'judy', jti, iat: nowSeconds() })).resolves.toBe(
      true,
    );
    await expect(
      a.revocation.isRevoked({ sub: 'judy', jti: randomUUID(), iat: nowSeconds() - 200 }),
    ).resolves.toBe(true);
    await expect(
      a.revocation.isRevoked({ sub: 'judy', jti: randomUUID(), iat: nowSeconds() }),
    ).resolves.toBe(false);
  });

  it('checks made in one pass share one MGET after the first, each answered for its own token', async () => {
    const jti = randomUUID();
    await a.revocation.revoke({ sub: 'kate', jti, exp: nowSeconds() + 60 });
    await a.revocation.revokeAllForSubject('leo', (nowSeconds() - 100) * 1000);
    const checks = [
      { sub: 'kate', jti, iat: nowSeconds(), revoked: true },
      { sub: 'kate', jti: randomUUID(), iat: nowSeconds(), revoked: false },
      { sub: 'leo', jti: randomUUID(), iat: nowSeconds() - 200, revoked: true },
      { sub: 'leo', jti: randomUUID(), iat: nowSeconds(), revoked: false },
      { sub: 'mia', jti: randomUUID(), iat: nowSeconds(), revoked: false },
    ];
    let answers: boolean[] = [];
    const delta = await commandsDuring(server, async () => {
      answers = await Promise.all(checks.map((check) => a.revocation.isRevoked(check)));
    });
    expect(delta).toEqual({ mget: 2 }); // the first alone, then the other four together
    expect(answers).toEqual(checks.map((check) => check.revoked));
  });

  it('escapes braces in the subject, so two subjects’ keys never collide', async () => {
    // Unescaped, the cutoff key of sub 'x}:jti:y' would be the key of sub 'x', jti 'y}:all'.
    const sub = 'x}:jti:y';
    await a.revocation.revokeAllForSubject(sub, (nowSeconds() - 5) * 1000);
    expect(await server.cli('EXISTS', `{${namespace}:rv:x%7D:jti:y}:all`)).toBe('1');
    await expect(a.revocation.isRevoked({ sub: 'x', jti: 'y}:all', iat: 0 })).resolves.toBe(false);
    await expect(a.revocation.isRevoked({ sub, jti: 'z', iat: 0 })).resolves.toBe(true);
  });

  it('keeps subjects and token ids that differ only in a lone surrogate apart', async () => {
    // In UTF-8, as Redis stores keys, every lone surrogate is U+FFFD.
    const iat = nowSeconds() - 5;
    await a.revocation.revokeAllForSubject('s\ud800', iat * 1000 + 1000);
    await expect(a.revocation.isRevoked({ sub: 's\ud800', jti: 'j', iat })).resolves.toBe(true);
    await expect(a.revocation.isRevoked({ sub: 's\udfff', jti: 'j', iat })).resolves.toBe(false);
    await a.revocation.revoke({ sub: 'u', jti: 'j\ud800', exp: iat + 600 });
    await expect(a.revocation.isRevoked({ sub: 'u', jti: 'j\ud800', iat })).resolves.toBe(true);
    await expect(a.revocation.isRevoked({ sub: 'u', jti: 'j\udfff', iat })).resolves.toBe(false);
  });

  it('lets @Public routes and controllers through without a token, and without Redis', async () => {
    const delta = await commandsDuring(server, async () => {
      await a.http().get('/open').expect(200, { open: true });
      await a.http().get('/public').expect(200, { public: true });
      await a.http().get('/open').set('Authorization', 'Bearer junk').expect(200);
    });
    expect(delta).toEqual({});
  });

  it('emits revocation.check events for each outcome', async () => {
    const events: CacheEvent[] = [];
    const off = a.app.get(CacheEvents).on((event) => events.push(event));
    try {
      const issued = a.issuer.issue({ sub: 'kim', ttl: '1m' });
      await me(a, issued.token).expect(200);
      await me(a, 'junk').expect(401);
      await a.revocation.revoke(issued);
      await me(a, issued.token).expect(401);
    } finally {
      off();
    }
    expect(events.map((event) => event.type === 'revocation.check' && event.outcome)).toEqual([
      'valid',
      'invalid',
      'revoked',
    ]);
  });
});

describe('trustRequestUser: checks the request.user an earlier guard set', () => {
  let server: RedisServer;
  let app: RevocationApp;

  beforeAll(async () => {
    server = await startRedis();
    app = await revocationApp(
      {
        namespace: uniqueNamespace(),
        redis: { url: server.url },
        revocation: { jwt: { secret, algorithms: ['HS256'] }, trustRequestUser: true },
      },
      { guards: [FakePassportGuard] },
    );
  });

  afterAll(async () => {
    await app?.close();
    await server?.stop();
  });

  const asUser = (user: unknown) => app.http().get('/me').set('x-user', JSON.stringify(user));

  it('admits the passport user unchanged when not revoked, ignoring any Authorization header', async () => {
    const user = {
      sub: 'lee',
      jti: randomUUID(),
      iat: nowSeconds(),
      exp: nowSeconds() + 60,
      name: 'Lee',
    };
    const response = await asUser(user).set('Authorization', 'Bearer junk').expect(200);
    expect(response.body.user).toEqual(user);
  });

  it('refuses a revoked passport user', async () => {
    const user = { sub: 'lee', jti: randomUUID(), iat: nowSeconds(), exp: nowSeconds() + 60 };
    await app.revocation.revoke(user);
    const response = await asUser(user).expect(401);
    expect(response.body.message).toBe(M.revoked);
  });

  it.each(['jti', 'sub', 'iat'])('refuses a passport user without %s', async (claim) => {
    const user: Record<string, unknown> = { sub: 'lee', jti: randomUUID(), iat: nowSeconds() };
    delete user[claim];
    const delta = await commandsDuring(server, async () => {
      const response = await asUser(user).expect(401);
      expect(response.body.message).toBe(M.missing_claim);
    });
    expect(delta).toEqual({});
  });

  it('refuses a passport user whose token outlives maxTokenLifetime', async () => {
    const iat = nowSeconds();
    const user = { sub: 'lee', jti: randomUUID(), iat, exp: iat + 2 * 86_400 };
    const response = await asUser(user).expect(401);
    expect(response.body.message).toBe(M.lifetime);
  });

  it('refuses a request no earlier guard authenticated', async () => {
    const response = await app.http().get('/me').expect(401);
    expect(response.body.message).toBe(M.no_user);
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });
});

describe('A module without revocation options', () => {
  let server: RedisServer;
  let app: RevocationApp;

  beforeAll(async () => {
    server = await startRedis();
    app = await revocationApp({ namespace: uniqueNamespace(), redis: { url: server.url } });
  });

  afterAll(async () => {
    await app?.close();
    await server?.stop();
  });

  it('boots, and RevocationService works with the default tolerance', async () => {
    const jti = randomUUID();
    await app.revocation.revoke({ sub: 'mia', jti, exp: nowSeconds() + 60 });
    await expect(app.revocation.isRevoked({ sub: 'mia', jti, iat: nowSeconds() })).resolves.toBe(
      true,
    );
  });

  it('fails at first use of the guard and the issuer with a CacheConfigError naming "revocation"', async () => {
    await app.http().get('/me').expect(500);
    await app.http().get('/open').expect(500);
    expect(() => app.app.get(TokenIssuer).issue({ sub: 'mia', ttl: '1m' })).toThrow(
      expect.objectContaining({ name: CacheConfigError.name, option: 'revocation' }),
    );
  });
});
