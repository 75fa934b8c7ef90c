import { INVALID_TOKEN_MESSAGES as M, RevocationUnavailableException } from '@app/cache';
import { startRedis, type RedisServer } from '../harness';
import { newSecret, revocationApp, uniqueNamespace, type RevocationApp } from './revocation-app';

const secret = newSecret();

describe('JwtRevocationGuard on the Fastify adapter', () => {
  let server: RedisServer;
  let app: RevocationApp;

  beforeAll(async () => {
    server = await startRedis();
    app = await revocationApp(
      {
        namespace: uniqueNamespace(),
        redis: { url: server.url, commandTimeout: 150, connectTimeout: 300 },
        revocation: { jwt: { secret, algorithms: ['HS256'] } },
      },
      { adapter: 'fastify' },
    );
  });

  afterAll(async () => {
    await app?.close();
    await server?.stop();
  });

  const me = (token: string) => app.http().get('/me').set('Authorization', `Bearer ${token}`);

  it('admits a valid token and sets request.user', async () => {
    const issued = app.issuer.issue({ sub: 'sam', ttl: '1m' });
    const response = await me(issued.token).expect(200);
    expect(response.body.user).toMatchObject({ sub: 'sam', jti: issued.jti });
  });

  it('answers 401 with a bare Bearer challenge without a token', async () => {
    const response = await app.http().get('/me').expect(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.body.message).toBe(M.missing);
  });

  it('answers 401 invalid_token for a revoked token', async () => {
    const issued = app.issuer.issue({ sub: 'sam', ttl: '1m' });
    await app.http().post('/logout').set('Authorization', `Bearer ${issued.token}`).expect(204);
    const response = await me(issued.token).expect(401);
    expect(response.headers['www-authenticate']).toBe(
      `Bearer error="invalid_token", error_description="${M.revoked}"`,
    );
    expect(response.body.message).toBe(M.revoked);
  });

  it('lets @Public routes through', async () => {
    await app.http().get('/open').expect(200, { open: true });
  });

  it('answers 503 with Retry-After when Redis is stopped', async () => {
    const { token } = app.issuer.issue({ sub: 'sam', ttl: '1m' });
    await server.stop();
    const response = await me(token).expect(503);
    expect(response.body.message).toBe(RevocationUnavailableException.MESSAGE);
    expect(response.headers['retry-after']).toBe('1');
  });
});
