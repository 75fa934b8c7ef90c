import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MetricsService } from './metrics.service';

/** What the middleware reads from an Express request. */
interface RoutedRequest extends IncomingMessage {
  baseUrl?: string;
  route?: { path?: unknown };
}

/** Label of requests no route matched (404s, body errors): one label, so no label explosion. */
export const UNMATCHED_ROUTE = 'unmatched';
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Times every request and records it when the response is sent, labelled by the route template
 * (`/users/:id`, never the raw path, which clients control). Mounted before the body parser so
 * that body errors are counted too.
 */
export function httpMetricsMiddleware(metrics: MetricsService) {
  return (request: RoutedRequest, response: ServerResponse, next: () => void): void => {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const method = KNOWN_METHODS.has(request.method ?? '') ? request.method! : 'OTHER';
      const path = request.route?.path;
      const route =
        typeof path === 'string' ? `${request.baseUrl ?? ''}${path}` || '/' : UNMATCHED_ROUTE;
      metrics.observeRequest(method, route, response.statusCode, seconds);
    });
    next();
  };
}
