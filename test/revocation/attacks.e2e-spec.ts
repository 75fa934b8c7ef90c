import { sign } from 'jsonwebtoken';
import { INVALID_TOKEN_MESSAGES as M } from '@app/cache';
import { startRedis, type RedisServer } from '../harness';
import {
  claims,
  commandsDuring,
  craft,
  newSecret,
  nowSeconds,
  revocationApp,
  rsaKeyPair,
  segment,
  uniqueNamespace,
  type RevocationApp,
} from './revocation-app';

const ISSUER = 'https://auth.test';
const AUDIENCE = 'api';
const secret = newSecret();
const keys = rsaKeyPair();
const otherKeys = rsaKeyPair();

/** Claims the HS256 app accepts (its issuer and audience), with `overrides`. */
const good = (overrides: Record<string, unknown> = {}) =>
  claims({ iss: ISSUER, aud: AUDIENCE, ...overrides });
const hs256 = (payload: unknown, key: string = secret) =>
  craft({ alg: 'HS256', typ: 'JWT' }, payload, { hmac: key });
const valid = hs256(good());
const [validHeader, validPayload, validSignature] = valid.split('.');

describe('JwtRevocationGuard attack catalogue: each is a 401 that never touches Redis', () => {
  let server: RedisServer;
  let hs: RevocationApp;
  let rs: RevocationApp;

  beforeAll(async () => {
    server = await startRedis();
    const redis = { url: server.url };
    hs = await revocationApp({
      namespace: uniqueNamespace(),
      redis,
      revocation: {
        jwt: { secret, algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE },
      },
    });
    rs = await revocationApp({
      namespace: uniqueNamespace(),
      redis,
      revocation: { jwt: { ...keys, algorithms: ['RS256'] } },
    });
  });

  afterAll(async () => {
    await hs?.close();
    await rs?.close();
    await server?.stop();
  });

  /** Sends `authorization` to GET /me and expects a 401 with `message`, and no Redis command. */
  async function expectRefused(
    app: RevocationApp,
    authorization: string | undefined,
    message: string,
  ): Promise<void> {
    const delta = await commandsDuring(server, async () => {
      const call = app.http().get('/me');
      const response = await (authorization === undefined
        ? call
        : call.set('Authorization', authorization));
      expect(response.status).toBe(401);
      expect(response.body.message).toBe(message);
      const challenge =
        message === M.missing
          ? 'Bearer'
          : `Bearer error="invalid_token", error_description="${message}"`;
      expect(response.headers['www-authenticate']).toBe(challenge);
    });
    expect(delta).toEqual({});
  }

  it('admits a valid token after one Redis command (the control for the cases below)', async () => {
    const delta = await commandsDuring(server, async () => {
      const response = await hs.http().get('/me').set('Authorization', `Bearer ${valid}`);
      expect(response.status).toBe(200);
      expect(response.body.user).toMatchObject({ sub: 'user-1', iss: ISSUER });
    });
    expect(delta).toEqual({ mget: 1 });
  });

  describe('alg none', () => {
    const cases = ['none', 'None', 'NONE', 'nOnE'].flatMap((alg) => [
      [alg, 'without a signature', `${segment({ alg, typ: 'JWT' })}.${segment(good())}.`],
      [alg, 'with a signature', craft({ alg, typ: 'JWT' }, good(), { hmac: secret })],
    ]);
    it.each(cases)('refuses alg %s %s', (_alg, _variant, token) =>
      expectRefused(hs, `Bearer ${token}`, M.algorithm),
    );
  });

  it('refuses a token signed with the wrong secret', () =>
    expectRefused(hs, `Bearer ${hs256(good(), newSecret())}`, M.signature));

  it('refuses a disallowed algorithm (HS512 when only HS256 is allowed)', () =>
    expectRefused(
      hs,
      `Bearer ${craft({ alg: 'HS512', typ: 'JWT' }, good(), { hmac: secret, hash: 'sha512' })}`,
      M.algorithm,
    ));

  it('refuses HS256 signed with the RSA public key as HMAC secret when RS256 is configured', () =>
    expectRefused(rs, `Bearer ${hs256(claims(), keys.publicKey)}`, M.algorithm));

  it('refuses an RS256 token signed by another key pair', () =>
    expectRefused(
      rs,
      `Bearer ${craft({ alg: 'RS256' }, claims(), { rsaPrivateKey: otherKeys.privateKey })}`,
      M.signature,
    ));

  it('admits a valid RS256 token on the RS256 app', async () => {
    const token = sign(claims(), keys.privateKey, { algorithm: 'RS256' });
    await rs.http().get('/me').set('Authorization', `Bearer ${token}`).expect(200);
  });

  it('refuses a tampered payload', () => {
    const forged = segment(good({ sub: 'admin' }));
    return expectRefused(hs, `Bearer ${validHeader}.${forged}.${validSignature}`, M.signature);
  });

  it('refuses a truncated signature', () =>
    expectRefused(
      hs,
      `Bearer ${validHeader}.${validPayload}.${validSignature.slice(0, -4)}`,
      M.signature,
    ));

  it('refuses an expired token (beyond the clock tolerance)', () =>
    expectRefused(
      hs,
      `Bearer ${hs256(good({ iat: nowSeconds() - 120, exp: nowSeconds() - 60 }))}`,
      M.expired,
    ));

  it('refuses a token whose nbf is in the future', () =>
    expectRefused(hs, `Bearer ${hs256(good({ nbf: nowSeconds() + 60 }))}`, M.not_yet_valid));

  it('refuses a token whose iat is in the future beyond the tolerance', () =>
    expectRefused(
      hs,
      `Bearer ${hs256(good({ iat: nowSeconds() + 60, exp: nowSeconds() + 120 }))}`,
      M.issued_in_future,
    ));

  it('refuses a token living longer than maxTokenLifetime (1d by default)', () =>
    expectRefused(hs, `Bearer ${hs256(good({ exp: nowSeconds() + 2 * 86_400 }))}`, M.lifetime));

  it.each(['jti', 'sub', 'exp', 'iat'])('refuses a token without %s', (claim) => {
    const payload = good();
    delete payload[claim];
    return expectRefused(hs, `Bearer ${hs256(payload)}`, M.missing_claim);
  });

  it.each([
    ['jti', 42],
    ['jti', ''],
    ['sub', 42],
    ['sub', ['user-1']],
    ['exp', String(nowSeconds() + 60)],
    ['iat', 'now'],
    ['nbf', '0'],
    ['exp', null],
  ])('refuses a token whose %s is %p', (claim, value) =>
    expectRefused(hs, `Bearer ${hs256(good({ [claim]: value }))}`, M.invalid_claim),
  );

  it.each([
    ['1 part', 'abc'],
    ['2 parts', `${validHeader}.${validPayload}`],
    ['4 parts', `${valid}.${validSignature}`],
    ['non-base64url characters', `${validHeader}.${validPayload}!.${validSignature}`],
    ['a non-JSON header', `${segment('not json')}.${validPayload}.${validSignature}`],
    ['a non-JSON payload', `${validHeader}.${segment('{"sub":')}.${validSignature}`],
    ['an array payload', hs256([good()])],
    ['an array header', `${segment([{ alg: 'HS256' }])}.${validPayload}.${validSignature}`],
    ['an empty signature', `${validHeader}.${validPayload}.`],
    ['a crit header', craft({ alg: 'HS256', crit: ['b64'], b64: false }, good(), { hmac: secret })],
    ['two space-separated tokens', `${valid} ${valid}`],
  ])('refuses a malformed token: %s', (_case, token) =>
    expectRefused(hs, `Bearer ${token}`, M.malformed),
  );

  it('refuses an oversized token before parsing it', () =>
    expectRefused(hs, `Bearer ${hs256(good({ pad: 'x'.repeat(9000) }))}`, M.too_large));

  it('refuses a request without Authorization with a bare Bearer challenge', () =>
    expectRefused(hs, undefined, M.missing));

  it.each([
    ['Basic', `Basic ${Buffer.from('u:p').toString('base64')}`],
    ['Token', `Token ${valid}`],
    ['no scheme', valid],
    ['Bearer without a token', 'Bearer'],
  ])('treats a foreign or missing scheme as no token: %s', (_case, authorization) =>
    expectRefused(hs, authorization, M.missing),
  );

  it('refuses a wrong issuer', () =>
    expectRefused(hs, `Bearer ${hs256(good({ iss: 'https://evil.test' }))}`, M.issuer));

  it('refuses a token without the configured issuer', () => {
    const payload = good();
    delete payload.iss;
    return expectRefused(hs, `Bearer ${hs256(payload)}`, M.issuer);
  });

  it('refuses a wrong audience', () =>
    expectRefused(hs, `Bearer ${hs256(good({ aud: 'other-api' }))}`, M.audience));

  it('accepts the scheme in any case ("bearer")', async () => {
    await hs.http().get('/me').set('Authorization', `bearer ${valid}`).expect(200);
    await hs.http().get('/me').set('Authorization', `BEARER ${valid}`).expect(200);
  });

  it('honours the clock tolerance: a token expired 2 s ago still passes with the 5 s default', async () => {
    const token = hs256(good({ iat: nowSeconds() - 60, exp: nowSeconds() - 2 }));
    await hs.http().get('/me').set('Authorization', `Bearer ${token}`).expect(200);
  });
});
