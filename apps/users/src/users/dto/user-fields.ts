import type { TransformFnParams } from 'class-transformer';

/** Longest email SMTP can carry (RFC 5321 path limit). */
export const MAX_EMAIL_LENGTH = 254;
export const MAX_NAME_LENGTH = 100;
export const MIN_PASSWORD_LENGTH = 8;
/** Bounds the work one password costs to hash. */
export const MAX_PASSWORD_LENGTH = 128;

/** Emails are compared case-insensitively: stored and looked up lower-cased and trimmed. */
export const normalizeEmail = ({ value }: TransformFnParams): unknown =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

/** Names are stored without surrounding whitespace. */
export const trimString = ({ value }: TransformFnParams): unknown =>
  typeof value === 'string' ? value.trim() : value;
