// `ctx.storage.sql` for SQLite-backed Durable Objects: `exec(query, ...bindings)` runs SQL on the
// object's own file and returns a cursor with Cloudflare's shape and errors. As on Cloudflare, the
// hidden `_cf_` tables (where the key-value API and the alarm live) are off limits, and
// transactions go through `storage.transaction()` / `transactionSync()`, not BEGIN or SAVEPOINT.

import type Database from "better-sqlite3";

export type SqlValue = string | number | null | ArrayBuffer;
type Row = Record<string, SqlValue>;

const TRANSACTION_STATEMENT = /(^|;)\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i;
const HIDDEN_TABLE = /_cf_\w*/i;

/** The query without its comments, for the checks above (a string literal may still fool them). */
function withoutComments(query: string): string {
  return query.replace(/--[^\n]*/g, " ").replace(/\/\*[\s\S]*?\*\//g, " ");
}

function bindValue(value: unknown, index: number): unknown {
  if (value === null || typeof value === "string") return value;
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(
    `SQL binding ${index + 1} is ${value === undefined ? "undefined" : typeof value}; bindings must be strings, numbers, null or ArrayBuffers`,
  );
}

function readValue(value: unknown): SqlValue {
  if (Buffer.isBuffer(value)) {
    const copy = new ArrayBuffer(value.byteLength);
    new Uint8Array(copy).set(value);
    return copy;
  }
  if (typeof value === "bigint") return Number(value);
  return value as SqlValue;
}

/** What `sql.exec` returns: the rows of one statement, read once, by iteration or all at once. */
export class SqlStorageCursor implements IterableIterator<Row> {
  readonly columnNames: string[];
  readonly rowsRead: number;
  readonly rowsWritten: number;
  private readonly rows: SqlValue[][];
  private position = 0;

  constructor(columnNames: string[], rows: SqlValue[][], rowsWritten: number) {
    this.columnNames = columnNames;
    this.rows = rows;
    this.rowsRead = rows.length;
    this.rowsWritten = rowsWritten;
  }

  private toObject(values: SqlValue[]): Row {
    const row: Row = {};
    this.columnNames.forEach((name, i) => {
      row[name] = values[i] ?? null;
    });
    return row;
  }

  next(): IteratorResult<Row> {
    const values = this.rows[this.position];
    if (!values) return { done: true, value: undefined };
    this.position += 1;
    return { done: false, value: this.toObject(values) };
  }

  [Symbol.iterator](): this {
    return this;
  }

  /** The rows not read yet, as arrays of values in column order. */
  *raw(): IterableIterator<SqlValue[]> {
    while (this.position < this.rows.length) {
      const values = this.rows[this.position]!;
      this.position += 1;
      yield values;
    }
  }

  toArray(): Row[] {
    return [...this];
  }

  one(): Row {
    const first = this.next();
    if (first.done) throw new Error("Expected exactly one result from SQL query, but got no results.");
    if (this.position < this.rows.length) {
      this.position = this.rows.length;
      throw new Error("Expected exactly one result from SQL query, but got multiple results.");
    }
    return first.value;
  }
}

export class SqlStorage {
  private readonly db: Database.Database;

  constructor(db: Database.Database) {
    this.db = db;
  }

  exec(query: string, ...bindings: unknown[]): SqlStorageCursor {
    if (typeof query !== "string") throw new TypeError("sql.exec() takes the query as a string");
    const checked = withoutComments(query);
    const hidden = HIDDEN_TABLE.exec(checked);
    if (hidden) throw new Error(`access to ${hidden[0]} is prohibited: SQLITE_AUTH`);
    if (TRANSACTION_STATEMENT.test(checked)) {
      throw new Error(
        "To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() " +
          "APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements.",
      );
    }
    const values = bindings.map(bindValue);
    const before = this.totalChanges();
    let statement: Database.Statement;
    try {
      statement = this.db.prepare(query);
    } catch (error) {
      if (!(error instanceof RangeError) || !/more than one statement/.test(error.message)) throw error;
      if (values.length > 0) {
        throw new RangeError("sql.exec() takes bindings only for a single statement; this query has several");
      }
      this.db.exec(query);
      return new SqlStorageCursor([], [], this.totalChanges() - before);
    }
    if (!statement.reader) {
      statement.run(...values);
      return new SqlStorageCursor([], [], this.totalChanges() - before);
    }
    const columns = statement.columns().map((c) => c.name);
    const rows = (statement.raw(true).all(...values) as unknown[][]).map((r) => r.map(readValue));
    return new SqlStorageCursor(columns, rows, this.totalChanges() - before);
  }

  /** The size of the object's database in bytes. */
  get databaseSize(): number {
    const pages = this.db.pragma("page_count", { simple: true }) as number;
    const size = this.db.pragma("page_size", { simple: true }) as number;
    return pages * size;
  }

  private totalChanges(): number {
    return Number((this.db.prepare("SELECT total_changes() AS n").get() as { n: number | bigint }).n);
  }
}
