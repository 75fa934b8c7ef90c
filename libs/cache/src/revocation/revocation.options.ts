import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { CacheConfigError } from '../errors';
import { describe, optionalDuration, type Duration } from '../options/duration';

/**
 * JWT algorithms the guard can verify. (EdDSA is left out: jsonwebtoken 9, which verifies the
 * signatures, does not implement it.)
 */
export type JwtAlgorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512';

/** How tokens are verified (and, by `TokenIssuer`, signed). */
export interface JwtVerifyOptions {
  /** Shared secret for HS* algorithms, at least 32 bytes. */
  secret?: string | Buffer;
  /** PEM public key for RS*, PS* and ES*. */
  publicKey?: string | Buffer;
  /** PEM private key matching `publicKey`; only `TokenIssuer` needs it. */
  privateKey?: string | Buffer;
  /** Required: the only algorithms accepted, all HS* or all asymmetric. */
  algorithms: JwtAlgorithm[];
  issuer?: string | string[];
  audience?: string | string[];
  /** Leeway for `exp`, `nbf` and `iat`; default `'5s'`. */
  clockTolerance?: Duration;
  /** Longest token accepted, in characters; default 8192. */
  maxTokenLength?: number;
}

/** Options of `revocation` in `CacheModule.forRoot()`. */
export interface RevocationOptions {
  jwt: JwtVerifyOptions;
  /** What to do while the store is unavailable; default `'closed'` (503, never admit). */
  onStoreFailure?: 'closed' | 'open';
  /** Trust `request.user` set by an earlier guard (e.g. passport) and only check revocation. */
  trustRequestUser?: boolean;
  /**
   * Longest lifetime (`exp - iat`) of a token the guard admits; default `'1d'`. It bounds how long
   * a revoke-all cutoff must be kept: after that, every token it covers has expired.
   */
  maxTokenLifetime?: Duration;
}

export interface ResolvedRevocationOptions {
  jwt: Omit<JwtVerifyOptions, 'clockTolerance' | 'maxTokenLength'> & {
    clockTolerance: number;
    maxTokenLength: number;
  };
  onStoreFailure: 'closed' | 'open';
  trustRequestUser: boolean;
  /** Milliseconds. */
  maxTokenLifetime: number;
}

export const DEFAULT_CLOCK_TOLERANCE_MS = 5000;
export const DEFAULT_MAX_TOKEN_LENGTH = 8192;
export const DEFAULT_MAX_TOKEN_LIFETIME_MS = 86_400_000;
/** RFC 7518 §3.2 asks for a key at least as long as the hash; 32 bytes is the floor for all. */
const MIN_SECRET_BYTES = 32;
const MIN_RSA_BITS = 2048;

const HMAC_ALGORITHMS = new Set(['HS256', 'HS384', 'HS512']);
/** Which public key types (and EC curves) each asymmetric algorithm verifies with. */
const KEY_TYPES: Record<string, { types: string[]; curve?: string }> = {
  RS256: { types: ['rsa'] },
  RS384: { types: ['rsa'] },
  RS512: { types: ['rsa'] },
  PS256: { types: ['rsa', 'rsa-pss'] },
  PS384: { types: ['rsa', 'rsa-pss'] },
  PS512: { types: ['rsa', 'rsa-pss'] },
  ES256: { types: ['ec'], curve: 'prime256v1' },
  ES384: { types: ['ec'], curve: 'secp384r1' },
  ES512: { types: ['ec'], curve: 'secp521r1' },
};
const KNOWN = new Set(['jwt', 'onStoreFailure', 'trustRequestUser', 'maxTokenLifetime']);
const KNOWN_JWT = new Set([
  'secret',
  'publicKey',
  'privateKey',
  'algorithms',
  'issuer',
  'audience',
  'clockTolerance',
  'maxTokenLength',
]);

/** Whether `algorithm` is one of the HS* (shared secret) algorithms. */
export function isHmacAlgorithm(algorithm: string): boolean {
  return HMAC_ALGORITHMS.has(algorithm);
}

/**
 * The module's revocation options, for a component that cannot work without them (`who` names it
 * in the error). Fails at first use rather than at startup: apps without revocation load the
 * module too.
 */
export function requireRevocationOptions(
  options: ResolvedRevocationOptions | undefined,
  who: string,
): ResolvedRevocationOptions {
  if (!options) {
    throw new CacheConfigError(
      'revocation',
      `${who} needs CacheModule.forRoot({ revocation: { jwt: { ... } } })`,
    );
  }
  return options;
}

/** Validates `revocation`; errors are `CacheConfigError`s naming the option (`revocation.jwt.algorithms`). */
export function resolveRevocationOptions(options: RevocationOptions): ResolvedRevocationOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new CacheConfigError('revocation', `expected an object; got ${describe(options)}`);
  }
  rejectUnknown(options, KNOWN, 'revocation.');
  const onStoreFailure = options.onStoreFailure ?? 'closed';
  if (onStoreFailure !== 'closed' && onStoreFailure !== 'open') {
    throw new CacheConfigError(
      'revocation.onStoreFailure',
      `expected 'closed' or 'open'; got ${describe(onStoreFailure)}`,
    );
  }
  const trustRequestUser = options.trustRequestUser ?? false;
  if (typeof trustRequestUser !== 'boolean') {
    throw new CacheConfigError(
      'revocation.trustRequestUser',
      `expected a boolean; got ${describe(trustRequestUser)}`,
    );
  }
  const maxTokenLifetime = optionalDuration(
    options.maxTokenLifetime,
    'revocation.maxTokenLifetime',
    DEFAULT_MAX_TOKEN_LIFETIME_MS,
  );
  if (maxTokenLifetime < 1000) {
    throw new CacheConfigError('revocation.maxTokenLifetime', 'expected at least 1 second');
  }
  return {
    jwt: resolveJwt(options.jwt),
    onStoreFailure,
    trustRequestUser,
    maxTokenLifetime,
  };
}

function resolveJwt(jwt: JwtVerifyOptions): ResolvedRevocationOptions['jwt'] {
  if (typeof jwt !== 'object' || jwt === null || Array.isArray(jwt)) {
    throw new CacheConfigError('revocation.jwt', `expected an object; got ${describe(jwt)}`);
  }
  rejectUnknown(jwt, KNOWN_JWT, 'revocation.jwt.');
  const algorithms = resolveAlgorithms(jwt.algorithms);
  if (algorithms.every(isHmacAlgorithm)) checkSecret(jwt);
  else checkKeys(jwt, algorithms);

  const clockTolerance = optionalDuration(
    jwt.clockTolerance,
    'revocation.jwt.clockTolerance',
    DEFAULT_CLOCK_TOLERANCE_MS,
  );
  const maxTokenLength = jwt.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  if (!Number.isInteger(maxTokenLength) || maxTokenLength < 16) {
    throw new CacheConfigError(
      'revocation.jwt.maxTokenLength',
      `expected an integer of at least 16; got ${describe(maxTokenLength)}`,
    );
  }
  return {
    ...jwt,
    algorithms,
    issuer: stringList(jwt.issuer, 'revocation.jwt.issuer'),
    audience: stringList(jwt.audience, 'revocation.jwt.audience'),
    clockTolerance,
    maxTokenLength,
  };
}

function resolveAlgorithms(value: unknown): JwtAlgorithm[] {
  const option = 'revocation.jwt.algorithms';
  if (!Array.isArray(value) || value.length === 0) {
    throw new CacheConfigError(
      option,
      `required: a non-empty list such as ['HS256'] or ['RS256']; got ${describe(value)}`,
    );
  }
  for (const [index, algorithm] of value.entries()) {
    if (typeof algorithm === 'string' && algorithm.toLowerCase() === 'none') {
      throw new CacheConfigError(
        option,
        `'none' is never accepted: an unsigned token proves nothing`,
      );
    }
    if (typeof algorithm !== 'string' || !(isHmacAlgorithm(algorithm) || algorithm in KEY_TYPES)) {
      const known = [...HMAC_ALGORITHMS, ...Object.keys(KEY_TYPES)].join(', ');
      throw new CacheConfigError(
        option,
        `unsupported algorithm ${describe(algorithm)} at index ${index}; expected one of ${known}`,
      );
    }
  }
  const hmac = value.filter(isHmacAlgorithm);
  if (hmac.length > 0 && hmac.length < value.length) {
    // One key cannot serve both: accepting both is how an attacker gets a public key used as an
    // HMAC secret (algorithm confusion).
    throw new CacheConfigError(
      option,
      'mixes HS* with asymmetric algorithms; accept either shared-secret or public-key tokens',
    );
  }
  return [...new Set(value as JwtAlgorithm[])];
}

function checkSecret(jwt: JwtVerifyOptions): void {
  if (jwt.publicKey !== undefined || jwt.privateKey !== undefined) {
    const option = jwt.publicKey !== undefined ? 'publicKey' : 'privateKey';
    throw new CacheConfigError(
      `revocation.jwt.${option}`,
      'is for asymmetric algorithms; HS* tokens are verified with "secret"',
    );
  }
  const { secret } = jwt;
  if (secret === undefined) {
    throw new CacheConfigError('revocation.jwt.secret', 'required by the HS* algorithms');
  }
  if (typeof secret !== 'string' && !Buffer.isBuffer(secret)) {
    throw new CacheConfigError(
      'revocation.jwt.secret',
      `expected a string or Buffer; got ${describe(secret)}`,
    );
  }
  if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
    throw new CacheConfigError(
      'revocation.jwt.secret',
      `too weak: expected at least ${MIN_SECRET_BYTES} bytes of random data`,
    );
  }
  if (/-----BEGIN [A-Z ]*KEY-----/.test(secret.toString())) {
    throw new CacheConfigError(
      'revocation.jwt.secret',
      'looks like a PEM key; a key pair belongs in "publicKey" with an asymmetric algorithm',
    );
  }
}

function checkKeys(jwt: JwtVerifyOptions, algorithms: readonly JwtAlgorithm[]): void {
  if (jwt.secret !== undefined) {
    throw new CacheConfigError(
      'revocation.jwt.secret',
      `is for HS* algorithms; ${algorithms.join(', ')} tokens are verified with "publicKey"`,
    );
  }
  if (jwt.publicKey === undefined) {
    throw new CacheConfigError(
      'revocation.jwt.publicKey',
      `required by ${algorithms.join(', ')} (a PEM public key)`,
    );
  }
  if (/PRIVATE KEY/.test(String(jwt.publicKey))) {
    throw new CacheConfigError(
      'revocation.jwt.publicKey',
      'expected a public key, not a private key (that one goes in "privateKey")',
    );
  }
  const publicKey = parseKey(jwt.publicKey, 'publicKey', createPublicKey);
  for (const algorithm of algorithms) checkKeyFits(publicKey, algorithm);
  if (jwt.privateKey === undefined) return;
  const privateKey = parseKey(jwt.privateKey, 'privateKey', createPrivateKey);
  const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (!derived.equals(publicKey.export({ type: 'spki', format: 'der' }))) {
    throw new CacheConfigError('revocation.jwt.privateKey', 'does not match "publicKey"');
  }
}

function parseKey(
  value: unknown,
  name: 'publicKey' | 'privateKey',
  parse: (key: string | Buffer) => KeyObject,
): KeyObject {
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) {
    throw new CacheConfigError(
      `revocation.jwt.${name}`,
      `expected a PEM string or Buffer; got ${describe(value)}`,
    );
  }
  try {
    return parse(value);
  } catch (error) {
    throw new CacheConfigError(`revocation.jwt.${name}`, 'is not a valid PEM key', {
      cause: error,
    });
  }
}

function checkKeyFits(key: KeyObject, algorithm: JwtAlgorithm): void {
  const { types, curve } = KEY_TYPES[algorithm];
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  const problem = !types.includes(type)
    ? `a ${type} key cannot verify ${algorithm}`
    : curve && details.namedCurve !== curve
      ? `${algorithm} needs a key on curve ${curve}; got ${details.namedCurve}`
      : type.startsWith('rsa') && (details.modulusLength ?? 0) < MIN_RSA_BITS
        ? `RSA keys must have at least ${MIN_RSA_BITS} bits; got ${details.modulusLength}`
        : undefined;
  if (problem) throw new CacheConfigError('revocation.jwt.publicKey', problem);
}

function stringList(value: unknown, option: string): string | string[] | undefined {
  if (value === undefined) return undefined;
  const valid =
    (typeof value === 'string' && value !== '') ||
    (Array.isArray(value) &&
      value.length > 0 &&
      value.every((item) => typeof item === 'string' && item !== ''));
  if (!valid) {
    throw new CacheConfigError(
      option,
      `expected a non-empty string or list of them; got ${describe(value)}`,
    );
  }
  return value as string | string[];
}

function rejectUnknown(options: object, known: Set<string>, prefix: string): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new CacheConfigError(`${prefix}${key}`, 'unknown option');
  }
}
