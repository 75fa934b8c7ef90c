// First: makes `@app/cache` resolvable for everything imported below.
import './register-paths';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { setupApp } from './app.setup';
import { loadConfig, type AppConfig } from './config/app.config';
import { ConfigError } from './config/config.error';

/** How long a SIGTERM may take to drain requests and close connections before we exit anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

async function bootstrap(): Promise<void> {
  const logger = new Logger('Bootstrap');
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logger.error(error.message);
    process.exit(1);
  }
  config.warnings.forEach((warning) => logger.warn(warning));

  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    abortOnError: false,
  });
  setupApp(app, config);
  // SIGTERM/SIGINT: stop accepting, finish requests in flight, then close Redis and SQLite.
  app.enableShutdownHooks();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    // `once`: Nest re-raises the signal when it is done, and that one must end the process.
    process.once(signal, () => {
      setTimeout(() => {
        logger.error(`Shutdown took longer than ${SHUTDOWN_TIMEOUT_MS} ms; exiting`);
        process.exit(1);
      }, SHUTDOWN_TIMEOUT_MS).unref();
    });
  }
  await app.listen(config.port);
  logger.log(`Listening on port ${config.port}`);
}

bootstrap().catch((error: unknown) => {
  new Logger('Bootstrap').error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
