import {
  Inject,
  Injectable,
  InternalServerErrorException,
  Logger,
  ServiceUnavailableException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RESOLVED_CACHE_OPTIONS } from '../cache.constants';
import { isThenable } from '../concurrency/thenable';
import { CacheConfigError } from '../errors';
import type { ResolvedCacheOptions } from '../options/resolve-options';
import {
  RATE_LIMIT_METADATA,
  RATE_LIMIT_NO_TRACKER_MESSAGE,
  RATE_LIMIT_NO_USER_MESSAGE,
  RATE_LIMIT_UNAVAILABLE_MESSAGE,
  SKIP_RATE_LIMIT_METADATA,
} from './rate-limit.constants';
import type { RateLimitMetadata, SkipRateLimitMetadata } from './rate-limit.decorator';
import { RateLimitException } from './rate-limit.exception';
import { rateLimitHeaders, rateLimitPolicy, setResponseHeader } from './rate-limit.headers';
import type {
  RateLimitKeyBy,
  ResolvedLimitSet,
  ResolvedRateLimitOptions,
  ResolvedRateLimitRule,
} from './rate-limit.options';
import {
  RateLimitService,
  type RateLimitOutcome,
  type RateLimitSettings,
} from './rate-limit.service';
import { encodeTracker } from './rate-limit.tracker';

/** The limits that apply to one route, worked out once per controller and handler. */
interface RoutePlan {
  limits: ResolvedRateLimitRule[];
  keyBy: RateLimitKeyBy;
  /** Its `RateLimit-Policy` header: the same on every response. */
  policy: string;
}

/** What the guard reads from a request; Express and Fastify both provide `ip`. */
interface TrackedRequest {
  ip?: string;
  /** Express only: its application, whose `trust proxy` setting `ip` follows. */
  app?: { get?: (setting: string) => unknown };
  socket?: { remoteAddress?: string };
  user?: { sub?: unknown };
}

type Handler = (...args: never[]) => unknown;
type Controller = abstract new (...args: never[]) => unknown;

// An HTTP handler's arguments: what `switchToHttp().getRequest()`/`getResponse()` return, read
// without the three closures `switchToHttp()` makes on every call.
const HTTP_REQUEST = 0;
const HTTP_RESPONSE = 1;

const SKIP_ALL: RoutePlan = { limits: [], keyBy: 'ip', policy: '' };

/**
 * A sliding-window limit keeps one log entry per admitted hit, per tracker, for a whole window:
 * about 10 bytes each in Redis (a list of timestamps; `MEMORY USAGE` of lists of 100 to 100,000
 * entries). Above this many hits per window, the guard warns once per limit.
 */
const LARGE_SLIDING_LIMIT = 100_000;
const LOGGED_HIT_BYTES = 10;

/**
 * Limits HTTP requests per client with the module's `rateLimit` options, overridden by
 * `@RateLimit()` on a controller or handler and skipped with `@SkipRateLimit()`. Every limit of a
 * request is checked and counted in one store call; a denied request counts against none. Sets the
 * IETF draft `RateLimit-Policy`/`RateLimit` and the legacy `X-RateLimit-*` headers, and answers
 * 429 with `Retry-After` when over a limit. Other transports (WebSocket, RPC) pass untouched.
 *
 * @example
 * providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }] // every route
 * @UseGuards(RateLimitGuard) // one controller or handler
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly logger = new Logger(RateLimitGuard.name);
  private readonly plans = new WeakMap<Handler, WeakMap<Controller, RoutePlan>>();
  private readonly reported = new WeakSet<Handler>();
  /** The sliding-window limits already warned about (see {@link LARGE_SLIDING_LIMIT}). */
  private readonly warnedLimits = new Set<string>();
  private readonly settings: RateLimitSettings & Pick<ResolvedRateLimitOptions, 'headers'>;

  constructor(
    protected readonly reflector: Reflector,
    @Inject(RESOLVED_CACHE_OPTIONS) private readonly options: ResolvedCacheOptions,
    protected readonly limiter: RateLimitService,
  ) {
    const {
      algorithm = 'sliding-window',
      onStoreFailure = 'local',
      headers = 'both',
    } = options.rateLimit ?? {};
    this.settings = { algorithm, onStoreFailure, headers };
  }

  // Synchronous as long as every step is (the memory store): a promise is made only where one
  // step answers with one (shouldSkip, getTracker, or the store's round trip).
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const skip = this.shouldSkip(context);
    if (skip === false) return this.limit(context);
    return Promise.resolve(skip).then((skipped) => skipped || this.limit(context));
  }

  /** Extension point: return true to let a request through without counting it. */
  protected shouldSkip(_context: ExecutionContext): boolean | Promise<boolean> {
    return false;
  }

  /**
   * Extension point: who the request counts against. `'ip'` is `request.ip` as the adapter
   * resolves it (so `X-Forwarded-For` counts only behind a trusted proxy: Express `trust proxy`,
   * Fastify `trustProxy`); `'user'` is `request.user.sub`. An empty result fails the request.
   */
  protected getTracker(
    context: ExecutionContext,
    keyBy: RateLimitKeyBy,
  ): string | undefined | Promise<string | undefined> {
    if (typeof keyBy === 'function') return keyBy(context);
    const request = context.getArgByIndex<TrackedRequest>(HTTP_REQUEST);
    if (keyBy === 'user') {
      const sub = request.user?.sub;
      return typeof sub === 'string' || typeof sub === 'number' ? String(sub) : undefined;
    }
    return clientIp(request);
  }

  /** Extension point: what a request over its limits gets; by default a 429 {@link RateLimitException}. */
  protected throwRateLimited(_context: ExecutionContext, retryAfter: number): never {
    throw new RateLimitException(retryAfter);
  }

  private limit(context: ExecutionContext): boolean | Promise<boolean> {
    const plan = this.planFor(context);
    if (plan.limits.length === 0) return true;
    const tracker = this.getTracker(context, plan.keyBy);
    if (!isThenable(tracker)) return this.count(context, plan, tracker);
    return Promise.resolve(tracker).then((resolved) => this.count(context, plan, resolved));
  }

  private count(
    context: ExecutionContext,
    plan: RoutePlan,
    tracker: string | undefined,
  ): boolean | Promise<boolean> {
    const key = trackerKind(plan.keyBy) + encodeTracker(this.required(context, plan, tracker));
    const outcome = this.limiter.check(key, plan.limits, this.settings);
    if (!isThenable(outcome)) return this.decide(context, plan, outcome);
    return Promise.resolve(outcome).then((settled) => this.decide(context, plan, settled));
  }

  private decide(context: ExecutionContext, plan: RoutePlan, outcome: RateLimitOutcome): boolean {
    if (outcome.status === 'unavailable') {
      if (outcome.admit) return true;
      throw new ServiceUnavailableException(RATE_LIMIT_UNAVAILABLE_MESSAGE);
    }
    const { decision } = outcome;
    const response: unknown = context.getArgByIndex(HTTP_RESPONSE);
    const headers = rateLimitHeaders(this.settings.headers, decision.limits, plan.policy);
    for (const name in headers) setResponseHeader(response, name, headers[name]);
    if (decision.allowed) return true;
    const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    setResponseHeader(response, 'Retry-After', String(retryAfter));
    return this.throwRateLimited(context, retryAfter);
  }

  /**
   * A request without a tracker is a misconfiguration (with `'user'`: the authentication guard
   * runs after this one, or not at all). Counting it under a shared key would let one client
   * starve the others, so the request fails loudly: a 500 whose message says what is wrong, and
   * one error log per route rather than per request.
   */
  private required(
    context: ExecutionContext,
    plan: RoutePlan,
    tracker: string | undefined,
  ): string {
    if (typeof tracker === 'string' && tracker.length > 0) return tracker;
    const message =
      plan.keyBy === 'user' ? RATE_LIMIT_NO_USER_MESSAGE : RATE_LIMIT_NO_TRACKER_MESSAGE;
    const handler = context.getHandler() as Handler;
    if (!this.reported.has(handler)) {
      this.reported.add(handler);
      this.logger.error(`${routeName(context)}: ${message}`);
    }
    throw new InternalServerErrorException(message);
  }

  private planFor(context: ExecutionContext): RoutePlan {
    const handler = context.getHandler() as Handler;
    const controller = context.getClass() as Controller;
    let byController = this.plans.get(handler);
    if (!byController) this.plans.set(handler, (byController = new WeakMap()));
    let plan = byController.get(controller);
    if (!plan) byController.set(controller, (plan = this.resolvePlan(context)));
    return plan;
  }

  // A handler's @RateLimit beats its class's, which beats the module's; skips add up.
  private resolvePlan(context: ExecutionContext): RoutePlan {
    const targets = [context.getHandler(), context.getClass()];
    const skips = this.reflector
      .getAll<(SkipRateLimitMetadata | undefined)[]>(SKIP_RATE_LIMIT_METADATA, targets)
      .filter((skip) => skip !== undefined);
    if (skips.includes(true)) return SKIP_ALL;
    const skipped = new Set(skips.flatMap((skip) => (skip === true ? [] : skip)));
    const declared = this.declaredLimits(
      context,
      this.reflector.getAllAndOverride<RateLimitMetadata | undefined>(RATE_LIMIT_METADATA, targets),
    );
    const moduleLimits = this.options.rateLimit;
    const source = declared ?? moduleLimits;
    if (!source) {
      throw new CacheConfigError(
        'rateLimit',
        `RateLimitGuard guards ${routeName(context)}, but no limits apply to it: set ` +
          'CacheModule.forRoot({ rateLimit: { limits } }), or @RateLimit() on the route or its controller',
      );
    }
    const limits = source.limits.filter((rule) => !skipped.has(rule.name));
    if (this.settings.algorithm === 'sliding-window') this.warnAboutLargeLogs(limits);
    return {
      limits,
      keyBy: declared?.keyBy ?? moduleLimits?.keyBy ?? 'ip',
      policy: rateLimitPolicy(limits),
    };
  }

  /** The limits `@RateLimit()` sets on the route: its own, or the module's set it names. */
  private declaredLimits(
    context: ExecutionContext,
    metadata: RateLimitMetadata | undefined,
  ): ResolvedLimitSet | undefined {
    if (metadata === undefined || !('named' in metadata)) return metadata;
    const set = this.options.rateLimit?.named.get(metadata.named);
    if (set) return set;
    // The module's startup check (CacheExplorer) refuses such a route; this covers a route it
    // could not see (a controller added after startup).
    throw new CacheConfigError(
      `@RateLimit('${metadata.named}')`,
      `${routeName(context)} names a set that rateLimit.named does not have`,
    );
  }

  private warnAboutLargeLogs(limits: readonly ResolvedRateLimitRule[]): void {
    for (const rule of limits) {
      const id = `${rule.name}:${rule.limit}:${rule.window}`;
      if (rule.limit <= LARGE_SLIDING_LIMIT || this.warnedLimits.has(id)) continue;
      this.warnedLimits.add(id);
      const megabytes = ((rule.limit * LOGGED_HIT_BYTES) / 1e6).toFixed(1);
      this.logger.warn(
        `Rate limit '${rule.name}' (${rule.limit} per ${rule.window} ms) uses the sliding window, ` +
          `which logs every admitted hit for a whole window: up to about ${megabytes} MB per tracker ` +
          `in Redis. rateLimit.algorithm 'fixed-window' keeps one counter per tracker and limit.`,
      );
    }
  }
}

// The kind keeps apart a user id and an IP (or a custom key) that happen to be equal strings.
function trackerKind(keyBy: RateLimitKeyBy): string {
  return typeof keyBy === 'function' ? 'key:' : `${keyBy}:`;
}

/**
 * `request.ip` as the adapter resolves it. Express works it out anew on every read (it parses
 * `X-Forwarded-For`, then drops every entry when no proxy is trusted): with `trust proxy` off, its
 * default, that is always the socket's address, which is read directly.
 */
function clientIp(request: TrackedRequest): string | undefined {
  if (request.app?.get?.('trust proxy') === false) return request.socket?.remoteAddress;
  return request.ip ?? request.socket?.remoteAddress;
}

function routeName(context: ExecutionContext): string {
  return `${context.getClass().name}.${context.getHandler().name}`;
}
