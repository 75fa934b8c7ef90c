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

/**
 * Keeps first tiers coherent across instances over Redis pub/sub. Invalidations raised in one
 * tick go out as one PUBLISH. The bus is `trusted` only while its subscriber is subscribed: a
 * message missed while it is not can never be waited out, so the tier must not be used then.
 */
export class InvalidationBus {
  private readonly origin = randomUUID();
  private readonly subscriber: Redis | Cluster;
  private subscribed = false;
  private closed = false;
  private batch: Required<Omit<Message, 'o' | 'c'>> & { c: boolean } = emptyBatch();
  private flush: Promise<void> | undefined;

  constructor(
    private readonly publisher: Redis | Cluster,
    private readonly channel: string,
    private readonly listener: InvalidationListener,
  ) {
    this.subscriber = (publisher as Redis).duplicate();
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, text: string) => this.receive(channel, text));
    this.subscriber.on('ready', () => void this.subscribe());
    for (const event of ['close', 'reconnecting', 'end']) {
      this.subscriber.on(event, () => this.setTrusted(false));
    }
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
    try {
      await this.publisher.publish(this.channel, JSON.stringify(message));
    } catch {
      // Redis is unreachable: every subscriber has lost its connection too and stopped trusting
      // its first tier, so nothing stale can be served from it.
    }
  }

  private async subscribe(): Promise<void> {
    if (this.closed) return;
    try {
      await this.subscriber.subscribe(this.channel);
      this.setTrusted(true);
    } catch {
      this.setTrusted(false);
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

function emptyBatch(): { k: string[]; t: string[]; p: string[]; c: boolean } {
  return { k: [], t: [], p: [], c: false };
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : undefined;
}
