// A graceful close leaves no lease behind on a shared PostgreSQL: a claim that arrives after the
// scheduler stopped, an activation still loading its journal, and a run given up after
// `shutdownGraceMs` all have their leases released, so the next process runs those instances
// at once. Leases here are a minute long; every wait below is bounded far below that.

import { Cairn, type Store, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/storage/open-store.js";
import { openTestDatabase, type TestDatabase } from "../helpers/postgres-server.js";

type Params = { hold?: boolean; wait?: boolean };
type Env = { RAN: string[]; HOLD: boolean };

/** "first" hangs forever in a process whose env says HOLD; then it may wait for "go". */
class Steps extends WorkflowEntrypoint<Env, Params> {
  async run(event: WorkflowEvent<Params>, step: WorkflowStep) {
    // A short retry delay: an attempt given up at a close is retried at once by the next process.
    const retries = { limit: 3, delay: 10, backoff: "constant" as const };
    const first = await step.do("first", { retries }, async () => {
      this.env.RAN.push(event.instanceId);
      if (event.payload.hold && this.env.HOLD) await new Promise(() => {});
      return "first";
    });
    if (event.payload.wait) await step.waitForEvent("go", { type: "go", timeout: "1 hour" });
    return first;
  }
}

const workflows = { STEPS: { name: "steps", class: Steps } };
const LEASE_MS = 60_000;
/** Far below LEASE_MS: an instance whose lease was left behind would not run within it. */
const BOUND = { timeoutMs: 8000 };

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe("close() on PostgreSQL", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });

  /** Opens a process on `schema`; `storage` replaces the store (to hold its journal loads). */
  async function processOn(
    schema: string,
    options: { hold?: boolean; storage?: Store; graceMs?: number } = {},
  ) {
    const env: Env = { RAN: [], HOLD: options.hold ?? false };
    const cairn = await Cairn.open({
      storage: options.storage ?? db.url,
      postgresSchema: schema,
      workflows,
      env,
      leaseMs: LEASE_MS,
      shutdownGraceMs: options.graceMs ?? 30_000,
      onError: () => {},
    });
    cleanups.push(() => cairn.close());
    return Object.assign(cairn, { ran: env.RAN });
  }

  /** A store on `schema` whose journal loads wait until `open()`; `loading` tells when one began. */
  async function heldJournalStore(schema: string) {
    const store = await openStore(db.url, { postgresSchema: schema }, Date.now());
    let loading = false;
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const held = new Proxy(store, {
      get(target, prop) {
        if (prop === "loadJournal") {
          return async (seq: number) => {
            loading = true;
            await gate;
            return target.loadJournal(seq);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    return { store: held, loading: () => loading, open: () => open() };
  }

  it("releases the lease of an instance claimed just before the close", async () => {
    const schema = db.newSchema("closeclaim");
    const first = await processOn(schema);
    await first.env.STEPS.create({ id: "a" });
    await first.close();
    const next = await processOn(schema);
    const instance = await next.env.STEPS.get("a");
    expect(await waitForStatus(instance, "complete", BOUND)).toEqual({ status: "complete", output: "first" });
  });

  it("releases the lease of an instance whose journal was still loading", async () => {
    const schema = db.newSchema("closeload");
    const first = await processOn(schema);
    await waitForStatus(await first.env.STEPS.create({ id: "b", params: { wait: true } }), "waiting");
    await first.close();

    const held = await heldJournalStore(schema);
    const loader = await processOn(schema, { storage: held.store });
    await (await loader.env.STEPS.get("b")).sendEvent({ type: "go", payload: null });
    await waitUntil(held.loading, (loading) => loading, { what: "the woken instance's journal load" });
    await loader.close();
    held.open();

    const next = await processOn(schema);
    expect(await waitForStatus(await next.env.STEPS.get("b"), "complete", BOUND)).toEqual({
      status: "complete",
      output: "first",
    });
  });

  it("releases the lease of an instance to roll back whose journal was still loading", async () => {
    const schema = db.newSchema("closeroll");
    const first = await processOn(schema);
    await waitForStatus(await first.env.STEPS.create({ id: "r", params: { wait: true } }), "waiting");
    await first.close();

    const held = await heldJournalStore(schema);
    const loader = await processOn(schema, { storage: held.store, graceMs: 100 });
    await (await loader.env.STEPS.get("r")).terminate({ rollback: true });
    await waitUntil(held.loading, (loading) => loading, { what: "the rollback's journal load" });
    await loader.close();
    held.open();

    const next = await processOn(schema);
    await waitForStatus(await next.env.STEPS.get("r"), "terminated", BOUND);
  });

  it("releases the lease of a run given up after shutdownGraceMs", async () => {
    const schema = db.newSchema("closegrace");
    const first = await processOn(schema, { hold: true, graceMs: 100 });
    await first.env.STEPS.create({ id: "c", params: { hold: true } });
    await waitUntil(
      () => first.ran,
      (ran) => ran.includes("c"),
      { what: "the held step to start" },
    );
    await first.close();

    // The given-up attempt counts as failed; the next process runs the next one at once.
    const next = await processOn(schema);
    expect(await waitForStatus(await next.env.STEPS.get("c"), "complete", BOUND)).toEqual({
      status: "complete",
      output: "first",
    });
    expect(next.ran).toEqual(["c"]);
    expect(next.ran).toEqual(["c"]);
  });
});
