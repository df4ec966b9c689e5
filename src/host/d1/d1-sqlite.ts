// One D1 database's SQLite file and the running of statements on it. Every database is a file
// `<stateDir>/d1/<id>.sqlite` in WAL mode with synchronous=FULL, so a write that returned
// survives kill -9, and several processes on one data folder share it. A batch runs in one
// IMMEDIATE transaction: all its statements commit together or none does.

import type Database from "better-sqlite3";
import { openStateDatabase } from "../state-database.js";
import { D1Error, sqliteDetail } from "./d1-errors.js";
import { numberParameters } from "./d1-params.js";
import type { D1Meta, D1Rows } from "./d1-result.js";
import { type D1Value, fromSqliteValue, toSqliteParam } from "./d1-values.js";
import { splitStatements } from "./sql-text.js";

/** A statement with the values bound to it. */
export type BoundStatement = { sql: string; params: D1Value[] };

type Counters = { total_changes: number; schema_version: number };

/** What Cairn reports as the server that answered: there is one copy, this process's file. */
const SERVED_BY = "cairn-d1";

/** One D1 database file, open for this process. */
export class D1Sqlite {
  private readonly db: Database.Database;
  private readonly counters: Database.Statement<[], Counters>;
  private readonly lastRowId: Database.Statement<[], { id: number }>;

  constructor(path: string) {
    this.db = openStateDatabase(path);
    // D1 enforces foreign keys.
    this.db.pragma("foreign_keys = ON");
    this.counters = this.db.prepare(
      "SELECT total_changes() AS total_changes, (SELECT schema_version FROM pragma_schema_version) AS schema_version",
    );
    this.lastRowId = this.db.prepare("SELECT last_insert_rowid() AS id");
  }

  /** Runs one statement on its own (SQLite commits it at once). */
  run(statement: BoundStatement): D1Rows {
    return this.execute(statement);
  }

  /** Runs statements in one transaction; the first failure rolls every one of them back. */
  batch(statements: BoundStatement[]): D1Rows[] {
    const all = this.db.transaction(() => statements.map((s) => this.execute(s)));
    return all.immediate();
  }

  /** Runs SQL text that may hold several statements, none of them with parameters. */
  execText(sql: string): number {
    const started = performance.now();
    try {
      this.db.exec(sql);
    } catch (error) {
      throw new D1Error("D1_ERROR", sqliteDetail(error));
    }
    return performance.now() - started;
  }

  /** The database file's bytes, as a consistent snapshot that opens as an ordinary SQLite file. */
  serialize(): ArrayBuffer {
    const bytes = Uint8Array.from(this.db.serialize());
    // Bytes 18 and 19 of the header say "WAL"; a copy without its -wal file must say "rollback
    // journal" (1), or SQLite refuses to open it from memory.
    if (bytes.length >= 20) {
      bytes[18] = 1;
      bytes[19] = 1;
    }
    return bytes.buffer;
  }

  close(): void {
    this.db.close();
  }

  /**
   * Runs a statement, or SQL holding several: as on Cloudflare, they run in order (together, in
   * one transaction) and the last one's rows are the answer. Only the last may take values.
   */
  private execute({ sql, params }: BoundStatement): D1Rows {
    const statements = this.statementsOf(sql);
    const last = statements.pop() ?? sql;
    const before = this.counters.get()!;
    const started = performance.now();
    const run = () => {
      for (const statement of statements) this.executeOne(statement, []);
      return this.executeOne(last, params);
    };
    const { columns, rows } = statements.length > 0 ? this.db.transaction(run)() : run();
    const duration = performance.now() - started;
    return { columns, rows, meta: this.meta(before, duration, rows.length) };
  }

  /** The statements of `sql`: itself when it holds one (or SQLite will refuse it anyway). */
  private statementsOf(sql: string): string[] {
    try {
      this.db.prepare(sql);
      return [sql];
    } catch (error) {
      if (!(error instanceof RangeError) || !error.message.includes("more than one statement")) return [sql];
    }
    return splitStatements(sql, (piece) => {
      try {
        this.db.prepare(piece);
        return true;
      } catch (error) {
        // Only a statement cut short is incomplete; any other failure shows up when it runs.
        return !(error instanceof Error && error.message.includes("incomplete input"));
      }
    }).filter((piece) => !this.isEmpty(piece));
  }

  /** True for text holding no statement (spaces, comments, a lone semicolon). */
  private isEmpty(piece: string): boolean {
    try {
      this.db.prepare(piece);
      return false;
    } catch (error) {
      return error instanceof RangeError && error.message.includes("contains no statements");
    }
  }

  private executeOne(sql: string, params: D1Value[]): { columns: string[]; rows: unknown[][] } {
    const numbered = numberParameters(sql);
    if (numbered.count !== params.length) {
      throw new D1Error("D1_ERROR", "Wrong number of parameter bindings for SQL query.");
    }
    const values: Record<number, unknown> = {};
    params.forEach((value, i) => {
      values[i + 1] = toSqliteParam(value);
    });
    try {
      const prepared = this.db.prepare(numbered.sql);
      if (!prepared.reader) {
        if (params.length) prepared.run(values);
        else prepared.run();
        return { columns: [], rows: [] };
      }
      const columns = prepared.columns().map((c) => c.name);
      const raw = (params.length ? prepared.raw(true).all(values) : prepared.raw(true).all()) as unknown[][];
      return { columns, rows: raw.map((row) => row.map(fromSqliteValue)) };
    } catch (error) {
      throw new D1Error("D1_ERROR", sqliteDetail(error));
    }
  }

  private meta(before: Counters, duration: number, returned: number): D1Meta {
    const after = this.counters.get()!;
    const changes = after.total_changes - before.total_changes;
    const pageCount = this.db.pragma("page_count", { simple: true }) as number;
    const pageSize = this.db.pragma("page_size", { simple: true }) as number;
    return {
      served_by: SERVED_BY,
      served_by_region: "local",
      served_by_primary: true,
      timings: { sql_duration_ms: duration },
      duration,
      changes,
      last_row_id: this.lastRowId.get()!.id,
      changed_db: changes > 0 || after.schema_version !== before.schema_version,
      size_after: pageCount * pageSize,
      rows_read: returned,
      rows_written: changes,
      total_attempts: 1,
    };
  }
}
