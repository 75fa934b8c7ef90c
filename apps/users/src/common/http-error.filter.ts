import {
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';
import { CacheError } from '@app/cache';

/** The body of every error response (plus any extra fields an HTTP exception carries). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  [extra: string]: unknown;
}

/** What an Express body parser (http-errors) throws: a status and whether its message is safe. */
interface ClientError {
  status: number;
  expose?: boolean;
  message: string;
}

const STORE_ERRORS = new Set(['CACHE_STORE', 'CACHE_TIMEOUT']);

/**
 * Turns every error into `{ statusCode, error, message }`: Nest's HTTP exceptions (validation,
 * guards, 404 for unknown routes), body parser errors (413, 415, 400) and anything unexpected,
 * which is a logged 500 whose message says nothing about the internals. A store that stopped
 * answering mid-request (Redis) is a 503, since retrying later can succeed. A body's `retryAfter`
 * (seconds) is also sent as `Retry-After`.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const response: unknown = host.switchToHttp().getResponse();
    const body = this.toBody(exception);
    if (httpAdapter.isHeadersSent(response)) {
      this.logger.error('Error after the response was sent', describe(exception));
      httpAdapter.end(response);
      return;
    }
    // A 429's or a busy 503's wait in whole seconds, as the header clients and proxies read.
    if (typeof body.retryAfter === 'number') {
      httpAdapter.setHeader(response, 'Retry-After', String(body.retryAfter));
    }
    httpAdapter.reply(response, body, body.statusCode);
  }

  private toBody(exception: unknown): ErrorBody {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      // A 503 is an outage the library and Terminus already log (once per outage, not per request).
      if (status >= 500 && status !== HttpStatus.SERVICE_UNAVAILABLE) {
        this.logger.error(exception.message, describe(exception));
      }
      return fromHttpException(exception, status);
    }
    if (isClientError(exception)) {
      return bodyOf(exception.status, exception.expose ? exception.message : undefined);
    }
    if (exception instanceof CacheError && STORE_ERRORS.has(exception.code)) {
      this.logger.warn(`Store unavailable: ${exception.message}`);
      return bodyOf(HttpStatus.SERVICE_UNAVAILABLE, 'A backing store is unavailable; retry later');
    }
    this.logger.error('Unexpected error', describe(exception));
    return bodyOf(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error');
  }
}

function fromHttpException(exception: HttpException, status: number): ErrorBody {
  const response = exception.getResponse();
  if (typeof response === 'string') return bodyOf(status, response);
  // Extra fields (a 429's retryAfter, readiness details) are kept; the three standard ones win.
  const { message, error, statusCode: _statusCode, ...extra } = response as Record<string, unknown>;
  return {
    statusCode: status,
    error: typeof error === 'string' ? error : (STATUS_CODES[status] ?? 'Error'),
    message: isMessage(message) ? message : exception.message,
    ...extra,
  };
}

function bodyOf(status: number, message?: string): ErrorBody {
  const error = STATUS_CODES[status] ?? 'Error';
  return { statusCode: status, error, message: message ?? error };
}

function isMessage(value: unknown): value is string | string[] {
  return (
    typeof value === 'string' ||
    (Array.isArray(value) && value.every((item) => typeof item === 'string'))
  );
}

function isClientError(error: unknown): error is ClientError {
  const status = (error as { status?: unknown } | null)?.status;
  return (
    error instanceof Error &&
    typeof status === 'number' &&
    Number.isInteger(status) &&
    status >= 400 &&
    status < 500
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
