import type { Provider } from '@nestjs/common';

/** Everything the rate limiter needs, registered (and exported) by `CacheModule`. */
export const RATE_LIMIT_PROVIDERS: Provider[] = [];
