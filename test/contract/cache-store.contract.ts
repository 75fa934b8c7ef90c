import { setTimeout as sleep } from 'node:timers/promises';
import type { CacheStore, StoredEntry } from '@app/cache';
import { waitUntil } from '../harness';

/** Makes a store over the given namespace; stores made with one namespace share their data. */
export type StoreFactory = (namespace: string) => Promise<CacheStore> | CacheStore;

interface ContractOptions {
  /** Whether the store keeps Buffers (binary serializers) rather than strings. */
  binary?: boolean;
  /** Whether the store answers `peek` (in-process stores). */
  peeks?: boolean;
  /**
   * Whether instances share the store (Redis): it then refuses loaded values over changes made
   * since their load began, which an in-process store leaves to the service's single flight.
   */
  shared?: boolean;
}

let sequence = 0;
/** A namespace no other spec (or earlier run) uses, so specs can share a server safely. */
export const uniqueNamespace = (): string =>
  `t${process.pid}-${Date.now().toString(36)}-${sequence++}`;

function entry(payload: string, extra: Partial<StoredEntry> = {}): StoredEntry {
  const now = Date.now();
  return { payload, createdAt: now, freshUntil: now + 60_000, tags: [], ...extra };
}

/**
 * The behaviour every store must show. A new backend is one class plus one call of this suite.
 */
export function describeCacheStoreContract(
  name: string,
  makeStore: StoreFactory,
  options: ContractOptions = {},
): void {
  describe(`${name} store contract`, () => {
    let namespace: string;
    let store: CacheStore;
    const opened: CacheStore[] = [];
    const open = async (ns: string): Promise<CacheStore> => {
      const created = await makeStore(ns);
      opened.push(created);
      return created;
    };
    const payload = (text: string): string | Buffer => (options.binary ? Buffer.from(text) : text);
    const text = (value: string | Buffer | undefined): string | undefined =>
      value === undefined ? undefined : value.toString();

    beforeEach(async () => {
      namespace = uniqueNamespace();
      store = await open(namespace);
    });

    afterEach(async () => {
      for (const s of opened.splice(0)) {
        await s.clear();
        await s.close();
      }
    });

    it('returns undefined for a key it never stored', async () => {
      await expect(store.get('missing')).resolves.toBeUndefined();
    });

    it('returns what was stored, with its times and tags', async () => {
      const stored = entry('v1', { tags: ['a', 'b:1'], payload: payload('v1') as string });
      await store.set([{ key: 'k', entry: stored, keepFor: 60_000 }]);
      const read = await store.get('k');
      expect(text(read?.payload)).toBe('v1');
      expect(read?.createdAt).toBe(stored.createdAt);
      expect(read?.freshUntil).toBe(stored.freshUntil);
      expect(read?.tags).toEqual(['a', 'b:1']);
    });

    it('reads many keys in order, with misses in place', async () => {
      await store.set([
        { key: 'a', entry: entry('A'), keepFor: 60_000 },
        { key: 'c', entry: entry('C'), keepFor: 60_000 },
      ]);
      const read = await store.getMany(['a', 'b', 'c']);
      expect(read.map((e) => text(e?.payload))).toEqual(['A', undefined, 'C']);
    });

    it('forgets an entry once its keep time has passed', async () => {
      // As the service writes them: fresh for a while, then kept a little longer (grace).
      const now = Date.now();
      await store.set([{ key: 'short', entry: entry('x', { freshUntil: now + 20 }), keepFor: 40 }]);
      expect(await store.get('short')).toBeDefined();
      await sleep(80);
      expect(await store.get('short')).toBeUndefined();
    });

    if (options.peeks) {
      it('peeks at fresh entries only, and leaves a stale one to get within its keep time', async () => {
        // An L1 tier fills once its bus is subscribed: wait for that with another key.
        await store.set([{ key: 'w', entry: entry('W'), keepFor: 60_000 }]);
        await waitUntil(
          async () => {
            await store.get('w');
            return store.peek!('w') !== undefined;
          },
          { what: 'reads to fill the store peek answers from', timeoutMs: 3000 },
        );
        const now = Date.now();
        await store.set([
          { key: 'p', entry: entry('P', { freshUntil: now + 150 }), keepFor: 60_000 },
        ]);
        await store.get('p');
        expect(text(store.peek!('p')?.payload)).toBe('P');
        await sleep(now + 170 - Date.now());
        expect(store.peek!('p')).toBeUndefined();
        expect(text((await store.get('p'))?.payload)).toBe('P');
      });
    }

    it('deletes keys', async () => {
      await store.set([
        { key: 'a', entry: entry('A'), keepFor: 60_000 },
        { key: 'b', entry: entry('B'), keepFor: 60_000 },
      ]);
      await store.delete(['a']);
      expect(await store.get('a')).toBeUndefined();
      expect(text((await store.get('b'))?.payload)).toBe('B');
    });

    if (options.shared) {
      describe('loaded values and changes made by other instances', () => {
        const loaded = (key: string, value: string, extra: Partial<StoredEntry>) => ({
          key,
          entry: entry(value, extra),
          keepFor: 60_000,
          loaded: true,
        });

        it('refuses a value loaded before a delete, reads the deleted key as a miss, and stores later loads', async () => {
          const other = await open(namespace);
          const before = Date.now() - 20;
          await other.delete(['absent', 'present', 'tagged']);
          await expect(
            store.set([
              loaded('absent', 'old', { createdAt: before }),
              loaded('tagged', 'old', { createdAt: before, tags: ['users'] }),
            ]),
          ).resolves.toBe(2);
          await expect(store.get('absent')).resolves.toBeUndefined();
          await expect(store.get('tagged', ['users'])).resolves.toBeUndefined();
          await expect(store.getMany(['absent', 'present'])).resolves.toEqual([
            undefined,
            undefined,
          ]);
          await sleep(2);
          await expect(
            store.set([loaded('absent', 'new', { createdAt: Date.now() })]),
          ).resolves.toBe(0);
          expect(text((await store.get('absent'))?.payload)).toBe('new');
          // A plain write is a change of its own: stored whatever its createdAt.
          await store.set([
            { key: 'present', entry: entry('set', { createdAt: before }), keepFor: 60_000 },
          ]);
          expect(text((await store.get('present'))?.payload)).toBe('set');
        });

        it('refuses a value loaded before the entry it would replace was created, or before a tag was invalidated', async () => {
          const now = Date.now();
          await store.set([
            { key: 'k', entry: entry('newer', { createdAt: now }), keepFor: 60_000 },
          ]);
          await expect(store.set([loaded('k', 'older', { createdAt: now - 50 })])).resolves.toBe(1);
          expect(text((await store.get('k'))?.payload)).toBe('newer');
          await expect(store.set([loaded('k', 'same', { createdAt: now })])).resolves.toBe(0);
          expect(text((await store.get('k'))?.payload)).toBe('same');

          await store.invalidateTags(['posts'], now);
          await expect(
            store.set([loaded('p', 'stale', { createdAt: now - 1, tags: ['posts'] })]),
          ).resolves.toBe(1);
          await expect(
            store.set([loaded('p', 'fresh', { createdAt: now + 1, tags: ['posts'] })]),
          ).resolves.toBe(0);
          expect(text((await store.get('p', ['posts']))?.payload)).toBe('fresh');
        });

        it('counts only entries in a pattern delete, and refuses loads begun before it', async () => {
          const before = Date.now() - 20;
          await store.delete(['user:3']);
          await store.set([
            { key: 'user:1', entry: entry('1'), keepFor: 60_000 },
            { key: 'user:2', entry: entry('2'), keepFor: 60_000 },
          ]);
          await expect(store.deleteByPattern('user:*')).resolves.toBe(2);
          await expect(store.set([loaded('user:1', 'old', { createdAt: before })])).resolves.toBe(
            1,
          );
          await expect(store.get('user:1')).resolves.toBeUndefined();
        });
      });
    }

    it('makes entries with an invalidated tag a miss, and leaves others alone', async () => {
      const created = Date.now() - 10;
      await store.set([
        {
          key: 'tagged',
          entry: entry('T', { createdAt: created, tags: ['users'] }),
          keepFor: 60_000,
        },
        {
          key: 'other',
          entry: entry('O', { createdAt: created, tags: ['posts'] }),
          keepFor: 60_000,
        },
        {
          key: 'both',
          entry: entry('B', { createdAt: created, tags: ['posts', 'users'] }),
          keepFor: 60_000,
        },
      ]);
      await store.invalidateTags(['users'], Date.now());
      expect(await store.get('tagged')).toBeUndefined();
      expect(await store.get('both')).toBeUndefined();
      expect(text((await store.get('other'))?.payload)).toBe('O');
      const many = await store.getMany(['tagged', 'other']);
      expect(many.map((e) => text(e?.payload))).toEqual([undefined, 'O']);
    });

    it('checks every tag an entry carries, whatever tags the reader expects', async () => {
      const created = Date.now() - 10;
      await store.set([
        {
          key: 'k',
          entry: entry('V', { createdAt: created, tags: ['users', 'posts'] }),
          keepFor: 60_000,
        },
      ]);
      expect(text((await store.get('k', ['users', 'posts']))?.payload)).toBe('V');
      await store.invalidateTags(['posts'], Date.now());
      expect(await store.get('k', ['users', 'posts'])).toBeUndefined();
      expect(await store.get('k', ['users'])).toBeUndefined();
      expect(await store.get('k', ['unrelated'])).toBeUndefined();
      expect(await store.get('k')).toBeUndefined();
    });

    it('keeps entries created after the invalidation', async () => {
      const at = Date.now() - 100;
      await store.invalidateTags(['users'], at);
      await store.set([{ key: 'k', entry: entry('new', { tags: ['users'] }), keepFor: 60_000 }]);
      expect(text((await store.get('k'))?.payload)).toBe('new');
    });

    it('rejects a value whose load started before an invalidation, even if written after it', async () => {
      const loadStarted = Date.now() - 50;
      await store.invalidateTags(['users'], Date.now() - 10);
      await store.set([
        {
          key: 'late',
          entry: entry('old', { createdAt: loadStarted, tags: ['users'] }),
          keepFor: 60_000,
        },
      ]);
      expect(await store.get('late')).toBeUndefined();
    });

    it('deletes by glob pattern, inside its namespace only, and counts what it removed', async () => {
      const neighbour = await open(`${namespace}x`);
      await neighbour.set([{ key: 'user:1', entry: entry('N'), keepFor: 60_000 }]);
      await store.set([
        { key: 'user:1', entry: entry('1'), keepFor: 60_000 },
        { key: 'user:2', entry: entry('2'), keepFor: 60_000 },
        { key: 'post:1', entry: entry('P'), keepFor: 60_000 },
      ]);
      await expect(store.deleteByPattern('user:*')).resolves.toBe(2);
      expect(await store.get('user:1')).toBeUndefined();
      expect(await store.get('post:1')).toBeDefined();
      expect(await neighbour.get('user:1')).toBeDefined();
    });

    it('matches glob metacharacters literally when they are escaped', async () => {
      await store.set([
        { key: 'a*b', entry: entry('star'), keepFor: 60_000 },
        { key: 'axxb', entry: entry('plain'), keepFor: 60_000 },
      ]);
      await expect(store.deleteByPattern('a\\*b')).resolves.toBe(1);
      expect(await store.get('a*b')).toBeUndefined();
      expect(await store.get('axxb')).toBeDefined();
    });

    it('clears its own namespace and nothing else', async () => {
      const neighbour = await open(`${namespace}-other`);
      await neighbour.set([{ key: 'k', entry: entry('N'), keepFor: 60_000 }]);
      await store.set([{ key: 'k', entry: entry('mine', { tags: ['t'] }), keepFor: 60_000 }]);
      await store.clear();
      expect(await store.get('k')).toBeUndefined();
      expect(text((await neighbour.get('k'))?.payload)).toBe('N');
    });

    it('grants a lock to one holder at a time and releases it only for its token', async () => {
      await expect(store.lock('k', 'first', 5_000)).resolves.toBe(true);
      await expect(store.lock('k', 'second', 5_000)).resolves.toBe(false);
      await store.unlock('k', 'someone-else');
      await expect(store.lock('k', 'second', 5_000)).resolves.toBe(false);
      await store.unlock('k', 'first');
      await expect(store.lock('k', 'second', 5_000)).resolves.toBe(true);
    });

    it('lets a lock lapse after its time, so a dead holder blocks no one forever', async () => {
      await store.lock('k', 'gone', 40);
      await sleep(80);
      await expect(store.lock('k', 'next', 5_000)).resolves.toBe(true);
    });

    it('stores binary-safe payloads', async () => {
      const raw = options.binary ? Buffer.from([0, 10, 255, 13, 10]) : 'line1\nline2\u2603';
      await store.set([{ key: 'bin', entry: { ...entry(''), payload: raw }, keepFor: 60_000 }]);
      const read = await store.get('bin');
      expect(Buffer.from(read!.payload as Buffer).equals(Buffer.from(raw as Buffer))).toBe(true);
    });
  });
}
