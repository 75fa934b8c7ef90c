import { waitForRedis } from '../support/redis-ready';
import { Agent } from 'node:http';
import type { INestApplication, ModuleMetadata, Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { Response } from 'supertest';
import { CacheEvents, CacheModule, RateLimitGuard, type CacheEvent } from '@app/cache';
import type { CacheModuleOptions } from '@app/cache';

export interface RateLimitAppOptions {
  cache: CacheModuleOptions;
  controllers: Type[];
  /** Guards that run before the rate limiter (APP_GUARDs run in registration order). */
  guardsBefore?: Type[];
  /** Register RateLimitGuard as APP_GUARD; default true. */
  globalGuard?: boolean;
  adapter?: 'express' | 'fastify';
  /** Express `trust proxy` / Fastify `trustProxy`. */
  trustProxy?: string | boolean;
  providers?: ModuleMetadata['providers'];
}

/** A Nest HTTP app listening on a loopback port, with a keep-alive client and its events. */
export interface RateLimitApp {
  app: INestApplication;
  url: string;
  events: CacheEvent[];
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Builds the app the way the issue shows it: `CacheModule.forRoot(...)`, the controllers, and
 * `RateLimitGuard` as `APP_GUARD`, on Express or Fastify, then listens on 127.0.0.1.
 */
export async function startRateLimitApp(options: RateLimitAppOptions): Promise<RateLimitApp> {
  const guards = [
    ...(options.guardsBefore ?? []),
    ...(options.globalGuard === false ? [] : [RateLimitGuard]),
  ];
  const moduleRef = await Test.createTestingModule({
    imports: [CacheModule.forRoot(options.cache)],
    controllers: options.controllers,
    providers: [
      ...guards.map((guard) => ({ provide: APP_GUARD, useClass: guard })),
      ...(options.providers ?? []),
    ],
  }).compile();

  let app: INestApplication;
  if (options.adapter === 'fastify') {
    const adapter = new FastifyAdapter({ trustProxy: options.trustProxy ?? false });
    app = moduleRef.createNestApplication<NestFastifyApplication>(adapter, { logger: false });
  } else {
    const express = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
    if (options.trustProxy !== undefined) express.set('trust proxy', options.trustProxy);
    app = express;
  }
  app.useLogger(['error', 'warn']);
  await app.init();
  if (options.adapter === 'fastify') {
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  }
  await waitForRedis(app);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const events: CacheEvent[] = [];
  app.get(CacheEvents).on((event) => events.push(event));

  return {
    app,
    url,
    events,
    get: (path, headers = {}) => request(url).get(path).agent(agent).set(headers),
    close: async () => {
      agent.destroy();
      await app.close();
    },
  };
}

/** The status codes of many requests, in the order sent. */
export async function statuses(responses: Promise<Response>[]): Promise<number[]> {
  return (await Promise.all(responses)).map((response) => response.status);
}

/** How many times each value occurs. */
export function tally<T>(values: readonly T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/**
 * Deletes the rate-limit keys of these namespaces (`{ns:rl:*`), and only those, so a shared
 * REDIS_URL server is left as it was.
 */
export async function deleteRateLimitKeys(
  redis: { cli(...args: string[]): Promise<string> },
  namespaces: readonly string[],
): Promise<void> {
  for (const namespace of namespaces) {
    const keys = await redis.cli('--scan', '--pattern', `{${namespace}:rl:*`);
    for (const key of keys.split('\n').filter(Boolean)) await redis.cli('DEL', key);
  }
}
