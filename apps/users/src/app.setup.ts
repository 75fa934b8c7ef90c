import { ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import { BODY_LIMIT, JSON_TYPES, parseJsonBody } from './common/json-body.middleware';
import { singleQueryValues } from './common/single-query-values.middleware';
import type { AppConfig } from './config/app.config';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { MetricsService } from './metrics/metrics.service';

/**
 * The HTTP setup shared by `main.ts` and the tests. The app must be created with
 * `{ bodyParser: false }`: bodies are read here, after the metrics middleware so that body errors
 * are counted, as raw bytes (size limit, decompression) and then parsed by our own strict JSON
 * parser.
 */
export function setupApp(app: NestExpressApplication, config: AppConfig): NestExpressApplication {
  limitRequestTime(app.getHttpServer(), config.requestTimeout);
  app.disable('x-powered-by');
  // The client IP (rate limits) is the socket's, unless proxies in front are declared.
  app.set('trust proxy', config.trustProxy);
  app.use(httpMetricsMiddleware(app.get(MetricsService)));
  app.useBodyParser('raw', { type: JSON_TYPES, limit: BODY_LIMIT });
  app.use(parseJsonBody);
  app.use(singleQueryValues);
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  return app;
}

/**
 * A client that sends its request slowly (or stops halfway through a body) gets a 408 and loses
 * its socket after `timeoutMs`, instead of Node's 300 s. Node checks the timeouts every
 * `connectionsCheckingInterval` (30 s by default, read when the server starts listening), so the
 * check runs ten times per timeout, at most once a second.
 */
function limitRequestTime(server: Server, timeoutMs: number): void {
  server.requestTimeout = timeoutMs;
  server.headersTimeout = Math.min(server.headersTimeout, timeoutMs);
  // An option of createServer() (which Nest calls without it), kept as a property until listen().
  Object.assign(server, { connectionsCheckingInterval: Math.min(1000, Math.ceil(timeoutMs / 10)) });
}
