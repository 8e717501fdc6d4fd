/**
 * Promise-shaped access to one sqlite3 connection, with a lock so that a
 * document's transaction is never interleaved with another writer's statements
 * (node-sqlite3 shares one connection between all callers).
 */
import sqlite3 from 'sqlite3';

export type Row = Record<string, unknown>;
export type Param = string | number | bigint | Buffer | null;

export class Database {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: sqlite3.Database) {}

  /** `readOnly`: `file` is a `file:` URI opened for reading only */
  static open(file: string, opts: { readOnly?: boolean } = {}): Promise<Database> {
    const flags = opts.readOnly ? sqlite3.OPEN_READONLY | sqlite3.OPEN_URI : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
    return new Promise((resolve, reject) => {
      const db = new sqlite3.Database(file, flags, (e) => {
        if (e) reject(e);
        else resolve(new Database(db));
      });
    });
  }

  run(sql: string, params: Param[] = []): Promise<{ lastID: number; changes: number }> {
    return new Promise((resolve, reject) => {
      this.db.run(sql, params, function (this: sqlite3.RunResult, e: Error | null) {
        if (e) reject(e);
        else resolve({ lastID: this.lastID, changes: this.changes });
      });
    });
  }

  get<T = Row>(sql: string, params: Param[] = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.db.get(sql, params, (e: Error | null, row: T) => (e ? reject(e) : resolve(row)));
    });
  }

  all<T = Row>(sql: string, params: Param[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.db.all(sql, params, (e: Error | null, rows: T[]) => (e ? reject(e) : resolve(rows)));
    });
  }

  /** streams rows without holding them all in memory */
  each<T = Row>(sql: string, params: Param[], onRow: (row: T) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.db.each(
        sql,
        params,
        (e: Error | null, row: T) => {
          if (!e) onRow(row);
        },
        (e: Error | null, n: number) => (e ? reject(e) : resolve(n)),
      );
    });
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (e) => (e ? reject(e) : resolve())));
  }

  /** a statement prepared once and run many times inside a transaction */
  prepare(sql: string): Statement {
    return new Statement(this.db.prepare(sql));
  }

  /** runs fn while holding the connection's lock: nothing else interleaves */
  locked<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** BEGIN IMMEDIATE .. COMMIT under the lock; ROLLBACK on any error */
  transaction<T>(fn: () => Promise<T>): Promise<T> {
    return this.locked(async () => {
      await this.run('BEGIN IMMEDIATE');
      try {
        const out = await fn();
        await this.run('COMMIT');
        return out;
      } catch (e) {
        await this.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.db.close((e) => (e ? reject(e) : resolve())));
  }
}

export class Statement {
  constructor(private readonly st: sqlite3.Statement) {}

  run(params: Param[]): Promise<{ lastID: number; changes: number }> {
    return new Promise((resolve, reject) => {
      this.st.run(params, function (this: sqlite3.RunResult, e: Error | null) {
        if (e) reject(e);
        else resolve({ lastID: this.lastID, changes: this.changes });
      });
    });
  }

  finalize(): Promise<void> {
    return new Promise((resolve) => this.st.finalize(() => resolve()));
  }
}

/** sqlite's error code for a damaged or foreign file */
export function isCorruptionError(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB';
}
