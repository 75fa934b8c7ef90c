import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/** What one instance tells the others to drop from their first tier. */
export interface Invalidation {
  keys?: readonly string[];
  tags?: readonly string[];
  patterns?: readonly string[];
  clear?: boolean;
}

interface Message {
  o: string;
  k?: string[];
  t?: string[];
  p?: string[];
  c?: 1;
}

/** Callbacks of the bus: an invalidation from another instance, and trust lost or regained. */
export interface InvalidationListener {
  invalidate(invalidation: Invalidation): void;
  trustChanged(trusted: boolean): void;
}

/** How long one subscribe attempt may take before it counts as failed and is tried again. */
const SUBSCRIBE_TIMEOUT_MS = 2000;
/** Pause between subscribe attempts while the subscriber is not subscribed. */
const RESUBSCRIBE_DELAY_MS = 200;

/**
 * Keeps first tiers coherent across instances over Redis pub/sub. Invalidations raised in one
 * tick go out as one message. The bus is `trusted` only while its subscriber is subscribed: a
 * message missed while it is not can never be waited out, so the tier must not be used then.
 *
 * On a Cluster the bus uses sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`, Redis 7+): a message goes
 * to the shard that owns the channel's slot only, instead of being broadcast over the cluster
 * bus to every node. On a server without it, the bus falls back to classic pub/sub.
 */
export class InvalidationBus {
  private readonly origin = randomUUID();
  private readonly subscriber: Redis | Cluster;
  private sharded: boolean;
  private subscribed = false;
  private subscribing = false;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private batch: Required<Omit<Message, 'o' | 'c'>> & { c: boolean } = emptyBatch();
  private flush: Promise<void> | undefined;

  constructor(
    private readonly publisher: Redis | Cluster,
    private readonly channel: string,
    private readonly listener: InvalidationListener,
  ) {
    this.sharded = (publisher as Cluster).isCluster === true;
    this.subscriber = this.sharded
      ? (publisher as Cluster).duplicate([], { shardedSubscribers: true })
      : (publisher as Redis).duplicate();
    this.subscriber.on('error', () => undefined);
    for (const event of ['message', 'smessage']) {
      this.subscriber.on(event, (channel: string, text: string) => this.receive(channel, text));
    }
    // Lost: the connection (or, on a Cluster, the shard subscriber of the channel) went away.
    for (const event of ['close', 'reconnecting', 'end', '-node', '-subscriber']) {
      this.subscriber.on(event, () => this.lose());
    }
    // The Cluster re-subscribed after a topology change (a failover, a slot migrated): the
    // channel may have been unsubscribed meanwhile, so start over from an untrusted state.
    this.subscriber.on('subscribersReady', () => this.lose());
    this.subscriber.on('ready', () => void this.subscribe());
    if (this.subscriber.status === 'ready') void this.subscribe();
  }

  /** Whether every invalidation sent by others since the first tier was last cleared has arrived. */
  get trusted(): boolean {
    return this.subscribed;
  }

  /** Sends an invalidation to the other instances; resolves once it has been published. */
  publish(invalidation: Invalidation): Promise<void> {
    const { keys, tags, patterns, clear } = invalidation;
    if (keys) this.batch.k.push(...keys);
    if (tags) this.batch.t.push(...tags);
    if (patterns) this.batch.p.push(...patterns);
    if (clear) this.batch.c = true;
    this.flush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.send());
    return this.flush;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.setTrusted(false);
    this.subscriber.disconnect();
  }

  private async send(): Promise<void> {
    const { k, t, p, c } = this.batch;
    this.batch = emptyBatch();
    this.flush = undefined;
    const message: Message = { o: this.origin };
    if (k.length) message.k = k;
    if (t.length) message.t = t;
    if (p.length) message.p = p;
    if (c) message.c = 1;
    const text = JSON.stringify(message);
    try {
      if (this.sharded) await this.publisher.spublish(this.channel, text);
      else await this.publisher.publish(this.channel, text);
    } catch {
      // Redis is unreachable: every subscriber has lost its connection too and stopped trusting
      // its first tier, so nothing stale can be served from it.
    }
  }

  private lose(): void {
    this.setTrusted(false);
    this.scheduleSubscribe();
  }

  private scheduleSubscribe(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.subscribe();
    }, RESUBSCRIBE_DELAY_MS);
    this.retry.unref();
  }

  /** Subscribes (again: the reply is the proof), then trusts; retried until it works. */
  private async subscribe(): Promise<void> {
    if (this.closed || this.subscribing) return;
    this.subscribing = true;
    try {
      await withTimeout(
        this.sharded
          ? this.subscriber.ssubscribe(this.channel)
          : this.subscriber.subscribe(this.channel),
      );
      if (!this.closed) this.setTrusted(true);
    } catch (error) {
      if (this.sharded && /unknown command/i.test(String(error))) this.sharded = false;
      this.setTrusted(false);
      this.scheduleSubscribe();
    } finally {
      this.subscribing = false;
    }
  }

  private receive(channel: string, text: string): void {
    if (channel !== this.channel) return;
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch {
      return;
    }
    if (message.o === this.origin) return;
    this.listener.invalidate({
      keys: strings(message.k),
      tags: strings(message.t),
      patterns: strings(message.p),
      clear: message.c === 1,
    });
  }

  private setTrusted(trusted: boolean): void {
    if (this.subscribed === trusted) return;
    this.subscribed = trusted;
    this.listener.trustChanged(trusted);
  }
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('subscribe timed out')), SUBSCRIBE_TIMEOUT_MS);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function emptyBatch(): { k: string[]; t: string[]; p: string[]; c: boolean } {
  return { k: [], t: [], p: [], c: false };
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : undefined;
}
