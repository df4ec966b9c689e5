// End-to-end: `cairn start --storage postgres://…` with KV and D1 bindings. KV lives in a table
// in the storage URL's schema on the PostgreSQL server, shared by every process on it (D1 stays
// in SQLite files under the state folder); two processes started at once on a new schema both
// come up; writes survive SIGKILL.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";
import { CairnProcess } from "./helpers/cairn-process.js";
import { copyFixture, getJson, postJson, removeProjects, waitForHttpStatus } from "./helpers/projects.js";

let db: TestDatabase;
const dataDirs: string[] = [];
beforeAll(async () => {
  db = await openTestDatabase();
}, 120_000);
afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  await db?.close();
});

describe("KV and D1 with cairn start on PostgreSQL", () => {
  it("keeps KV in the schema's table and D1 in the state folder across SIGKILL", async () => {
    const dir = copyFixture("storage-project");
    const schema = db.newSchema("kvhost");
    const stateDir = (name: string) => {
      const made = mkdtempSync(join(tmpdir(), `cairn-kv-${name}-`));
      dataDirs.push(made);
      return made;
    };
    const argsFor = (state: string) => [
      ...["start", "--port", "0", "--admin-port", "0", "--no-crons"],
      ...["--storage", `${db.url}?schema=${schema}`, "--state", state],
    ];
    const args = argsFor(stateDir("first"));

    // Two processes on a new schema at the same moment: both create their tables without failing.
    // The twin has a state folder of its own, so only PostgreSQL joins them.
    const first = CairnProcess.start(args, dir);
    const twin = CairnProcess.start(argsFor(stateDir("twin")), dir);
    let url = await first.ready();
    const twinUrl = await twin.ready();

    await fetch(`${url}/kv/greeting`, { method: "PUT", body: "from postgres" });
    expect((await getJson(twinUrl, "/kv/greeting")).body).toMatchObject({ value: "from postgres" });
    // The twin goes before the workflow starts: on one PostgreSQL either process may run the
    // instance, and the twin's D1 file is in its own state folder.
    await twin.kill("SIGKILL");
    await postJson(url, "/notes/pg%20note", {});
    await postJson(url, "/flow/pg-flow", {});
    await waitForHttpStatus(url, "/flow/pg-flow", "complete");

    await first.kill("SIGKILL");

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT convert_from(key, 'UTF8') AS key FROM "${schema}".kv_entries ORDER BY key`,
      );
      expect(rows.map((r) => r.key)).toEqual(["flow:pg-flow", "greeting"]);
    } finally {
      await client.end();
    }

    const second = CairnProcess.start(args, dir);
    url = await second.ready();
    expect((await getJson(url, "/kv/greeting")).body).toEqual({
      value: "from postgres",
      metadata: { by: "fetch" },
      cacheStatus: null,
    });
    expect((await getJson(url, "/kv/flow:pg-flow")).body).toMatchObject({ metadata: { by: "workflow" } });
    expect((await getJson(url, "/notes")).body).toEqual([
      { text: "pg note", source: "fetch" },
      { text: "flow pg-flow", source: "workflow" },
    ]);
  });
});
