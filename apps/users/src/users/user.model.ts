/** A user as the API shows it: never the password or its hash. */
export interface User {
  id: number;
  name: string;
  email: string;
  /** ISO 8601. */
  createdAt: string;
}

/** A user with the password hash, for the login check only (never cached, never returned). */
export interface UserCredentials {
  id: number;
  passwordHash: string;
}

/** One page of `GET /users`. */
export interface UserPage {
  items: User[];
  total: number;
}

/** The cache tag of every cached user and list: evicting it refreshes them all. */
export const USERS_TAG = 'users';
