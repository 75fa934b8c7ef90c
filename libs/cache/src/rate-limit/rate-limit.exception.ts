import { HttpException, HttpStatus } from '@nestjs/common';
import { RATE_LIMIT_MESSAGE } from './rate-limit.constants';

/** The body of a 429 sent by `RateLimitGuard`. */
export interface RateLimitExceptionBody {
  statusCode: 429;
  error: 'Too Many Requests';
  message: typeof RATE_LIMIT_MESSAGE;
  /** Whole seconds until the request may succeed, the same as the `Retry-After` header. */
  retryAfter: number;
}

/**
 * Thrown by `RateLimitGuard` when a request is over one of its limits: a 429 whose message is
 * constant and whose `retryAfter` repeats the `Retry-After` header.
 *
 * @example
 * throw new RateLimitException(30); // 429 { statusCode, error, message, retryAfter: 30 }
 */
export class RateLimitException extends HttpException {
  constructor(
    /** Whole seconds until the request may succeed (at least 1). */
    readonly retryAfter: number,
  ) {
    const body: RateLimitExceptionBody = {
      statusCode: HttpStatus.TOO_MANY_REQUESTS,
      error: 'Too Many Requests',
      message: RATE_LIMIT_MESSAGE,
      retryAfter,
    };
    super(body, HttpStatus.TOO_MANY_REQUESTS);
  }
}
