// A SQLite file Cairn cannot use, found at open: garbage bytes, a text file, a database cut short,
// a database with a damaged page, and a database from a newer Cairn. `Cairn.open` refuses each
// with an error naming the file and the cause (SQLite's own code for a damaged file), and leaves
// the file's bytes as they were; `cairn start` exits non-zero with that one line, no stack trace.

import { copyFileSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Cairn, WorkflowEntrypoint } from "cairn";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WorkflowsError } from "../../src/errors.js";
import { tempDir } from "../helpers/temp-store.js";
import { CairnProcess } from "../host/helpers/cairn-process.js";
import { copyFixture, removeProjects } from "../host/helpers/projects.js";

class Noop extends WorkflowEntrypoint {
  override async run() {
    return 1;
  }
}

const tmp = tempDir("cairn-corrupt-");
beforeAll(makeGood);
afterAll(tmp.cleanup);
afterAll(removeProjects);
afterEach(() => CairnProcess.killAll());

const open = (path: string) =>
  Cairn.open({ storage: `sqlite:${path}`, workflows: { NOOP: { name: "noop", class: Noop } } });

/** A good Cairn database file, closed, to damage in copies. */
const good = join(tmp.dir, "good.db");
async function makeGood() {
  const cairn = await open(good);
  for (let i = 0; i < 50; i++)
    await cairn.env.NOOP.create({ id: `i-${i}`, params: { pad: "p".repeat(500) } });
  await cairn.close();
}

/** Each broken file, made from nothing or from a copy of the good one. */
const broken: Record<string, (path: string) => void> = {
  "garbage bytes": (path) => writeFileSync(path, Buffer.alloc(8192, 0x5a)),
  "a text file": (path) => writeFileSync(path, "name,amount\nada,42\n"),
  "a database cut short": (path) => {
    copyFileSync(good, path);
    truncateSync(path, Math.floor(statSync(path).size / 2));
  },
  "a database with a damaged page": (path) => {
    const bytes = readFileSync(good);
    bytes.fill(0x33, 4096, 8192);
    writeFileSync(path, bytes);
  },
};

const cause: Record<string, RegExp> = {
  "garbage bytes": /\(SQLITE_NOTADB: file is not a database\)/,
  "a text file": /\(SQLITE_NOTADB: file is not a database\)/,
  "a database cut short": /\(SQLITE_CORRUPT\w*: database disk image is malformed\)/,
  "a database with a damaged page": /\(SQLITE_CORRUPT\w*: database disk image is malformed\)/,
};

describe("a SQLite file that cannot be used, at open", () => {
  it.each(Object.keys(broken))(
    "refuses %s with storage.corrupt naming the file, and leaves it as it is",
    async (name) => {
      const path = join(tmp.dir, `${name.replace(/\W+/g, "-")}.db`);
      broken[name]!(path);
      const before = readFileSync(path);

      const error = await open(path).then(
        () => null,
        (e: unknown) => e,
      );
      expect(WorkflowsError.is(error) && error.code).toBe("storage.corrupt");
      const message = (error as Error).message;
      expect(message).toContain(`the SQLite file ${path} cannot be read`);
      expect(message).toMatch(cause[name]!);
      expect(message).toContain("restore it from a backup");
      expect(readFileSync(path).equals(before)).toBe(true);
    },
  );

  it("refuses a database from a newer Cairn, naming the file and both versions", async () => {
    const path = join(tmp.dir, "newer.db");
    copyFileSync(good, path);
    const db = new Database(path);
    db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)").run();
    db.close();
    await expect(open(path)).rejects.toThrow(
      new RegExp(
        `^\\(storage\\.migration_failed\\) cannot open ${path}: the database is at schema version 999, newer than this Cairn \\(\\d+\\); upgrade Cairn$`,
      ),
    );
  });

  it("makes cairn start exit non-zero with one line naming the file and the cause", async () => {
    const path = join(tmp.dir, "start.db");
    writeFileSync(path, Buffer.alloc(4096, 0x5a));
    const dir = copyFixture("two-workflows-toml");
    const cairn = CairnProcess.start(
      ["start", "--port", "0", "--admin-port", "0", "--storage", `sqlite:${path}`],
      dir,
    );
    expect((await cairn.exited).code).toBe(1);
    expect(cairn.stderr).toMatch(
      new RegExp(
        `^cairn start: \\(storage\\.corrupt\\) the SQLite file ${path} cannot be read \\(SQLITE_NOTADB: file is not a database\\)`,
        "m",
      ),
    );
    expect(cairn.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(path).equals(Buffer.alloc(4096, 0x5a))).toBe(true);
  });
});
