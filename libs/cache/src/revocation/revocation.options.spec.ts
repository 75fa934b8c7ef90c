import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { CacheConfigError } from '../errors';
import { resolveRevocationOptions, type RevocationOptions } from './revocation.options';

const secret = randomBytes(32).toString('base64');
const pem = (type: 'rsa' | 'ec', options: object) =>
  generateKeyPairSync(
    type as 'rsa',
    {
      ...options,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    } as never,
  ) as unknown as { publicKey: string; privateKey: string };
const rsa = pem('rsa', { modulusLength: 2048 });
const otherRsa = pem('rsa', { modulusLength: 2048 });
const weakRsa = pem('rsa', { modulusLength: 1024 });
const p256 = pem('ec', { namedCurve: 'prime256v1' });

/** Expects resolving `options` to throw a CacheConfigError on `option` whose message matches. */
function expectRefused(options: unknown, option: string, message: RegExp): void {
  let error: unknown;
  try {
    resolveRevocationOptions(options as RevocationOptions);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(CacheConfigError);
  expect((error as CacheConfigError).option).toBe(option);
  expect((error as CacheConfigError).message).toMatch(message);
}

describe('resolveRevocationOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveRevocationOptions({ jwt: { secret, algorithms: ['HS256'] } })).toEqual({
      jwt: { secret, algorithms: ['HS256'], clockTolerance: 5000, maxTokenLength: 8192 },
      onStoreFailure: 'closed',
      trustRequestUser: false,
      maxTokenLifetime: 86_400_000,
    });
  });

  it('accepts an RSA key pair for RS256 and PS256, and an EC key for ES256', () => {
    const resolved = resolveRevocationOptions({
      jwt: { ...rsa, algorithms: ['RS256', 'PS256'], clockTolerance: '1s', issuer: ['a', 'b'] },
      onStoreFailure: 'open',
      maxTokenLifetime: '15m',
    });
    expect(resolved.jwt.clockTolerance).toBe(1000);
    expect(resolved.maxTokenLifetime).toBe(900_000);
    expect(() =>
      resolveRevocationOptions({ jwt: { publicKey: p256.publicKey, algorithms: ['ES256'] } }),
    ).not.toThrow();
  });

  it.each([
    [undefined, /required/],
    [[], /required/],
    ['HS256', /required/],
    [['none'], /'none' is never accepted/],
    [['HS256', 'NoNe'], /'none' is never accepted/],
    [['HS257'], /unsupported algorithm 'HS257'/],
    [['EdDSA'], /unsupported algorithm/],
    [['HS256', 'RS256'], /mixes HS\* with asymmetric/],
  ])('refuses algorithms %p', (algorithms, message) =>
    expectRefused({ jwt: { secret, algorithms } }, 'revocation.jwt.algorithms', message),
  );

  it('refuses HS* without a secret, or with a weak one', () => {
    expectRefused({ jwt: { algorithms: ['HS256'] } }, 'revocation.jwt.secret', /required/);
    expectRefused(
      { jwt: { secret: 'x'.repeat(31), algorithms: ['HS256'] } },
      'revocation.jwt.secret',
      /at least 32 bytes/,
    );
  });

  it('refuses a PEM key as HMAC secret, and keys with HS*', () => {
    expectRefused(
      { jwt: { secret: rsa.publicKey, algorithms: ['HS256'] } },
      'revocation.jwt.secret',
      /PEM/,
    );
    expectRefused(
      { jwt: { secret, publicKey: rsa.publicKey, algorithms: ['HS256'] } },
      'revocation.jwt.publicKey',
      /asymmetric/,
    );
  });

  it('refuses asymmetric algorithms without a fitting public key', () => {
    expectRefused({ jwt: { algorithms: ['RS256'] } }, 'revocation.jwt.publicKey', /required/);
    expectRefused(
      { jwt: { secret, publicKey: rsa.publicKey, algorithms: ['RS256'] } },
      'revocation.jwt.secret',
      /HS\*/,
    );
    expectRefused(
      { jwt: { publicKey: 'not a key', algorithms: ['RS256'] } },
      'revocation.jwt.publicKey',
      /not a valid PEM/,
    );
    expectRefused(
      { jwt: { publicKey: rsa.privateKey, algorithms: ['RS256'] } },
      'revocation.jwt.publicKey',
      /not a private key/,
    );
    expectRefused(
      { jwt: { publicKey: p256.publicKey, algorithms: ['RS256'] } },
      'revocation.jwt.publicKey',
      /ec key cannot verify RS256/,
    );
    expectRefused(
      { jwt: { publicKey: p256.publicKey, algorithms: ['ES384'] } },
      'revocation.jwt.publicKey',
      /secp384r1/,
    );
    expectRefused(
      { jwt: { publicKey: weakRsa.publicKey, algorithms: ['RS256'] } },
      'revocation.jwt.publicKey',
      /2048 bits/,
    );
  });

  it('refuses a private key that does not match the public key', () =>
    expectRefused(
      { jwt: { publicKey: rsa.publicKey, privateKey: otherRsa.privateKey, algorithms: ['RS256'] } },
      'revocation.jwt.privateKey',
      /does not match/,
    ));

  it.each([
    [
      { jwt: { secret, algorithms: ['HS256'], clockTolerance: 'soon' } },
      'revocation.jwt.clockTolerance',
    ],
    [
      { jwt: { secret, algorithms: ['HS256'], maxTokenLength: 0 } },
      'revocation.jwt.maxTokenLength',
    ],
    [{ jwt: { secret, algorithms: ['HS256'], issuer: [] } }, 'revocation.jwt.issuer'],
    [{ jwt: { secret, algorithms: ['HS256'], audience: 7 } }, 'revocation.jwt.audience'],
    [{ jwt: { secret, algorithms: ['HS256'], secrett: 1 } }, 'revocation.jwt.secrett'],
    [
      { jwt: { secret, algorithms: ['HS256'] }, onStoreFailure: 'local' },
      'revocation.onStoreFailure',
    ],
    [
      { jwt: { secret, algorithms: ['HS256'] }, trustRequestUser: 'yes' },
      'revocation.trustRequestUser',
    ],
    [
      { jwt: { secret, algorithms: ['HS256'] }, maxTokenLifetime: '10ms' },
      'revocation.maxTokenLifetime',
    ],
    [{ jwt: 'HS256' }, 'revocation.jwt'],
    [null, 'revocation'],
  ])('names the offending option: %p', (options, option) => expectRefused(options, option, /./));
});
