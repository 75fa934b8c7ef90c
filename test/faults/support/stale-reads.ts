import type { Sample } from './load-generator';
import type { UsersFixture } from './users-fixture';

/** A read that returned older data than an update acknowledged before the read was sent. */
export interface StaleRead {
  kind: 'readUser' | 'readList';
  instance: number;
  start: number;
  userId?: number;
  /** What it saw, and what had been acknowledged before it started. */
  saw: string;
  expected: string;
}

interface Version {
  names: string[];
  /** When the update was acknowledged; -Infinity for the version the load started from. */
  end: number;
  acked: boolean;
}

/**
 * Finds stale reads (F10). Every update writes a unique name, and updates of one user are never in
 * flight together, so the versions of a user are ordered. A read of a user (or a list showing
 * the user) that started after update k was acknowledged must show version k or a later one; a
 * list read must also count at least the users whose sign-up was acknowledged before it started.
 * An update that got no 200 may or may not have happened: its value is accepted, never required.
 */
export function findStaleReads(samples: readonly Sample[], fixture: UsersFixture): StaleRead[] {
  const versions = new Map<number, Version[]>();
  for (const user of fixture.users) {
    versions.set(user.id, [
      { names: [user.name, ...user.maybeNames], end: -Infinity, acked: true },
    ]);
  }
  const updates = samples
    .filter((s) => s.kind === 'update' && s.userId !== undefined)
    .sort((a, b) => a.start - b.start);
  for (const u of updates) {
    versions.get(u.userId!)?.push({ names: [u.name!], end: u.end, acked: u.status === 200 });
  }

  const stale: StaleRead[] = [];
  const check = (read: Sample, userId: number, name: string | undefined): void => {
    const list = versions.get(userId);
    if (!list || name === undefined) return;
    let required = 0;
    list.forEach((v, i) => {
      if (v.acked && v.end < read.start) required = i;
    });
    const seen = list.findIndex((v) => v.names.includes(name));
    if (seen === -1 || seen < required) {
      stale.push({
        kind: read.kind as StaleRead['kind'],
        instance: read.instance,
        start: read.start,
        userId,
        saw: seen === -1 ? `unknown name "${name}"` : `"${name}" (version ${seen})`,
        expected: `"${list[required].names[0]}" (version ${required}) or later`,
      });
    }
  };

  for (const read of samples) {
    if (read.status !== 200) continue;
    if (read.kind === 'readUser') check(read, read.userId!, read.name);
    if (read.kind === 'readList') {
      for (const item of read.items ?? []) check(read, item.id, item.name);
      const known = fixture.knownUsersAt(read.start);
      if (read.total !== undefined && read.total < known) {
        stale.push({
          kind: 'readList',
          instance: read.instance,
          start: read.start,
          saw: `total ${read.total}`,
          expected: `at least ${known} (sign-ups acknowledged before the read)`,
        });
      }
    }
  }
  return stale;
}

/** After a load, makes each user's latest name the starting point of the next load. */
export function rememberLatestNames(samples: readonly Sample[], fixture: UsersFixture): void {
  const updates = samples
    .filter((s) => s.kind === 'update' && s.userId !== undefined)
    .sort((a, b) => a.start - b.start);
  for (const u of updates) {
    const user = fixture.users.find((candidate) => candidate.id === u.userId);
    if (!user) continue;
    if (u.status === 200) {
      user.name = u.name!;
      user.maybeNames = [];
    } else {
      user.maybeNames.push(u.name!);
    }
  }
}
