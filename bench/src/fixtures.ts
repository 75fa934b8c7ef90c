import { setTimeout as sleep } from 'node:timers/promises';

/** The cached value everywhere: a small user record (about 150 bytes of JSON). */
export interface User {
  id: string;
  name: string;
  email: string;
  roles: string[];
  active: boolean;
  createdAt: string;
}

export function makeUser(id: string): User {
  return {
    id,
    name: `User ${id}`,
    email: `user${id}@example.com`,
    roles: ['reader', 'writer'],
    active: true,
    createdAt: '2024-01-01T00:00:00.000Z',
  };
}

/** Loads a user: at once, or after `delayMs` (the stampede's slow loader). */
export type Loader = (id: string) => Promise<User>;

/** A loader that counts its calls. */
export interface CountingLoader {
  load: Loader;
  calls(): number;
}

export function countingLoader(delayMs = 0): CountingLoader {
  let calls = 0;
  return {
    load: async (id) => {
      calls++;
      if (delayMs > 0) await sleep(delayMs);
      return makeUser(id);
    },
    calls: () => calls,
  };
}

/** Ids `'0'..'n-1'`, built once so key building is the contenders' own cost. */
export function ids(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}
