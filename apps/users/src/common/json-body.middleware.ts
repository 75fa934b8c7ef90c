import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';

/** Largest JSON body accepted; a bigger one is a 413 from the raw body parser. */
export const BODY_LIMIT = '100kb';
/** Content types parsed as JSON. */
export const JSON_TYPES = ['application/json', 'application/*+json'];
/** Deepest nesting accepted: the DTOs are flat, and deep input would overflow recursive walkers. */
export const MAX_JSON_DEPTH = 32;
/**
 * Keys refused anywhere in a body: `prototype`, and the names of members every object has
 * (`__proto__`, `constructor`, `toString`, `hasOwnProperty`...). They reach or shadow a prototype,
 * and the validator would let them through unnoticed rather than refuse them as unknown fields.
 */
const FORBIDDEN_KEYS = new Set(['prototype', ...Object.getOwnPropertyNames(Object.prototype)]);
/** Methods whose body the app reads; a body of any other type on them is refused. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Parses the raw JSON body (a Buffer from the raw body parser, which enforces the size limit and
 * decompression) into a plain object. Everything a client can get wrong is a 400: invalid UTF-8,
 * malformed JSON, nesting deeper than {@link MAX_JSON_DEPTH}, a key in {@link FORBIDDEN_KEYS}, a
 * string holding a lone surrogate (JSON can spell one as `\ud800`), or a top level that is not an
 * object. An empty body is no body. A body the raw parser left alone (any other content type), or
 * JSON in a charset other than UTF-8, is a 415: read as no body, a PATCH would answer 200 and
 * change nothing.
 */
export function parseJsonBody(
  request: IncomingMessage & { body?: unknown },
  _response: unknown,
  next: (error?: unknown) => void,
): void {
  try {
    if (!Buffer.isBuffer(request.body)) {
      if (hasBody(request) && BODY_METHODS.has(request.method ?? '')) {
        throw new UnsupportedMediaTypeException('Request body must be application/json');
      }
      return next();
    }
    assertUtf8Charset(request.headers['content-type']);
    request.body = request.body.length === 0 ? undefined : parseJsonObject(request.body);
  } catch (error) {
    return next(error);
  }
  next();
}

/** Whether the request announces a body: a positive length, or chunks. */
function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || Number(length) > 0;
}

function assertUtf8Charset(contentType: string | undefined): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType ?? '')?.[1].toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new UnsupportedMediaTypeException(`Request body charset must be utf-8, not "${charset}"`);
  }
}

/** The object in `raw`, or a `BadRequestException` saying what is wrong with it. */
export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new BadRequestException('Request body is not valid UTF-8');
  }
  checkDepth(text);
  let value: unknown;
  try {
    value = JSON.parse(text, refuseForbiddenKeys);
  } catch (error) {
    if (error instanceof BadRequestException) throw error;
    throw new BadRequestException('Request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestException('Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function refuseForbiddenKeys(key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) {
    throw new BadRequestException(`Request body may not contain the key "${key}"`);
  }
  if (!key.isWellFormed() || (typeof value === 'string' && !value.isWellFormed())) {
    throw new BadRequestException('Request body holds a string with a lone UTF-16 surrogate');
  }
  return value;
}

/** One pass over the text, skipping strings; the parser reports any other syntax error. */
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > MAX_JSON_DEPTH) {
        throw new BadRequestException(
          `Request body is nested deeper than ${MAX_JSON_DEPTH} levels`,
        );
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
}
