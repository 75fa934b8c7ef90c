import { Injectable } from '@nestjs/common';
import type { Statement } from 'better-sqlite3';
import { SqliteConnection } from '../database/sqlite.connection';
import type { User, UserCredentials } from './user.model';

/** The email is already used by another user (the UNIQUE constraint said so). */
export class EmailTakenError extends Error {
  constructor() {
    super('Email is already taken');
    this.name = 'EmailTakenError';
  }
}

interface UserRow {
  id: number;
  name: string;
  email: string;
  created_at: string;
}

const COLUMNS = 'id, name, email, created_at';

/**
 * Users in SQLite. Statements are prepared once; every method is one statement (the patch one
 * reads back in the same transaction). A class, so tests can spy on its calls.
 */
@Injectable()
export class UsersRepository {
  private readonly insertStmt: Statement<[string, string, string, string], UserRow>;
  private readonly byIdStmt: Statement<[number], UserRow>;
  private readonly credentialsStmt: Statement<[string], { id: number; password_hash: string }>;
  private readonly pageStmt: Statement<[number, number], UserRow>;
  private readonly countStmt: Statement<[], { total: number }>;
  private readonly updateStmt: Statement<
    { id: number; name: string | null; email: string | null },
    UserRow
  >;
  private readonly deleteStmt: Statement<[number]>;

  constructor({ db }: SqliteConnection) {
    this.insertStmt = db.prepare(
      `INSERT INTO users (name, email, password_hash, created_at) VALUES (?, ?, ?, ?) RETURNING ${COLUMNS}`,
    );
    this.byIdStmt = db.prepare(`SELECT ${COLUMNS} FROM users WHERE id = ?`);
    this.credentialsStmt = db.prepare('SELECT id, password_hash FROM users WHERE email = ?');
    this.pageStmt = db.prepare(`SELECT ${COLUMNS} FROM users ORDER BY id LIMIT ? OFFSET ?`);
    this.countStmt = db.prepare('SELECT COUNT(*) AS total FROM users');
    this.updateStmt = db.prepare(
      `UPDATE users SET name = COALESCE(@name, name), email = COALESCE(@email, email)
       WHERE id = @id RETURNING ${COLUMNS}`,
    );
    this.deleteStmt = db.prepare('DELETE FROM users WHERE id = ?');
  }

  /** Inserts a user; throws {@link EmailTakenError} when the email is taken. */
  create(input: { name: string; email: string; passwordHash: string }): User {
    const createdAt = new Date().toISOString();
    const row = uniqueEmail(() =>
      this.insertStmt.get(input.name, input.email, input.passwordHash, createdAt),
    );
    return toUser(row!);
  }

  findById(id: number): User | undefined {
    const row = this.byIdStmt.get(id);
    return row && toUser(row);
  }

  findCredentials(email: string): UserCredentials | undefined {
    const row = this.credentialsStmt.get(email);
    return row && { id: row.id, passwordHash: row.password_hash };
  }

  list(limit: number, offset: number): User[] {
    return this.pageStmt.all(limit, offset).map(toUser);
  }

  count(): number {
    return this.countStmt.get()!.total;
  }

  /** Applies the given fields; undefined when there is no such user. */
  update(id: number, patch: { name?: string; email?: string }): User | undefined {
    const row = uniqueEmail(() =>
      this.updateStmt.get({ id, name: patch.name ?? null, email: patch.email ?? null }),
    );
    return row && toUser(row);
  }

  /** Whether a user was deleted. */
  delete(id: number): boolean {
    return this.deleteStmt.run(id).changes > 0;
  }
}

function toUser(row: UserRow): User {
  return { id: row.id, name: row.name, email: row.email, createdAt: row.created_at };
}

function uniqueEmail<T>(write: () => T): T {
  try {
    return write();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
      throw new EmailTakenError();
    }
    throw error;
  }
}
