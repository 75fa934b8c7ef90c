/** An eviction that could not reach the store, kept to be replayed when the store is back. */
export type PendingEviction =
  | { kind: 'delete'; keys: readonly string[] }
  | { kind: 'tags'; tags: readonly string[]; at: number }
  | { kind: 'pattern'; pattern: string }
  | { kind: 'clear' };

/** How many evictions are kept before they collapse into one `clear` of the namespace. */
export const MAX_PENDING_EVICTIONS = 10_000;

/**
 * Evictions that failed during an outage. The journal is bounded: past its limit it keeps a single
 * `clear`, which is coarser but still never lets a stale entry be served after recovery.
 */
export class EvictionJournal {
  private pending: PendingEviction[] = [];

  get size(): number {
    return this.pending.length;
  }

  add(eviction: PendingEviction): void {
    if (this.pending.length === 1 && this.pending[0].kind === 'clear') return;
    if (eviction.kind === 'clear' || this.pending.length >= MAX_PENDING_EVICTIONS) {
      this.pending = [{ kind: 'clear' }];
      return;
    }
    this.pending.push(eviction);
  }

  /**
   * Replays the evictions in order through `apply`; stops at the first failure and keeps what is
   * left (and anything added meanwhile). Returns true when the journal is empty.
   */
  async replay(apply: (eviction: PendingEviction) => Promise<void>): Promise<boolean> {
    while (this.pending.length > 0) {
      const next = this.pending[0];
      await apply(next);
      // `add` may have collapsed the journal to a clear meanwhile; only drop what was applied.
      if (this.pending[0] === next) this.pending.shift();
    }
    return true;
  }
}
