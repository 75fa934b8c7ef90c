import { describeCacheService } from './cache-service.behaviour';

describeCacheService('the memory store', () => ({}));
