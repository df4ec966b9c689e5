// The HTTP API of an operator process on PostgreSQL: it runs no instances and knows the
// workflows by name only, while a worker process on the same database runs them. Creating and
// controlling through the API reaches the worker, and the SSE feed shows the worker's changes.

import { Cairn } from "cairn";
import { waitUntil } from "cairn/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";
import { type ApiServer, startApiServer } from "./helpers/api-server.js";
import { workflows } from "./workflows.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
}, 120_000);
afterAll(async () => {
  await db?.close();
});

const A = "/client/v4/accounts/ops/workflows";

describe("the HTTP API on PostgreSQL", () => {
  it("serves from a process that runs nothing: creates reach the worker, its changes reach the feed", async () => {
    const schema = db.newSchema("api");
    const worker = await Cairn.open({ storage: db.url, postgresSchema: schema, workflows });
    let operator: ApiServer<Record<string, { name: string }>> | undefined;
    const controller = new AbortController();
    try {
      operator = await startApiServer(
        { ORDERS: { name: "orders" }, QUICK: { name: "quick" } },
        { storage: db.url, open: { postgresSchema: schema, runInstances: false } },
      );
      const feed = await fetch(`${operator.url}/cairn/api/changes?workflow=quick`, {
        signal: controller.signal,
      });
      const reader = feed.body!.getReader();
      let text = "";
      const reading = (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          text += new TextDecoder().decode(value);
        }
      })().catch(() => {});
      await waitUntil(() => operator!.cairn.engine.changes.watching, Boolean, { what: "the feed watching" });

      const created = await operator.call("POST", `${A}/quick/instances`, { instance_id: "pg-1" });
      expect(created.body.result.id).toBe("pg-1");
      await waitUntil(
        async () => (await operator!.call("GET", `${A}/quick/instances/pg-1`)).body.result.status,
        (s) => s === "complete",
        { what: "the worker completing pg-1" },
      );
      await waitUntil(
        () => text,
        (t) => /"id":"pg-1","status":"complete"/.test(t),
        { what: "completion on the feed" },
      );

      await operator.call("POST", `${A}/orders/instances`, { instance_id: "pg-2" });
      await waitUntil(
        async () => (await operator!.call("GET", `${A}/orders/instances/pg-2`)).body.result,
        (r) => r.status === "waiting" && r.steps.length === 5,
        { what: "pg-2 waiting with its steps" },
      );
      await operator.call("POST", `${A}/orders/instances/pg-2/events/approve`, { ok: true });
      await waitUntil(
        async () => (await operator!.call("GET", `${A}/orders/instances/pg-2`)).body.result.output,
        (o) => o?.approved === true,
        { what: "pg-2 complete with the event's payload" },
      );
      const list = await operator.call("GET", `${A}/orders/instances?status=complete`);
      expect(list.body.result.map((i: { id: string }) => i.id)).toEqual(["pg-2"]);
      controller.abort();
      await reading;
    } finally {
      controller.abort();
      await operator?.close();
      await worker.close();
    }
  });
});
