import type { RevocationStore } from './revocation-store.interface';

const SWEEP_EVERY_MS = 60_000;

interface Held<T> {
  value: T;
  expiresAt: number;
}

/**
 * Revocations in process memory, for apps without Redis (one instance only: another process does
 * not see them). Entries are never evicted for space, since dropping one would un-revoke a token;
 * expired ones are dropped on read and swept at most once a minute on write.
 */
export class MemoryRevocationStore implements RevocationStore {
  private readonly tokens = new Map<string, Held<true>>();
  private readonly subjects = new Map<string, Held<number>>();
  private nextSweep = Date.now() + SWEEP_EVERY_MS;

  async revokeToken(sub: string, jti: string, keepFor: number): Promise<void> {
    this.sweep();
    this.tokens.set(tokenKey(sub, jti), { value: true, expiresAt: Date.now() + keepFor });
  }

  async revokeSubject(sub: string, cutoff: number, keepFor: number): Promise<void> {
    this.sweep();
    const current = live(this.subjects.get(sub));
    const expiresAt = Date.now() + keepFor;
    this.subjects.set(sub, {
      value: Math.max(cutoff, current?.value ?? cutoff),
      expiresAt: Math.max(expiresAt, current?.expiresAt ?? expiresAt),
    });
  }

  async isRevoked(sub: string, jti: string, iat: number): Promise<boolean> {
    if (live(this.tokens.get(tokenKey(sub, jti)))) return true;
    const cutoff = live(this.subjects.get(sub));
    return cutoff !== undefined && iat <= cutoff.value;
  }

  private sweep(): void {
    const now = Date.now();
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_EVERY_MS;
    for (const map of [this.tokens, this.subjects] as Map<string, Held<unknown>>[]) {
      for (const [key, held] of map) if (held.expiresAt <= now) map.delete(key);
    }
  }
}

function tokenKey(sub: string, jti: string): string {
  return JSON.stringify([sub, jti]);
}

function live<T>(held: Held<T> | undefined): Held<T> | undefined {
  return held !== undefined && held.expiresAt > Date.now() ? held : undefined;
}
