import { randomUUID } from 'node:crypto';
import { INVALID_TOKEN_MESSAGES as M } from '@app/cache';
import { startCluster, type RedisCluster } from '../harness';
import {
  newSecret,
  nowSeconds,
  revocationApp,
  uniqueNamespace,
  type RevocationApp,
} from './revocation-app';

const secret = newSecret();

describe('Token revocation on a 3-master Redis Cluster', () => {
  let cluster: RedisCluster;
  let app: RevocationApp;
  let namespace: string;

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3 });
    namespace = uniqueNamespace();
    app = await revocationApp({
      namespace,
      redis: { cluster: { nodes: cluster.startupNodes } },
      revocation: { jwt: { secret, algorithms: ['HS256'] } },
    });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
  });

  const subjects = Array.from({ length: 12 }, (_, i) => `user-${i}`);
  const me = (token: string) => app.http().get('/me').set('Authorization', `Bearer ${token}`);

  it('keeps a subject’s cutoff and token keys in one slot', async () => {
    const [node] = cluster.masters;
    for (const sub of subjects) {
      const cutoff = await node.cli('CLUSTER', 'KEYSLOT', `{${namespace}:rv:${sub}}:all`);
      const token = await node.cli('CLUSTER', 'KEYSLOT', `{${namespace}:rv:${sub}}:jti:x`);
      expect(token).toBe(cutoff);
    }
  });

  it('answers checks of many subjects made in one pass (batched per subject, no CROSSSLOT)', async () => {
    const revoked = subjects.map((sub) => app.issuer.issue({ sub, ttl: '1m' }));
    const kept = subjects.map((sub) => app.issuer.issue({ sub, ttl: '1m' }));
    for (const issued of revoked) await app.revocation.revoke(issued);
    const answers = await Promise.all(
      [...revoked, ...kept].map((issued) => app.revocation.isRevoked(issued)),
    );
    expect(answers).toEqual([...revoked.map(() => true), ...kept.map(() => false)]);
  });

  it('revokes, revokes all and checks across slots without CROSSSLOT errors', async () => {
    for (const sub of subjects) {
      const kept = app.issuer.issue({ sub, ttl: '1m' });
      const revoked = app.issuer.issue({ sub, ttl: '1m' });
      await app.revocation.revoke(revoked);
      await expect(app.revocation.isRevoked(revoked)).resolves.toBe(true);
      await expect(app.revocation.isRevoked(kept)).resolves.toBe(false);
      await me(kept.token).expect(200);
      expect((await me(revoked.token).expect(401)).body.message).toBe(M.revoked);

      await app.revocation.revokeAllForSubject(sub);
      await expect(app.revocation.isRevoked(kept)).resolves.toBe(true);
      const later = { sub, jti: randomUUID(), iat: nowSeconds() + 1 };
      await expect(app.revocation.isRevoked(later)).resolves.toBe(false);
    }
    // The subjects really are spread over the masters.
    const sizes = await Promise.all(
      cluster.masters.map(async (n) => Number(await n.cli('DBSIZE'))),
    );
    expect(sizes.filter((size) => size > 0).length).toBeGreaterThan(1);
  });
});
