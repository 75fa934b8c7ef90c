import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { CacheEvents, CacheService, type CacheEvent } from '@app/cache';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The app's Prometheus metrics, in a registry of its own (never prom-client's global one, so two
 * apps in one process do not collide). HTTP metrics are fed by the request middleware, cache
 * metrics are read from `CacheService.stats()` at scrape time, and rate-limit and revocation
 * metrics are counted from the library's `CacheEvents`.
 */
@Injectable()
export class MetricsService implements OnModuleInit, OnModuleDestroy {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route' | 'status'>;
  private readonly rateLimitDenials: Counter<'limit'>;
  private readonly rateLimitStoreFailures: Counter<'mode'>;
  private readonly revocationChecks: Counter<'outcome'>;
  private unsubscribe?: () => void;

  constructor(
    cache: CacheService,
    private readonly events: CacheEvents,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests, by method, route template and status code.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency in seconds, by method, route template and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const stat = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    stat(
      'cache_hits',
      'Cache reads that found a fresh value, since start.',
      () => cache.stats().hits,
    );
    stat(
      'cache_misses',
      'Cache reads that found nothing, since start.',
      () => cache.stats().misses,
    );
    stat(
      'cache_stale_hits',
      'Expired values served in their grace period.',
      () => cache.stats().staleHits,
    );
    stat(
      'cache_errors',
      'Cache store failures and undecodable entries.',
      () => cache.stats().errors,
    );
    stat('cache_hit_rate', 'Hits / reads since start (0 to 1).', () => cache.stats().hitRate);
    this.rateLimitDenials = new Counter({
      name: 'rate_limit_denied_total',
      help: 'Requests refused with 429, by limit name.',
      labelNames: ['limit'],
      registers,
    });
    this.rateLimitStoreFailures = new Counter({
      name: 'rate_limit_store_failures_total',
      help: 'Rate-limit checks the store could not answer, by fallback mode.',
      labelNames: ['mode'],
      registers,
    });
    this.revocationChecks = new Counter({
      name: 'jwt_revocation_checks_total',
      help: 'Bearer token checks, by outcome (valid, revoked, invalid, unavailable).',
      labelNames: ['outcome'],
      registers,
    });
  }

  onModuleInit(): void {
    this.unsubscribe = this.events.on((event) => this.count(event));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Records one finished HTTP request. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private count(event: CacheEvent): void {
    switch (event.type) {
      case 'rateLimit.denied':
        this.rateLimitDenials.inc({ limit: event.limit });
        break;
      case 'rateLimit.storeFailure':
        this.rateLimitStoreFailures.inc({ mode: event.mode });
        break;
      case 'revocation.check':
        this.revocationChecks.inc({ outcome: event.outcome });
        break;
    }
  }
}
