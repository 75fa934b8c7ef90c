import {
  Inject,
  Injectable,
  ServiceUnavailableException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import {
  RATE_LIMIT_UNAVAILABLE_MESSAGE,
  RESOLVED_CACHE_OPTIONS,
  RateLimitException,
  RateLimitService,
  cacheKey,
  type ResolvedCacheOptions,
  type RateLimitSettings,
  type ResolvedRateLimitRule,
} from '@app/cache';
import { AppConfig } from '../config/app.config';

/** What the guard reads from a login request (before validation: every attempt counts). */
interface LoginRequest {
  ip?: string;
  socket?: { remoteAddress?: string };
  body?: { email?: unknown };
}

/** Name of the login limit in the `RateLimit` events (and so in the metrics). */
export const LOGIN_LIMIT_NAME = 'login';

/**
 * Limits login attempts per pair of client IP and email (`LOGIN_RATE_LIMIT`), on top of the
 * global per-IP limit that `RateLimitGuard` applies to the route. It counts through the library's
 * `RateLimitService`, so the budget lives in the same store (shared over Redis by every instance)
 * and a store outage is handled the same way, except that an attempt Redis did not answer in time
 * is refused (`unanswered: 'refuse'`).
 *
 * Why not `@RateLimit('login')` with a set in `rateLimit.named`: a route's limits replace the
 * global per-IP limit instead of adding to it (one request counts against one tracker), and this
 * limit refuses the attempts Redis did not answer, which the module-wide guard does not.
 */
@Injectable()
export class LoginRateLimitGuard implements CanActivate {
  private readonly rule: ResolvedRateLimitRule;
  private readonly settings: RateLimitSettings;

  constructor(
    private readonly limiter: RateLimitService,
    @Inject(AppConfig) config: AppConfig,
    @Inject(RESOLVED_CACHE_OPTIONS) options: ResolvedCacheOptions,
  ) {
    const { limit, window } = config.loginRateLimit;
    this.rule = { name: LOGIN_LIMIT_NAME, limit, window, blockFor: 0 };
    this.settings = {
      algorithm: options.rateLimit?.algorithm ?? 'sliding-window',
      onStoreFailure: options.rateLimit?.onStoreFailure ?? 'local',
      // A login whose count Redis did not confirm in time is refused: a burst of guesses that
      // slows Redis down must not earn each instance a budget of its own on top of the shared one.
      unanswered: 'refuse',
    };
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const outcome = await this.limiter.hit(
      this.getTracker(context.switchToHttp().getRequest<LoginRequest>()),
      [this.rule],
      this.settings,
    );
    if (outcome.status === 'unavailable') {
      if (outcome.admit) return true;
      throw new ServiceUnavailableException(RATE_LIMIT_UNAVAILABLE_MESSAGE);
    }
    if (outcome.decision.allowed) return true;
    // The app's error filter sends the exception's retryAfter as the Retry-After header.
    throw new RateLimitException(Math.max(1, Math.ceil(outcome.decision.retryAfterMs / 1000)));
  }

  /**
   * Extension point: the bucket of a request. The email is normalized as the login normalizes it
   * (any other value counts as no email) and hashed, so the tracker is short and key-safe.
   */
  protected getTracker(request: LoginRequest): string {
    const ip = request.ip ?? request.socket?.remoteAddress ?? '';
    const email = request.body?.email;
    const normalized = typeof email === 'string' ? email.trim().toLowerCase() : '';
    return `login:${cacheKey.hash([ip, normalized])}`;
  }
}
