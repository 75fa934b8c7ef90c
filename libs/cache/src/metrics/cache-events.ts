import { Injectable } from '@nestjs/common';

/** What the module reports as it works; a sink (Prometheus, logs) turns these into counters. */
export type CacheEvent =
  | { type: 'rateLimit.allowed'; limit: string; tracker: string }
  | { type: 'rateLimit.denied'; limit: string; tracker: string }
  | { type: 'rateLimit.storeFailure'; mode: 'local' | 'open' | 'closed' }
  | { type: 'revocation.check'; outcome: 'valid' | 'revoked' | 'invalid' | 'unavailable' };

export type CacheEventListener = (event: CacheEvent) => void;

/**
 * The module's event bus: the core emits, listeners count. It never imports a metrics library,
 * and a listener that throws cannot break the call that emitted.
 *
 * @example
 * app.get(CacheEvents).on((event) => { if (event.type === 'rateLimit.denied') denials.inc(); });
 */
@Injectable()
export class CacheEvents {
  private listeners: CacheEventListener[] = [];

  /** Adds a listener; returns a function that removes it. */
  on(listener: CacheEventListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  emit(event: CacheEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken sink must not break the request that emitted.
      }
    }
  }

  /** Whether anyone listens (emitters skip building events when no one does). */
  get active(): boolean {
    return this.listeners.length > 0;
  }
}
