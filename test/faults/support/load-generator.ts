import { now } from './clock';
import type { HttpClient, HttpResult } from './http-client';
import { PASSWORD, type UsersFixture } from './users-fixture';

/** What the load sends. */
export type RequestKind = 'readUser' | 'readList' | 'me' | 'update' | 'create' | 'login';

/** Public reads served through `@Cacheable`: the "0 5xx, all 2xx" figures count these. */
export const CACHED_READS: readonly RequestKind[] = ['readUser', 'readList'];
/** Public routes (no token): never 5xx, whatever Redis does. */
export const PUBLIC_KINDS: readonly RequestKind[] = ['readUser', 'readList', 'create', 'login'];
/** Routes that need a bearer token: 503 by design while revocations cannot be checked. */
export const AUTHENTICATED_KINDS: readonly RequestKind[] = ['me', 'update'];
/** Routes that hash a password (scrypt): their time is mostly their own CPU work. */
export const SCRYPT_KINDS: readonly RequestKind[] = ['create', 'login'];

/**
 * Share of each kind, in percent: mostly reads of cached users, some authenticated calls, a few
 * updates (each one invalidates the `users` tag, so every cached user and list, on both
 * instances), sign-ups and logins (scrypt, the costly ones).
 */
export const REQUEST_MIX: readonly (readonly [RequestKind, number])[] = [
  ['readUser', 69.5],
  ['readList', 12],
  ['me', 15],
  ['update', 1],
  ['create', 0.5],
  ['login', 2],
];

/** One request of the load and how it went. */
export interface Sample {
  kind: RequestKind;
  /** Index of the app instance it was sent to. */
  instance: number;
  start: number;
  end: number;
  /** HTTP status, or 0 when no answer came within 3 s. */
  status: number;
  error?: string;
  /** The user read, updated, or logged in as. */
  userId?: number;
  /** The name read (readUser) or written (update). */
  name?: string;
  /** readList: `total` and the items' names. */
  total?: number;
  items?: { id: number; name: string }[];
}

export interface LoadOptions {
  /** Requests per second across all instances; default 200. */
  rate?: number;
  durationMs: number;
  /** Seed of the request mix, so that runs send the same sequence. */
  seed?: number;
}

const TICK_MS = 5;

/** mulberry32: a small seeded PRNG, so that the mix is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * An open-loop load at a fixed rate: request n is sent at n / rate seconds after the start,
 * whether or not earlier ones were answered (so a slow server cannot slow the load down and hide
 * its own latency), alternating between the instances. Bounded: exactly `rate * duration`
 * requests, each with a 3 s timeout, loopback only.
 */
export class LoadGenerator {
  private updates = 0;

  constructor(
    private readonly clients: readonly HttpClient[],
    private readonly fixture: UsersFixture,
  ) {}

  async run({ rate = 200, durationMs, seed = 42 }: LoadOptions): Promise<Sample[]> {
    const total = Math.round((rate * durationMs) / 1000);
    const next = random(seed);
    const pending: Promise<Sample>[] = [];
    const started = now();
    let sent = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((now() - started) * rate) / 1000) + 1);
        while (sent < due) {
          pending.push(this.send(sent, pick(next())));
          sent++;
        }
        if (sent >= total) {
          clearInterval(timer);
          resolve();
        }
      }, TICK_MS);
    });
    return Promise.all(pending);
  }

  private async send(n: number, kind: RequestKind): Promise<Sample> {
    const instance = n % this.clients.length;
    const client = this.clients[instance];
    const users = this.fixture.users;
    const user = users[Math.floor(n / this.clients.length) % users.length];
    switch (kind) {
      case 'readUser': {
        const result = await client.get(`/users/${user.id}`);
        const name = (result.body as { name?: string } | undefined)?.name;
        return { ...sampleOf(kind, instance, result), userId: user.id, name };
      }
      case 'readList': {
        const result = await client.get('/users?limit=20&offset=0');
        const page = result.body as { total?: number; items?: { id: number; name: string }[] };
        return {
          ...sampleOf(kind, instance, result),
          total: result.status === 200 ? page.total : undefined,
          items: result.status === 200 ? page.items?.map(({ id, name }) => ({ id, name })) : [],
        };
      }
      case 'me':
        return sampleOf(kind, instance, await client.get('/auth/me', { token: user.token }));
      case 'update': {
        // Round robin over the hot users: one user is updated every 10 s at 200 req/s, so two
        // updates of the same user are never in flight together.
        const target = users[this.updates++ % users.length];
        const name = `${target.baseName}-${Math.round(now())}-${n}`;
        const result = await client.request('PATCH', `/users/${target.id}`, {
          token: target.token,
          body: { name },
        });
        return { ...sampleOf(kind, instance, result), userId: target.id, name };
      }
      case 'create': {
        const email = this.fixture.nextEmail('load');
        const result = await client.post('/users', {
          body: { name: 'Load', email, password: PASSWORD },
        });
        if (result.status === 201) this.fixture.noteCreated(result.end);
        return sampleOf(kind, instance, result);
      }
      case 'login': {
        const result = await client.post('/auth/login', {
          body: { email: user.email, password: PASSWORD },
        });
        return { ...sampleOf(kind, instance, result), userId: user.id };
      }
    }
  }
}

function pick(r: number): RequestKind {
  let left = r * 100;
  for (const [kind, share] of REQUEST_MIX) {
    if (left < share) return kind;
    left -= share;
  }
  return REQUEST_MIX[0][0];
}

function sampleOf(kind: RequestKind, instance: number, result: HttpResult): Sample {
  return {
    kind,
    instance,
    start: result.start,
    end: result.end,
    status: result.status,
    ...(result.error ? { error: result.error } : {}),
  };
}
