import { BadRequestException } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';

/**
 * Refuses a query that repeats a parameter (`?limit=1&limit=2`) with one clear 400. Express reads
 * a repeat as an array, which the validator would answer with contradictory messages ("must not
 * be less than 1", "must not be greater than 100") for the same parameter.
 */
export function singleQueryValues(
  request: IncomingMessage & { query?: Record<string, unknown> },
  _response: unknown,
  next: (error?: unknown) => void,
): void {
  // Read once: Express parses the query string on every read of `request.query`.
  const query = request.query ?? {};
  const repeated = Object.keys(query).find((name) => Array.isArray(query[name]));
  if (repeated === undefined) return next();
  next(new BadRequestException(`Query parameter "${repeated}" must be given once`));
}
