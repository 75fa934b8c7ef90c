/**
 * The schema, applied on every start (idempotent). `AUTOINCREMENT` keeps a deleted user's id from
 * being handed to a new user, whose tokens and cache entries must never be confused with the old
 * one's. Emails are stored lower-cased; the UNIQUE constraint is what makes concurrent sign-ups
 * with one email safe.
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  name          TEXT    NOT NULL,
  email         TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  created_at    TEXT    NOT NULL
);
`;
