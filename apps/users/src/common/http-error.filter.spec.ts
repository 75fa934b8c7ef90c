import {
  BadRequestException,
  Logger,
  ServiceUnavailableException,
  type ArgumentsHost,
} from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { CacheStoreError } from '@app/cache';
import { HttpErrorFilter } from './http-error.filter';

function reply(exception: unknown): { status: number; body: Record<string, unknown> } {
  const sent: { status: number; body: Record<string, unknown> }[] = [];
  const adapterHost = {
    httpAdapter: {
      isHeadersSent: () => false,
      reply: (_response: unknown, body: Record<string, unknown>, status: number) =>
        sent.push({ status, body }),
    },
  } as unknown as HttpAdapterHost;
  const host = {
    switchToHttp: () => ({ getResponse: () => ({}), getRequest: () => ({}) }),
  } as unknown as ArgumentsHost;
  new HttpErrorFilter(adapterHost).catch(exception, host);
  return sent[0];
}

describe('HttpErrorFilter', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('keeps the status and messages of HTTP exceptions', () => {
    expect(reply(new BadRequestException(['name must be a string']))).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: ['name must be a string'] },
    });
  });

  it('keeps extra fields of an HTTP exception, but never lets them replace the standard ones', () => {
    const exception = new ServiceUnavailableException({
      message: 'Not ready',
      error: { redis: 'down' },
      statusCode: 200,
      details: { redis: { status: 'down' } },
    });
    expect(reply(exception).body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'Not ready',
      details: { redis: { status: 'down' } },
    });
  });

  it('answers body parser errors with their status and exposed message', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), {
      status: 413,
      expose: true,
    });
    expect(reply(tooLarge)).toEqual({
      status: 413,
      body: { statusCode: 413, error: 'Payload Too Large', message: 'request entity too large' },
    });
  });

  it('answers a store outage with 503', () => {
    expect(reply(new CacheStoreError('Redis is down')).status).toBe(503);
  });

  it('answers anything else with a logged 500 that reveals nothing', () => {
    const log = jest.spyOn(Logger.prototype, 'error');
    const response = reply(new TypeError('secret internals at /srv/app.js'));
    expect(response).toEqual({
      status: 500,
      body: { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' },
    });
    expect(log).toHaveBeenCalledWith(
      'Unexpected error',
      expect.stringContaining('secret internals'),
    );
  });

  it('does not let an error status below 400 pass for a client error', () => {
    expect(reply(Object.assign(new Error('odd'), { status: 302, expose: true })).status).toBe(500);
  });
});
