import fc from 'fast-check';
import request from 'supertest';
import { gzipSync } from 'zlib';
import { newUser, startUsersApp, type UsersApp } from './support/users-app';

/** A request the table sends: a raw body string is sent as is, with a JSON content type. */
interface HostileCase {
  name: string;
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  body?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  /** Send the token of the spec's user. */
  auth?: boolean;
}

const huge = 'x'.repeat(200 * 1024);
const deepArray = '['.repeat(5000) + ']'.repeat(5000);
const deepObject = '{"a":'.repeat(2000) + '1' + '}'.repeat(2000);
const longEmail = `${'a'.repeat(10_000)}@example.com`;
const valid = { name: 'Eve', email: 'eve@example.com', password: 'correct horse' };

const CASES: HostileCase[] = [
  // Unknown and prototype-reaching keys
  { name: 'an unknown field', method: 'post', path: '/users', body: { ...valid, admin: true } },
  {
    name: 'a __proto__ key',
    method: 'post',
    path: '/users',
    raw: '{"__proto__":{"polluted":true},"name":"Eve","email":"eve1@example.com","password":"correct horse"}',
  },
  {
    name: 'a nested __proto__ key',
    method: 'post',
    path: '/users',
    raw: '{"name":{"__proto__":{"polluted":true}},"email":"eve2@example.com","password":"correct horse"}',
  },
  {
    name: 'a constructor.prototype key',
    method: 'post',
    path: '/users',
    raw: '{"constructor":{"prototype":{"polluted":true}},"name":"Eve","email":"eve3@example.com","password":"correct horse"}',
  },
  {
    name: 'a __proto__ key on login',
    method: 'post',
    path: '/auth/login',
    raw: '{"__proto__":{"polluted":true},"email":"eve@example.com","password":"x"}',
  },
  {
    name: 'a constructor key on PATCH',
    method: 'patch',
    path: '/users/:self',
    auth: true,
    raw: '{"constructor":{"prototype":{"polluted":true}}}',
  },
  {
    name: 'a toString key',
    method: 'post',
    path: '/users',
    raw: '{"toString":"x","name":"Eve","email":"eve7@example.com","password":"correct horse"}',
  },
  {
    name: 'a hasOwnProperty key on PATCH',
    method: 'patch',
    path: '/users/:self',
    auth: true,
    raw: '{"hasOwnProperty":1,"name":"Mallory"}',
  },
  // Wrong types
  { name: 'a number for a name', method: 'post', path: '/users', body: { ...valid, name: 123 } },
  { name: 'a boolean email', method: 'post', path: '/users', body: { ...valid, email: true } },
  { name: 'a null password', method: 'post', path: '/users', body: { ...valid, password: null } },
  { name: 'an array for a name', method: 'post', path: '/users', body: { ...valid, name: ['a'] } },
  {
    name: 'an object for a name',
    method: 'post',
    path: '/users',
    body: { ...valid, name: { $gt: '' } },
  },
  {
    name: 'an object for an email on login',
    method: 'post',
    path: '/auth/login',
    body: { email: { $ne: null }, password: 'x' },
  },
  {
    name: 'an object for a password on login',
    method: 'post',
    path: '/auth/login',
    body: { email: 'eve@example.com', password: { $ne: null } },
  },
  {
    name: 'a number name on PATCH',
    method: 'patch',
    path: '/users/:self',
    auth: true,
    body: { name: 7 },
  },
  // Bodies that are not a JSON object
  { name: 'a JSON array', method: 'post', path: '/users', raw: '[1,2,3]' },
  { name: 'a JSON string', method: 'post', path: '/users', raw: '"hello"' },
  { name: 'a JSON number', method: 'post', path: '/auth/login', raw: '42' },
  { name: 'JSON null', method: 'post', path: '/users', raw: 'null' },
  { name: 'malformed JSON', method: 'post', path: '/users', raw: '{"name":' },
  {
    name: 'invalid UTF-8',
    method: 'post',
    path: '/users',
    raw: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
  },
  {
    name: 'a body of another type',
    method: 'post',
    path: '/users',
    raw: 'name=eve',
    headers: { 'Content-Type': 'text/plain' },
  },
  {
    name: 'a form body on PATCH (not read as an empty patch)',
    method: 'patch',
    path: '/users/:self',
    auth: true,
    raw: 'name=Mallory',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  },
  {
    name: 'a text body on PATCH',
    method: 'patch',
    path: '/users/:self',
    auth: true,
    raw: '{"name":"Mallory"}',
    headers: { 'Content-Type': 'text/plain' },
  },
  {
    name: 'JSON in UTF-16',
    method: 'post',
    path: '/users',
    raw: Buffer.from(JSON.stringify(valid), 'utf16le'),
    headers: { 'Content-Type': 'application/json; charset=utf-16' },
  },
  // Lone UTF-16 surrogates, which JSON can spell as \ud800 escapes
  {
    name: 'a lone surrogate in an email',
    method: 'post',
    path: '/users',
    raw: '{"name":"Eve","email":"a\\ud800@example.com","password":"correct horse"}',
  },
  {
    name: 'a lone surrogate in an email on login',
    method: 'post',
    path: '/auth/login',
    raw: '{"email":"a@\\udfff.com","password":"correct horse"}',
  },
  {
    name: 'a lone surrogate in an email on PATCH',
    method: 'patch',
    path: '/users/:self',
    auth: true,
    raw: '{"email":"a\\ud800@example.com"}',
  },
  {
    name: 'a lone surrogate in a name',
    method: 'post',
    path: '/users',
    raw: '{"name":"a\\ud800b","email":"eve4@example.com","password":"correct horse"}',
  },
  {
    name: 'a lone surrogate in a password',
    method: 'post',
    path: '/users',
    raw: '{"name":"Eve","email":"eve5@example.com","password":"\\udfffcorrect horse"}',
  },
  {
    name: 'a lone surrogate in a key',
    method: 'post',
    path: '/users',
    raw: '{"\\ud800":1,"name":"Eve","email":"eve6@example.com","password":"correct horse"}',
  },
  { name: 'a huge body', method: 'post', path: '/users', body: { ...valid, name: huge } },
  {
    name: 'a huge body on PATCH',
    method: 'patch',
    path: '/users/:self',
    auth: true,
    body: { name: huge },
  },
  { name: 'a deeply nested array', method: 'post', path: '/users', raw: deepArray },
  {
    name: 'a deeply nested object',
    method: 'patch',
    path: '/users/:self',
    auth: true,
    raw: deepObject,
  },
  {
    name: 'a gzip bomb beyond the limit',
    method: 'post',
    path: '/users',
    raw: gzipSync(JSON.stringify({ name: 'a'.repeat(5_000_000) })),
    headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
  },
  {
    name: 'a corrupt gzip body',
    method: 'post',
    path: '/users',
    raw: 'not gzip',
    headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
  },
  {
    name: 'an unknown content encoding',
    method: 'post',
    path: '/users',
    raw: '{}',
    headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'zip-of-doom' },
  },
  // Emails
  {
    name: 'a 10k-character email',
    method: 'post',
    path: '/users',
    body: { ...valid, email: longEmail },
  },
  {
    name: 'a 10k-character email on login',
    method: 'post',
    path: '/auth/login',
    body: { email: longEmail, password: 'x' },
  },
  {
    name: 'a 10k-character email on PATCH',
    method: 'patch',
    path: '/users/:self',
    auth: true,
    body: { email: longEmail },
  },
  // Paths and queries
  { name: 'an id with a NUL', method: 'get', path: '/users/1%00' },
  { name: 'a negative id', method: 'get', path: '/users/-1' },
  { name: 'a traversal id', method: 'get', path: '/users/..%2F..%2Fetc%2Fpasswd' },
  { name: 'a dot-dot path', method: 'get', path: '/users/../../etc/passwd' },
  { name: 'an id beyond 2^53', method: 'get', path: '/users/9007199254740993' },
  { name: 'an id far beyond 2^53', method: 'get', path: `/users/${'9'.repeat(400)}` },
  { name: 'an exponent id', method: 'get', path: '/users/1e3' },
  { name: 'a hex id', method: 'get', path: '/users/0x10' },
  { name: 'a bad percent-encoding', method: 'get', path: '/users/%E0%A4%A' },
  {
    name: 'an id beyond 2^53 on PATCH',
    method: 'patch',
    path: '/users/9007199254740993',
    auth: true,
    body: {},
  },
  { name: 'a negative id on DELETE', method: 'delete', path: '/users/-1', auth: true },
  { name: 'a zero limit', method: 'get', path: '/users?limit=0' },
  { name: 'a huge limit', method: 'get', path: '/users?limit=1e9' },
  { name: 'a text limit', method: 'get', path: '/users?limit=abc' },
  { name: 'a repeated limit', method: 'get', path: '/users?limit=1&limit=2' },
  { name: 'a negative offset', method: 'get', path: '/users?offset=-1' },
  { name: 'an offset beyond 2^53', method: 'get', path: '/users?offset=9007199254740993' },
  { name: 'a __proto__ query', method: 'get', path: '/users?__proto__[polluted]=1' },
  { name: 'an unknown query field', method: 'get', path: '/users?sort=name' },
  // Tokens
  {
    name: 'a garbage token',
    method: 'get',
    path: '/auth/me',
    headers: { Authorization: 'Bearer a.b.c' },
  },
  {
    name: 'a huge token',
    method: 'get',
    path: '/auth/me',
    headers: { Authorization: `Bearer ${'a'.repeat(9000)}` },
  },
  {
    name: 'another scheme',
    method: 'get',
    path: '/auth/me',
    headers: { Authorization: 'Basic ZXZlOmV2ZQ==' },
  },
  {
    name: 'an unsigned token',
    method: 'get',
    path: '/auth/me',
    headers: {
      Authorization:
        'Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxIiwianRpIjoieCIsImlhdCI6MSwiZXhwIjo5OTk5OTk5OTk5fQ.',
    },
  },
];

describe('users app under hostile input', () => {
  let users: UsersApp;
  let token: string;
  let selfId: number;
  let prototypeKeys: string[];

  beforeAll(async () => {
    prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
    // Limits high enough for the property runs; the flow specs test the limits themselves.
    users = await startUsersApp({ RATE_LIMIT: '100000/10s', LOGIN_RATE_LIMIT: '100000/1m' });
    const user = newUser('Victim');
    selfId = (await request(users.server).post('/users').send(user).expect(201)).body.id;
    const login = await request(users.server)
      .post('/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    token = login.body.accessToken;
  });

  afterAll(() => users?.close());

  afterEach(() => {
    // Nothing a client sent may have reached Object.prototype.
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  function send(hostile: HostileCase): request.Test {
    const path = hostile.path.replace(':self', String(selfId));
    let test = request(users.server)[hostile.method](path);
    if (hostile.auth) test = test.set('Authorization', `Bearer ${token}`);
    const headers = hostile.headers ?? {};
    for (const [name, value] of Object.entries(headers)) test = test.set(name, value);
    if (hostile.raw !== undefined) {
      if (!headers['Content-Type']) test = test.set('Content-Type', 'application/json');
      return test.send(hostile.raw);
    }
    return hostile.body === undefined ? test : test.send(hostile.body as object);
  }

  it.each(CASES.map((hostile) => [hostile.name, hostile] as const))(
    'answers %s with a JSON 4xx',
    async (_name, hostile) => {
      const response = await send(hostile);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.body).toEqual(
        expect.objectContaining({
          statusCode: response.status,
          error: expect.any(String),
          message: expect.anything(),
        }),
      );
    },
  );

  it('still serves the user the hostile requests aimed at', async () => {
    const me = await request(users.server)
      .get('/auth/me')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect(me.body).toMatchObject({ id: selfId, name: 'Victim' });
  });

  describe('random bodies (fast-check)', () => {
    // Bodies shaped like ours, with hostile keys and values mixed in, plus any JSON at all.
    // 'binary' strings include lone surrogates, which JSON.stringify writes as \ud800 escapes.
    const key = fc.oneof(
      fc.constantFrom('name', 'email', 'password', '__proto__', 'constructor', 'prototype'),
      fc.string({ unit: 'binary' }),
    );
    const value = fc.oneof(fc.jsonValue(), fc.string({ unit: 'binary' }));
    const body = fc.oneof(
      fc.dictionary(key, value, { maxKeys: 6 }).map((entries) => JSON.stringify(entries)),
      fc.json(),
      fc.string(),
    );
    const routes = [
      { name: 'POST /users', method: 'post', path: () => '/users', auth: false },
      { name: 'PATCH /users/:id', method: 'patch', path: () => `/users/${selfId}`, auth: true },
      { name: 'POST /auth/login', method: 'post', path: () => '/auth/login', auth: false },
    ] as const;

    it.each(routes.map((route) => [route.name, route] as const))(
      'never answers %s with a 5xx',
      async (_name, route) => {
        await fc.assert(
          fc.asyncProperty(body, async (raw) => {
            const http = request(users.server);
            let test = http[route.method](route.path()).set('Content-Type', 'application/json');
            if (route.auth) test = test.set('Authorization', `Bearer ${token}`);
            const response = await test.send(raw);
            expect(response.status).toBeLessThan(500);
            expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
          }),
          { numRuns: 60 },
        );
      },
    );
  });
});
