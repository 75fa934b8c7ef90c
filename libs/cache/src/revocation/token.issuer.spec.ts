import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { decode, verify } from 'jsonwebtoken';
import { CacheConfigError } from '../errors';
import { resolveCacheOptions } from '../options/resolve-options';
import { RevocationArgumentError } from './revocation.errors';
import type { RevocationOptions } from './revocation.options';
import { TokenIssuer } from './token.issuer';

const secret = randomBytes(32).toString('hex');
const rsa = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const issuerFor = (revocation?: RevocationOptions) =>
  new TokenIssuer(resolveCacheOptions({ revocation }));

describe('TokenIssuer', () => {
  it('signs with the first algorithm: random jti, iat now, exp iat + ttl, issuer and audience', () => {
    const issuer = issuerFor({
      jwt: { secret, algorithms: ['HS384', 'HS256'], issuer: ['me', 'other'], audience: 'api' },
    });
    const before = Math.floor(Date.now() / 1000);
    const issued = issuer.issue({ sub: 'u1', ttl: '90s', claims: { role: 'admin' } });
    expect(decode(issued.token, { complete: true })?.header.alg).toBe('HS384');
    expect(verify(issued.token, secret)).toEqual({
      sub: 'u1',
      jti: issued.jti,
      iat: issued.iat,
      exp: issued.iat + 90,
      iss: 'me',
      aud: 'api',
      role: 'admin',
    });
    expect(issued.iat).toBeGreaterThanOrEqual(before);
    expect(issued.jti).not.toBe(issuer.issue({ sub: 'u1', ttl: '90s' }).jti);
  });

  it('signs asymmetric algorithms with privateKey, and needs it', () => {
    const issued = issuerFor({ jwt: { ...rsa, algorithms: ['RS256'] } }).issue({
      sub: 'u1',
      ttl: '1m',
    });
    expect(verify(issued.token, rsa.publicKey, { algorithms: ['RS256'] })).toMatchObject({
      sub: 'u1',
    });
    const withoutKey = issuerFor({ jwt: { publicKey: rsa.publicKey, algorithms: ['RS256'] } });
    expect(() => withoutKey.issue({ sub: 'u1', ttl: '1m' })).toThrow(
      expect.objectContaining({ option: 'revocation.jwt.privateKey' }),
    );
  });

  it('fails with a CacheConfigError naming "revocation" when the module has none', () => {
    expect(() => issuerFor().issue({ sub: 'u1', ttl: '1m' })).toThrow(CacheConfigError);
    expect(() => issuerFor().issue({ sub: 'u1', ttl: '1m' })).toThrow(/"revocation"/);
  });

  it('refuses reserved claims, an empty subject and a ttl beyond maxTokenLifetime', () => {
    const issuer = issuerFor({ jwt: { secret, algorithms: ['HS256'] }, maxTokenLifetime: '1h' });
    expect(() => issuer.issue({ sub: 'u1', ttl: '1m', claims: { iat: 0 } })).toThrow(
      RevocationArgumentError,
    );
    expect(() => issuer.issue({ sub: '', ttl: '1m' })).toThrow(RevocationArgumentError);
    expect(() => issuer.issue({ sub: 'u1', ttl: '2h' })).toThrow(RevocationArgumentError);
  });
});
