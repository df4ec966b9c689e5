// Introspected instances on a PostgreSQL shared by several processes run only in the process
// that holds their mocks. Two Cairns on one schema stand for two processes (each is its own lease
// owner): A introspects, B is a hungry worker with free slots. Instances A creates while it is
// busy are left for A, never run by B; an instance that B is running when A attaches to it is
// taken away from B and finished by A.

import { type Cairn, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { introspectWorkflowInstance, waitUntil } from "cairn/testing";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { deferred } from "../helpers/steps-harness.js";
import { useCairns } from "./harness.js";

/** Holds each instance at its "hold" step until the test lets it go. */
const gates = new Map<string, ReturnType<typeof deferred<void>>>();
const gate = (id: string) => {
  let g = gates.get(id);
  if (!g) {
    g = deferred<void>();
    gates.set(id, g);
  }
  return g.promise;
};
/** Which process started each instance's "hold" step, in order. */
const holders = new Map<string, string[]>();

type Output = { where: string; mocked: string; holder: string };

class Pinning extends WorkflowEntrypoint<{ TAG: string }> {
  override async run(event: WorkflowEvent<unknown>, step: WorkflowStep): Promise<Output> {
    const where = await step.do("where", async () => this.env.TAG);
    const mocked = await step.do("mocked", async () => "real");
    const holder = await step.do("hold", async () => {
      holders.set(event.instanceId, [...(holders.get(event.instanceId) ?? []), this.env.TAG]);
      await gate(event.instanceId);
      return this.env.TAG;
    });
    return { where, mocked, holder };
  }
}

const workflows = { PINNING: { name: "pinning", class: Pinning } };
const cairns = useCairns(["postgres"]);

describe("introspected instances on a shared PostgreSQL", () => {
  let a: Cairn<typeof workflows, { TAG: string }>;
  let b: Cairn<typeof workflows, { TAG: string }>;
  let schema: string;

  beforeAll(async () => {
    const storage = cairns.storage("postgres");
    schema = new URL(storage).searchParams.get("schema") ?? "";
    // A runs one instance at a time; B has room for many. Both let nothing linger at close.
    a = await cairns.open({ storage, workflows, env: { TAG: "A" }, maxRunning: 1, shutdownGraceMs: 0 });
    b = await cairns.open({ storage, workflows, env: { TAG: "B" }, shutdownGraceMs: 0 });
  });
  afterEach(() => {
    for (const g of gates.values()) g.resolve();
  });

  const output = async (cairn: typeof a, id: string) =>
    (await waitUntil(
      () => cairn.env.PINNING.get(id).then((i) => i.status()),
      (s) => s.status === "complete" || s.status === "errored",
      { what: `instance ${id} to finish` },
    )) as { status: string; output?: Output };

  it("runs the instances A introspects in A only, while B takes the others", async () => {
    const pinned = ["pinned-1", "pinned-2", "pinned-3"];
    const plain = ["plain-1", "plain-2", "plain-3"];
    const introspected = [];
    for (const id of pinned) {
      const instance = await introspectWorkflowInstance(a.env.PINNING, id);
      await instance.modify(async (m) => {
        await m.mockStepResult({ name: "mocked" }, "mock");
      });
      introspected.push(instance);
    }
    try {
      // The pinned ones are older, so A's one slot goes to pinned-1; the plain ones go to B.
      await a.env.PINNING.createBatch(pinned.map((id) => ({ id })));
      await a.env.PINNING.createBatch(plain.map((id) => ({ id })));
      const rows = await cairns.database.query<{ id: string; affinity: string | null }>(
        `SELECT id, affinity FROM "${schema}".instances ORDER BY id`,
      );
      expect(Object.fromEntries(rows.map((r) => [r.id, r.affinity]))).toEqual({
        ...Object.fromEntries(pinned.map((id) => [id, a.engine.owner])),
        ...Object.fromEntries(plain.map((id) => [id, null])),
      });

      // B runs every plain instance (and has free slots left) while pinned-2 and -3 wait for A.
      await waitUntil(
        () => [...plain, ...pinned].map((id) => holders.get(id)?.join(",") ?? ""),
        (h) => h.slice(0, 3).every((x) => x === "B") && h[3] === "A",
        { what: "B to hold every plain instance and A pinned-1" },
      );
      for (const id of pinned.slice(1)) {
        expect((await (await a.env.PINNING.get(id)).status()).status).toBe("queued");
      }

      for (const id of [...plain, ...pinned]) {
        void gate(id);
        gates.get(id)?.resolve();
      }
      for (const id of plain) {
        expect((await output(b, id)).output).toEqual({ where: "B", mocked: "real", holder: "B" });
      }
      for (const id of pinned) {
        expect((await output(a, id)).output).toEqual({ where: "A", mocked: "mock", holder: "A" });
        expect(holders.get(id)).toEqual(["A"]);
      }
    } finally {
      for (const instance of introspected) await instance.dispose();
    }
  });

  it("takes an instance B is running away from B when A introspects it, and finishes it in A", async () => {
    // A's one slot is busy with an instance of its own, so the next instance can only go to B.
    await using blocker = await introspectWorkflowInstance(a.env.PINNING, "blocker");
    await a.env.PINNING.create({ id: "blocker" });
    await waitUntil(
      () => holders.get("blocker") ?? [],
      (h) => h.length === 1,
      { what: "A to hold its blocker" },
    );
    const id = "taken-over";
    await b.env.PINNING.create({ id });
    await waitUntil(
      () => holders.get(id) ?? [],
      (h) => h.length === 1,
      { what: "B to start holding the instance" },
    );
    expect(holders.get(id)).toEqual(["B"]);
    // A step runs before its attempt's start is committed (starts go out with the next group
    // commit); the attempt in flight is B's once the store has it open.
    await waitUntil(
      async () => (await b.inspect.log("pinning", id)).map((e) => e.type),
      (types) => types.at(-1) === "ATTEMPT_START",
      { what: "B's attempt in flight to be in the store" },
    );

    // Attaching revokes B's lease: the instance waits for A (B cannot take it back), and A takes
    // it over once its slot is free, running its "hold" step again.
    await using instance = await introspectWorkflowInstance(a.env.PINNING, id);
    // The attempt B had in flight counts as failed (A12); no need to wait out its retry delay.
    await instance.modify(async (m) => {
      await m.disableRetryDelays();
    });
    const row = async () =>
      (
        await cairns.database.query<{ affinity: string; lease_owner: string | null }>(
          `SELECT affinity, lease_owner FROM "${schema}".instances WHERE id = $1`,
          [id],
        )
      )[0];
    expect(await row()).toEqual({ affinity: a.engine.owner, lease_owner: null });
    gates.get("blocker")?.resolve();
    await blocker.waitForStatus("complete");
    await waitUntil(
      () => holders.get(id) ?? [],
      (h) => h.length === 2,
      { what: "A to take the instance over" },
    );
    expect(holders.get(id)).toEqual(["B", "A"]);
    expect((await row())?.lease_owner).toBe(a.engine.owner);
    gates.get(id)?.resolve();
    await instance.waitForStatus("complete");
    // Steps B finished before the take-over keep B's results; the rest are A's.
    expect(await instance.getOutput()).toEqual({ where: "B", mocked: "real", holder: "A" });
    const log = await a.inspect.log("pinning", id);
    expect(log.filter((e) => e.type === "ATTEMPT_FAILURE").map((e) => e.data?.error)).toEqual([
      { name: "WorkflowInternalError", message: "Attempt failed due to internal workflows error" },
    ]);
  });
});
