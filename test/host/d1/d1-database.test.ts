// The D1 binding on a real SQLite file: statements and binds, value mapping, result shapes and
// meta, batch atomicity, exec, sessions, dump, and Cloudflare's errors for bad SQL and bad values.
// A second connection to the same file checks that what returned is really on disk.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { D1Database } from "../../../src/host/d1/d1-database.js";
import { D1Error } from "../../../src/host/d1/d1-errors.js";
import { D1Sqlite } from "../../../src/host/d1/d1-sqlite.js";

const dir = mkdtempSync(join(tmpdir(), "cairn-d1-"));
const opened: D1Sqlite[] = [];
afterAll(() => {
  for (const sqlite of opened) sqlite.close();
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
let file: string;
let db: D1Database;
beforeEach(async () => {
  file = join(dir, "d1", `db-${++counter}.sqlite`);
  const sqlite = new D1Sqlite(file);
  opened.push(sqlite);
  db = new D1Database(sqlite);
  await db.exec(
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, age INTEGER, photo BLOB, score REAL);",
  );
});

/** Reads the file through a connection of its own. */
function onDisk<T>(sql: string): T[] {
  const other = new Database(file, { readonly: true });
  try {
    return other.prepare(sql).all() as T[];
  } finally {
    other.close();
  }
}

async function rejection(promise: Promise<unknown>): Promise<D1Error> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(D1Error);
    return error as D1Error;
  }
  throw new Error("expected the call to fail");
}

function thrown(call: () => unknown): D1Error {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(D1Error);
    return error as D1Error;
  }
  throw new Error("expected the call to throw");
}

describe("D1 statements", () => {
  it("runs a write and answers D1's result shape with meta", async () => {
    const result = await db.prepare("INSERT INTO users (name, age) VALUES (?, ?)").bind("Ana", 31).run();
    expect(result.success).toBe(true);
    expect(result.results).toEqual([]);
    expect(Object.keys(result.meta)).toEqual([
      "served_by",
      "served_by_region",
      "served_by_primary",
      "timings",
      "duration",
      "changes",
      "last_row_id",
      "changed_db",
      "size_after",
      "rows_read",
      "rows_written",
      "total_attempts",
    ]);
    expect(result.meta).toMatchObject({
      changes: 1,
      last_row_id: 1,
      changed_db: true,
      rows_written: 1,
      served_by_primary: true,
    });
    expect(result.meta.size_after).toBeGreaterThan(0);
    expect(typeof result.meta.duration).toBe("number");
    expect(onDisk("SELECT name, age FROM users")).toEqual([{ name: "Ana", age: 31 }]);

    const read = await db.prepare("SELECT name FROM users").all();
    expect(read.results).toEqual([{ name: "Ana" }]);
    expect(read.meta).toMatchObject({ changes: 0, changed_db: false, rows_read: 1, rows_written: 0 });
  });

  it("reports a schema change as changed_db", async () => {
    const result = await db.prepare("CREATE TABLE extra (a)").run();
    expect(result.meta.changed_db).toBe(true);
    expect(result.meta.changes).toBe(0);
  });

  it("answers first() with the first row, one column of it, or null; a missing column is D1_COLUMN_NOTFOUND", async () => {
    expect(await db.prepare("SELECT * FROM users").first()).toBeNull();
    expect(await db.prepare("SELECT * FROM users").first("name")).toBeNull();
    await db.prepare("INSERT INTO users (name, age) VALUES ('Ana', 31), ('Bo', 40)").run();
    expect(await db.prepare("SELECT name, age FROM users ORDER BY id").first()).toEqual({
      name: "Ana",
      age: 31,
    });
    expect(await db.prepare("SELECT name, age FROM users ORDER BY id DESC").first("name")).toBe("Bo");
    expect(await db.prepare("SELECT age FROM users WHERE name = 'Ana'").first("age")).toBe(31);
    const error = await rejection(db.prepare("SELECT name FROM users").first("nope"));
    expect(error.message).toBe("D1_COLUMN_NOTFOUND: Column not found (nope)");
    expect(error.code).toBe("D1_COLUMN_NOTFOUND");
  });

  it("answers raw() with arrays of values, and the column names first when asked", async () => {
    await db.prepare("INSERT INTO users (name, age) VALUES ('Ana', 31), ('Bo', 40)").run();
    const statement = db.prepare("SELECT name, age FROM users ORDER BY id");
    expect(await statement.raw()).toEqual([
      ["Ana", 31],
      ["Bo", 40],
    ]);
    expect(await statement.raw({ columnNames: true })).toEqual([
      ["name", "age"],
      ["Ana", 31],
      ["Bo", 40],
    ]);
    expect(await db.prepare("SELECT name FROM users WHERE 0").raw({ columnNames: true })).toEqual([["name"]]);
    // Repeated column names: raw keeps every column, objects keep the last one.
    expect(await db.prepare("SELECT 1 AS x, 2 AS x").raw()).toEqual([[1, 2]]);
    expect((await db.prepare("SELECT 1 AS x, 2 AS x").all()).results).toEqual([{ x: 2 }]);
  });

  it("returns rows of INSERT … RETURNING from run()", async () => {
    const result = await db
      .prepare("INSERT INTO users (name) VALUES (?) RETURNING id, name")
      .bind("Cy")
      .run();
    expect(result.results).toEqual([{ id: 1, name: "Cy" }]);
    expect(result.meta.changes).toBe(1);
  });
});

describe("D1 statements holding several", () => {
  it("runs them in order and answers the last one's rows", async () => {
    const result = await db
      .prepare(
        "INSERT INTO users (name) VALUES ('a'); INSERT INTO users (name) VALUES ('b'); SELECT name FROM users ORDER BY id;",
      )
      .all();
    expect(result.results).toEqual([{ name: "a" }, { name: "b" }]);
    expect(result.meta.changes).toBe(2);
    // A table made by an earlier statement is there for a later one; the last one takes the values.
    const made = await db
      .prepare("CREATE TABLE tags (t TEXT); INSERT INTO tags VALUES ('x'); SELECT t, ? AS extra FROM tags")
      .bind(7)
      .first();
    expect(made).toEqual({ t: "x", extra: 7 });
  });

  it("keeps a trigger's body, semicolons and all, as one statement", async () => {
    await db
      .prepare(
        "CREATE TABLE log (n TEXT); CREATE TRIGGER logged AFTER INSERT ON users BEGIN INSERT INTO log VALUES (new.name); INSERT INTO log VALUES ('again'); END; INSERT INTO users (name) VALUES ('t');",
      )
      .run();
    expect(onDisk("SELECT n FROM log")).toEqual([{ n: "t" }, { n: "again" }]);
  });

  it("undoes every statement when a later one fails", async () => {
    const error = await rejection(
      db.prepare("INSERT INTO users (name) VALUES ('first'); INSERT INTO nowhere VALUES (1)").run(),
    );
    expect(error.message).toBe("D1_ERROR: no such table: nowhere: SQLITE_ERROR");
    expect(onDisk("SELECT name FROM users")).toEqual([]);
  });

  it("refuses values for any statement but the last", async () => {
    const error = await rejection(db.prepare("SELECT ?; SELECT 1").bind(1).all());
    expect(error.message).toBe("D1_ERROR: Wrong number of parameter bindings for SQL query.");
  });
});

describe("D1 binds and values", () => {
  it("binds ?, ?NNN and named parameters in order, and a statement can be bound again", async () => {
    expect(await db.prepare("SELECT ?2 AS b, ?1 AS a").bind("one", "two").first()).toEqual({
      b: "two",
      a: "one",
    });
    expect(await db.prepare("SELECT ? AS a, ?1 AS again").bind(5).first()).toEqual({ a: 5, again: 5 });
    expect(await db.prepare("SELECT :x AS x, :y AS y, :x AS x2").bind(1, 2).first()).toEqual({
      x: 1,
      y: 2,
      x2: 1,
    });
    const insert = db.prepare("INSERT INTO users (name) VALUES (?)");
    await insert.bind("a").run();
    await insert.bind("b").run();
    expect(onDisk("SELECT name FROM users ORDER BY id")).toEqual([{ name: "a" }, { name: "b" }]);
  });

  it("stores booleans as 1 and 0, whole numbers as INTEGER, others as REAL, and null", async () => {
    const row = await db
      .prepare(
        "SELECT ? AS t, ? AS f, typeof(?) AS whole, typeof(?) AS fraction, ? / 2 AS halved, ? AS empty",
      )
      .bind(true, false, 3, 2.5, 5, null)
      .first();
    expect(row).toEqual({ t: 1, f: 0, whole: "integer", fraction: "real", halved: 2, empty: null });
  });

  it("stores ArrayBuffers, typed arrays and byte arrays as BLOBs and returns BLOBs as arrays of bytes", async () => {
    const insert = db.prepare("INSERT INTO users (name, photo) VALUES (?, ?)");
    await insert.bind("buffer", new Uint8Array([1, 2, 255]).buffer).run();
    await insert.bind("view", new Uint8Array([9, 8, 7, 6]).subarray(1, 3)).run();
    await insert.bind("array", [0, 128]).run();
    const rows = await db.prepare("SELECT name, photo, typeof(photo) AS kind FROM users ORDER BY id").all();
    expect(rows.results).toEqual([
      { name: "buffer", photo: [1, 2, 255], kind: "blob" },
      { name: "view", photo: [8, 7], kind: "blob" },
      { name: "array", photo: [0, 128], kind: "blob" },
    ]);
  });

  it("refuses unsupported values in bind() itself with D1_TYPE_ERROR", () => {
    const statement = db.prepare("SELECT ?");
    const cases: [unknown, string][] = [
      [undefined, "D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'"],
      [{ a: 1 }, "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'"],
      [10n, "D1_TYPE_ERROR: Type 'bigint' not supported for value '10'"],
      [[1, 300], "D1_TYPE_ERROR: Type 'object' not supported for value '1,300'"],
      [() => 1, "D1_TYPE_ERROR: Type 'function' not supported for value '() => 1'"],
    ];
    for (const [value, message] of cases) {
      const error = thrown(() => statement.bind(value));
      expect(error.message).toBe(message);
      expect(error.code).toBe("D1_TYPE_ERROR");
      expect(error.name).toBe("Error");
      expect((error.cause as Error).message).toBe(message.slice("D1_TYPE_ERROR: ".length));
    }
  });

  it("refuses a wrong number of values with Cloudflare's D1_ERROR", async () => {
    for (const statement of [
      db.prepare("SELECT ?, ?").bind(1),
      db.prepare("SELECT ?").bind(1, 2),
      db.prepare("SELECT ?"),
    ]) {
      const error = await rejection(statement.all());
      expect(error.message).toBe("D1_ERROR: Wrong number of parameter bindings for SQL query.");
    }
  });
});

describe("D1 errors from SQLite", () => {
  it("gives SQLite's message and primary code after D1_ERROR", async () => {
    let error = await rejection(db.prepare("SELECT * FROM missing").all());
    expect(error.message).toBe("D1_ERROR: no such table: missing: SQLITE_ERROR");
    expect(error.code).toBe("D1_ERROR");
    expect((error.cause as Error).message).toBe("no such table: missing: SQLITE_ERROR");
    await db.prepare("INSERT INTO users (name) VALUES ('Ana')").run();
    error = await rejection(db.prepare("INSERT INTO users (name) VALUES ('Ana')").run());
    expect(error.message).toBe("D1_ERROR: UNIQUE constraint failed: users.name: SQLITE_CONSTRAINT");
    error = await rejection(db.prepare("SELEC 1").first());
    expect(error.message).toBe('D1_ERROR: near "SELEC": syntax error: SQLITE_ERROR');
    error = await rejection(db.prepare("").run());
    expect(error.message).toBe("D1_ERROR: No SQL statements detected.");
  });

  it("enforces foreign keys, as D1 does", async () => {
    await db.exec(
      "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id));",
    );
    const error = await rejection(db.prepare("INSERT INTO posts (user_id) VALUES (42)").run());
    expect(error.message).toBe("D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT");
  });
});

describe("D1 batch", () => {
  it("runs statements in order in one transaction and returns a result for each", async () => {
    const insert = db.prepare("INSERT INTO users (name, age) VALUES (?, ?)");
    const results = await db.batch([
      insert.bind("Ana", 31),
      insert.bind("Bo", 40),
      db.prepare("UPDATE users SET age = age + 1"),
      db.prepare("SELECT name, age FROM users ORDER BY id"),
    ]);
    expect(results).toHaveLength(4);
    expect(results.map((r) => r.success)).toEqual([true, true, true, true]);
    expect(results[0]!.meta.last_row_id).toBe(1);
    expect(results[2]!.meta.changes).toBe(2);
    expect(results[3]!.results).toEqual([
      { name: "Ana", age: 32 },
      { name: "Bo", age: 41 },
    ]);
    expect(await db.batch([])).toEqual([]);
  });

  it("rolls back every statement when one fails, and throws that statement's error", async () => {
    await db.prepare("INSERT INTO users (name) VALUES ('existing')").run();
    const insert = db.prepare("INSERT INTO users (name) VALUES (?)");
    const error = await rejection(
      db.batch([
        insert.bind("new-1"),
        db.prepare("UPDATE users SET age = 99"),
        insert.bind("existing"),
        insert.bind("new-2"),
      ]),
    );
    expect(error.message).toBe("D1_ERROR: UNIQUE constraint failed: users.name: SQLITE_CONSTRAINT");
    expect(onDisk("SELECT name, age FROM users")).toEqual([{ name: "existing", age: null }]);
    // The database is usable afterwards: the failed transaction left nothing open.
    await insert.bind("after").run();
    expect(onDisk<{ n: number }>("SELECT count(*) AS n FROM users")[0]!.n).toBe(2);
  });

  it("refuses a batch of things that are not statements", async () => {
    await expect(db.batch([{ sql: "SELECT 1" } as never])).rejects.toThrow(
      "batch() item 0 is not a statement made by prepare()",
    );
    await expect(db.batch("SELECT 1" as never)).rejects.toThrow("batch() takes an array of statements");
  });
});

describe("D1 exec", () => {
  it("runs SQL line by line and counts the lines", async () => {
    const result = await db.exec(
      "INSERT INTO users (name) VALUES ('a');\nINSERT INTO users (name) VALUES ('b'); INSERT INTO users (name) VALUES ('c');\n",
    );
    expect(result.count).toBe(2);
    expect(typeof result.duration).toBe("number");
    expect(onDisk("SELECT name FROM users ORDER BY id")).toEqual([
      { name: "a" },
      { name: "b" },
      { name: "c" },
    ]);
  });

  it("stops at the first failing line with D1_EXEC_ERROR naming its number and text; earlier lines stay", async () => {
    const error = await rejection(
      db.exec(
        "INSERT INTO users (name) VALUES ('kept');\nINSERTZ INTO users (name) VALUES ('x');\nINSERT INTO users (name) VALUES ('never');",
      ),
    );
    expect(error.code).toBe("D1_EXEC_ERROR");
    expect(error.message).toBe(
      `D1_EXEC_ERROR: Error in line 2: INSERTZ INTO users (name) VALUES ('x');: near "INSERTZ": syntax error: SQLITE_ERROR`,
    );
    expect(onDisk("SELECT name FROM users")).toEqual([{ name: "kept" }]);
  });
});

describe("D1 sessions and dump", () => {
  it("runs statements and batches in a session whose bookmark starts null and only grows", async () => {
    const session = db.withSession("first-primary");
    expect(session.getBookmark()).toBeNull();
    await session.prepare("INSERT INTO users (name) VALUES (?)").bind("s").run();
    const first = session.getBookmark();
    expect(typeof first).toBe("string");
    const [read] = await session.batch([session.prepare("SELECT name FROM users")]);
    expect(read!.results).toEqual([{ name: "s" }]);
    expect(session.getBookmark()! >= first!).toBe(true);

    const resumed = db.withSession(first!);
    expect(resumed.getBookmark()).toBe(first);
    expect(await resumed.prepare("SELECT name FROM users").first("name")).toBe("s");
    expect(db.withSession().getBookmark()).toBeNull();
    expect(() => db.withSession(7 as never)).toThrow(TypeError);
  });

  it("dumps the database as the bytes of a SQLite file", async () => {
    await db.prepare("INSERT INTO users (name) VALUES ('dumped')").run();
    const bytes = await db.dump();
    expect(bytes).toBeInstanceOf(ArrayBuffer);
    const copy = new Database(Buffer.from(bytes));
    expect(copy.prepare("SELECT name FROM users").all()).toEqual([{ name: "dumped" }]);
    copy.close();
  });
});
