import { randomUUID } from 'node:crypto';
import { sign } from 'jsonwebtoken';
import { INVALID_TOKEN_MESSAGES as M } from '@app/cache';
import { earlyInSecond } from '../support/clock';
import {
  newSecret,
  nowSeconds,
  revocationApp,
  uniqueNamespace,
  type RevocationApp,
} from './revocation-app';

const secret = newSecret();

describe('Token revocation in process memory (no Redis configured)', () => {
  let app: RevocationApp;

  beforeAll(async () => {
    app = await revocationApp({
      namespace: uniqueNamespace(),
      revocation: { jwt: { secret, algorithms: ['HS256'], clockTolerance: '2s' } },
    });
  });

  afterAll(() => app?.close());
  afterEach(() => jest.restoreAllMocks());

  const me = (token: string) => app.http().get('/me').set('Authorization', `Bearer ${token}`);
  const tokenOf = (sub: string, iat: number) =>
    sign({ sub, jti: randomUUID(), iat, exp: iat + 60 }, secret, { algorithm: 'HS256' });

  it('revokes one token and leaves the user’s other tokens valid', async () => {
    const first = app.issuer.issue({ sub: 'oscar', ttl: '1m' });
    const second = app.issuer.issue({ sub: 'oscar', ttl: '1m' });
    await me(first.token).expect(200);
    await app.http().post('/logout').set('Authorization', `Bearer ${first.token}`).expect(204);
    const response = await me(first.token).expect(401);
    expect(response.body.message).toBe(M.revoked);
    await me(second.token).expect(200);
  });

  it('revoke-all rejects the subject’s tokens up to and including the cutoff second', async () => {
    const second = nowSeconds() - 10;
    await app.revocation.revokeAllForSubject('pam', new Date(second * 1000 + 999));
    await me(tokenOf('pam', second - 5)).expect(401);
    await me(tokenOf('pam', second)).expect(401);
    await me(tokenOf('pam', second + 1)).expect(200);
    await me(tokenOf('quinn', second - 5)).expect(200);
  });

  it('waitUntilIssuable: a login right after a revoke-all gets a token that works', async () => {
    await earlyInSecond();
    const second = nowSeconds();
    await app.revocation.revokeAllForSubject('paul');
    await app.revocation.waitUntilIssuable('paul');
    const issued = app.issuer.issue({ sub: 'paul', ttl: '1m' });
    expect(issued.iat).toBe(second + 1);
    await me(issued.token).expect(200);
  });

  it('forgets a revoked token once exp plus the clock tolerance has passed', async () => {
    const issued = app.issuer.issue({ sub: 'rita', ttl: '10s' });
    await app.revocation.revoke(issued);
    const check = () => app.revocation.isRevoked(issued);
    await expect(check()).resolves.toBe(true);
    const expiry = issued.exp * 1000 + 2000;
    jest.spyOn(Date, 'now').mockReturnValue(expiry - 1);
    await expect(check()).resolves.toBe(true);
    jest.spyOn(Date, 'now').mockReturnValue(expiry + 1);
    await expect(check()).resolves.toBe(false);
  });
});
