// Metrics on a real PostgreSQL shared by several processes' Cairns: a Cairn that takes over an
// instance whose holder shut down mid-step counts a lease takeover; round trips and the pool's
// connections are reported; and the store-wide instance counts read the same from every Cairn
// on the store, including one that runs nothing.

import {
  Cairn,
  type EngineOptionsInput,
  WorkflowEntrypoint,
  type WorkflowEvent,
  type WorkflowStep,
} from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";
import { parseExposition } from "../helpers/prometheus.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

/** Attempts begun of the "hold" step; each waits until `release` is called. */
let begun = 0;
let release: () => void = () => {};
const released = new Promise<void>((resolve) => {
  release = resolve;
});

class Holds extends WorkflowEntrypoint {
  async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    // An attempt cut short by its process's shutdown counts as failed: its retry comes 10 ms later.
    return step.do("hold", { retries: { limit: 2, delay: 10, backoff: "constant" } }, async () => {
      begun += 1;
      await released;
      return "held";
    });
  }
}

const workflows = { HOLDS: { name: "holds", class: Holds } };

describe("metrics on PostgreSQL", () => {
  it("count a lease takeover, round trips and pool use; store-wide counts agree across Cairns", async () => {
    const storage = `${db.url}${db.url.includes("?") ? "&" : "?"}schema=${db.newSchema("metrics")}`;
    const opened: Cairn<typeof workflows>[] = [];
    const open = async (options: EngineOptionsInput = {}) => {
      const cairn = await Cairn.open({ storage, workflows, postgresPoolSize: 4, ...options });
      opened.push(cairn);
      return cairn;
    };
    try {
      const first = await open({ shutdownGraceMs: 50 });
      const handle = await first.env.HOLDS.create({ id: "p1" });
      await waitUntil(
        () => begun,
        (n) => n === 1,
        { what: "the first attempt" },
      );
      const second = await open();
      const reader = await open({ runInstances: false });
      // The first Cairn gives up its attempt after the grace period and releases the lease.
      await first.close();
      await waitUntil(
        () => begun,
        (n) => n === 2,
        { what: "the second Cairn's attempt" },
      );
      release();
      await waitForStatus(await second.env.HOLDS.get(handle.id), "complete");

      const m = parseExposition(await second.metrics());
      expect(m.value("cairn_lease_takeovers_total", { workflow: "holds" })).toBe(1);
      expect(m.value("cairn_instances_started_total", { workflow: "holds" })).toBe(0);
      expect(m.value("cairn_instances_finished_total", { workflow: "holds", outcome: "complete" })).toBe(1);
      expect(m.value("cairn_postgres_round_trips_total")).toBeGreaterThan(0);
      expect(m.value("cairn_postgres_pool_max_connections")).toBe(4);
      expect(m.value("cairn_postgres_pool_connections")).toBeGreaterThan(0);
      expect(m.value("cairn_postgres_pool_waiting_requests")).toBe(0);
      expect(m.family("cairn_sqlite_commit_duration_seconds")).toBeUndefined();

      const r = parseExposition(await reader.metrics());
      for (const status of ["complete", "running", "queued"]) {
        const labels = { workflow: "holds", status };
        expect(r.value("cairn_instances", labels)).toBe(m.value("cairn_instances", labels));
      }
      expect(r.value("cairn_instances", { workflow: "holds", status: "complete" })).toBe(1);
      expect(r.value("cairn_lease_takeovers_total", { workflow: "holds" })).toBe(0);
    } finally {
      release();
      for (const cairn of opened) await cairn.close();
    }
  });
});
