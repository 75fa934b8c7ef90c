import type { HttpClient } from './http-client';

export const PASSWORD = 'correct horse battery';

/** A user the load reads, updates and logs in as, with a token it keeps for the whole run. */
export interface LoadUser {
  id: number;
  email: string;
  /** The name it was created with; updates write `<baseName>-<time>-<n>`. */
  baseName: string;
  /** Its name as of the last acknowledged update (before the current load). */
  name: string;
  /** Names of later updates that got no 200: they may or may not have been applied. */
  maybeNames: string[];
  token: string;
}

/**
 * The users the load works on, created through the app itself. The first `count` users of a fresh
 * database are the "hot" set: the ones `GET /users?limit=20` lists and the load reads and
 * updates. Every acknowledged sign-up is recorded, so that a list's `total` can be checked
 * against the number of users known to exist when the list was read.
 */
export class UsersFixture {
  readonly users: LoadUser[] = [];
  /** Clock times at which a sign-up was acknowledged (201), across the whole run. */
  readonly acknowledgedCreates: number[] = [];
  private sequence = 0;

  constructor(readonly tag: string) {}

  /** Signs up `count` users (4 at a time: scrypt is costly) and logs each one in. */
  static async seed(clients: HttpClient[], count: number, tag: string): Promise<UsersFixture> {
    const fixture = new UsersFixture(tag);
    const created: { id: number; email: string; name: string }[] = [];
    for (let i = 0; i < count; i += 4) {
      const batch = Array.from({ length: Math.min(4, count - i) }, (_, j) =>
        fixture.createUser(clients[(i + j) % clients.length], `hot${i + j}`),
      );
      created.push(...(await Promise.all(batch)));
    }
    created.sort((a, b) => a.id - b.id);
    for (let i = 0; i < created.length; i += 4) {
      const batch = created.slice(i, i + 4).map(async (user, j) => ({
        id: user.id,
        email: user.email,
        baseName: user.name,
        name: user.name,
        maybeNames: [],
        token: await fixture.login(clients[(i + j) % clients.length], user.email),
      }));
      fixture.users.push(...(await Promise.all(batch)));
    }
    return fixture;
  }

  /** A unique email of this run. */
  nextEmail(prefix: string): string {
    return `${prefix}-${this.tag}-${this.sequence++}@example.com`;
  }

  /** Records a sign-up the app acknowledged at clock time `t`. */
  noteCreated(t: number): void {
    this.acknowledgedCreates.push(t);
  }

  /** Users known to exist at clock time `t`: the sign-ups acknowledged before it. */
  knownUsersAt(t: number): number {
    let known = 0;
    for (const at of this.acknowledgedCreates) if (at < t) known++;
    return known;
  }

  /** Signs a user up; throws unless the app answers 201. */
  async createUser(
    client: HttpClient,
    name: string,
  ): Promise<{ id: number; email: string; name: string }> {
    const email = this.nextEmail(name);
    const result = await client.post('/users', { body: { name, email, password: PASSWORD } });
    if (result.status !== 201) {
      throw new Error(`sign-up of ${email} got ${result.status}: ${JSON.stringify(result.body)}`);
    }
    this.noteCreated(result.end);
    return { id: (result.body as { id: number }).id, email, name };
  }

  /** Logs in; throws unless the app answers 200. */
  async login(client: HttpClient, email: string): Promise<string> {
    const result = await client.post('/auth/login', { body: { email, password: PASSWORD } });
    if (result.status !== 200) {
      throw new Error(`login of ${email} got ${result.status}: ${JSON.stringify(result.body)}`);
    }
    return (result.body as { accessToken: string }).accessToken;
  }
}
