import { setTimeout as sleep } from 'node:timers/promises';

/** What one change touched: some keys, some tags, or possibly any key (a pattern delete, a clear). */
export interface ChangeScope {
  keys?: readonly string[];
  tags?: readonly string[];
  any?: boolean;
}

/**
 * The keys and tags this instance changed in the current millisecond.
 *
 * A shared store dates changes to the millisecond and refuses a loaded value whose load began in
 * the millisecond of a change or earlier (`StoreWrite.loaded`): it cannot tell whether the load
 * read its source before the change. A load this instance begins after one of its own changes, in
 * the same millisecond, did read after it; it waits for the next millisecond instead of having
 * its value refused and its loader run again (measured before this: after a `del`, one read-through
 * in four ran its loader twice, one in eight stored nothing).
 */
export class OwnChanges {
  private at = 0;
  private any = false;
  private readonly keys = new Set<string>();
  private readonly tags = new Set<string>();

  /** Call right after the store was asked to make the change (the store dates it then). */
  record({ keys, tags, any }: ChangeScope): void {
    const now = Date.now();
    if (now !== this.at) {
      this.at = now;
      this.any = false;
      this.keys.clear();
      this.tags.clear();
    }
    if (any) this.any = true;
    keys?.forEach((key) => this.keys.add(key));
    tags?.forEach((tag) => this.tags.add(tag));
  }

  /**
   * Resolves when a load of `key`, stored with `tags`, may begin without meeting a change of this
   * instance in its millisecond; `undefined` (no wait) when there is none.
   */
  passed(key: string, tags?: readonly string[]): Promise<void> | undefined {
    const now = Date.now();
    if (now !== this.at) return undefined;
    if (!this.any && !this.keys.has(key) && !tags?.some((tag) => this.tags.has(tag))) {
      return undefined;
    }
    return untilAfter(now);
  }
}

/** Resolves once `Date.now()` has passed `at` (a timer alone may fire early by the loop's clock). */
async function untilAfter(at: number): Promise<void> {
  while (Date.now() <= at) await sleep(1);
}
