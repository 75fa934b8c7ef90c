import type { Provider } from '@nestjs/common';

/** Everything token revocation needs, registered (and exported) by `CacheModule`. */
export const REVOCATION_PROVIDERS: Provider[] = [];
