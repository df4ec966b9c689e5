// `cairn.inspect.watch` on a real SQLite file: live changes (created, status, step, deleted) in
// order and filtered, step changes built only while someone watches, catch-up from a cursor
// after a reopen (changed, running and deleted instances), resync when too far behind.

import { Cairn, FakeClock, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { InstanceChange } from "../../src/engine/changes.js";
import { WorkflowsError } from "../../src/errors.js";
import type { WatchedChange } from "../../src/inspect/types.js";
import { tempDir } from "../helpers/temp-store.js";

class TwoSteps extends WorkflowEntrypoint {
  override async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.do("first", async () => 1);
    await step.do("second", async () => 2);
    return "done";
  }
}

class Waits extends WorkflowEntrypoint {
  override async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    await step.waitForEvent("go", { type: "go", timeout: "1 hour" });
  }
}

const workflows = { TWO: { name: "two", class: TwoSteps }, WAITS: { name: "waits", class: Waits } };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function open(dbPath?: string) {
  const dir = dbPath ? null : tempDir();
  const path = dbPath ?? dir!.dbPath;
  const cairn = await Cairn.open({ storage: `sqlite:${path}`, workflows });
  if (dir) cleanups.push(dir.cleanup);
  cleanups.push(() => cairn.close());
  return { cairn, path };
}

const brief = (c: WatchedChange) =>
  c.type === "step"
    ? `${c.id} step ${c.step.name} ${c.step.status}`
    : c.type === "status"
      ? `${c.id} ${c.status}`
      : c.type === "resync"
        ? "resync"
        : `${c.id} ${c.type}`;

describe("cairn.inspect.watch", () => {
  it("delivers created, status and step changes of every instance, in order", async () => {
    const { cairn } = await open();
    const seen: WatchedChange[] = [];
    const watch = cairn.inspect.watch((c) => seen.push(c));
    await watch.ready;
    const instance = await cairn.env.TWO.create({ id: "t1" });
    await waitForStatus(instance, "complete");
    await waitUntil(() => seen.some((c) => c.type === "status" && c.status === "complete"), Boolean);
    expect(seen.map(brief)).toEqual([
      "t1 created",
      "t1 running",
      "t1 step first succeeded",
      "t1 step second succeeded",
      "t1 complete",
    ]);
    for (const c of seen) expect(c.cursor).toBe(String(c.at));
    await instance.delete();
    await waitUntil(() => seen.some((c) => c.type === "deleted"), Boolean);
    expect(seen.at(-1)).toMatchObject({ type: "deleted", workflow: "two", id: "t1" });
    watch.close();
  });

  it("filters by workflow and by instance, and stops after close", async () => {
    const { cairn } = await open();
    const byWorkflow: WatchedChange[] = [];
    const byId: WatchedChange[] = [];
    const a = cairn.inspect.watch((c) => byWorkflow.push(c), { workflow: "waits" });
    const b = cairn.inspect.watch((c) => byId.push(c), { workflow: "two", id: "mine" });
    await waitForStatus(await cairn.env.TWO.create({ id: "other" }), "complete");
    await waitForStatus(await cairn.env.TWO.create({ id: "mine" }), "complete");
    const waiter = await cairn.env.WAITS.create({ id: "w1" });
    await waitForStatus(waiter, "waiting");
    await waitUntil(() => byWorkflow.some((c) => c.type === "status" && c.status === "waiting"), Boolean);
    expect(
      new Set(byWorkflow.map((c) => `${"workflow" in c ? c.workflow : ""}/${"id" in c ? c.id : ""}`)),
    ).toEqual(new Set(["waits/w1"]));
    expect(new Set(byId.map((c) => ("id" in c ? c.id : "")))).toEqual(new Set(["mine"]));
    a.close();
    b.close();
    const count = byWorkflow.length;
    await waiter.terminate();
    expect(byWorkflow.length).toBe(count);
    expect(() => cairn.inspect.watch(() => {}, { workflow: "nope" })).toThrow(/no workflow named "nope"/);
  });

  it("builds step changes only while someone watches", async () => {
    const { cairn } = await open();
    const hub = cairn.engine.changes;
    const emitted: InstanceChange[] = [];
    const emit = hub.emit.bind(hub);
    hub.emit = (change) => {
      emitted.push(change);
      emit(change);
    };
    await waitForStatus(await cairn.env.TWO.create({ id: "quiet" }), "complete");
    expect(emitted.filter((c) => c.type === "step")).toEqual([]);
    const watch = cairn.inspect.watch(() => {});
    await waitForStatus(await cairn.env.TWO.create({ id: "watched" }), "complete");
    expect(emitted.filter((c) => c.type === "step").map((c) => c.id)).toEqual(["watched", "watched"]);
    watch.close();
  });

  it("catches up from a cursor after a reopen: changed, running and deleted instances", async () => {
    const first = await open();
    const seen: WatchedChange[] = [];
    const live = first.cairn.inspect.watch((c) => seen.push(c));
    await waitForStatus(await first.cairn.env.TWO.create({ id: "before" }), "complete");
    await waitUntil(() => seen.some((c) => c.type === "status" && c.status === "complete"), Boolean);
    const cursor = seen.at(-1)!.cursor;
    live.close();
    await first.cairn.close();

    // Meanwhile (the watcher is away): one instance created and finished, one deleted, one waiting.
    const second = await open(first.path);
    await waitForStatus(await second.cairn.env.TWO.create({ id: "during" }), "complete");
    await (await second.cairn.env.TWO.get("before")).delete();
    await waitForStatus(await second.cairn.env.WAITS.create({ id: "waiting" }), "waiting");
    const caught: WatchedChange[] = [];
    const watch = second.cairn.inspect.watch((c) => caught.push(c), { since: cursor });
    await watch.ready;
    // A live change may repeat one of the catch-up (the feed is "read this instance again").
    expect(new Set(caught.map(brief))).toEqual(
      new Set(["before deleted", "during complete", "waiting waiting"]),
    );
    for (let i = 1; i < caught.length; i++) expect(caught[i]!.at).toBeGreaterThanOrEqual(caught[i - 1]!.at);
    // Live changes follow the catch-up.
    await (await second.cairn.env.WAITS.get("waiting")).terminate();
    await waitUntil(() => caught.some((c) => c.type === "status" && c.status === "terminated"), Boolean);
    watch.close();
  });

  it("asks a watcher too far behind to resync, and refuses a cursor it did not give", async () => {
    const { cairn } = await open();
    const seen: WatchedChange[] = [];
    const watch = cairn.inspect.watch((c) => seen.push(c), { since: "1" });
    await watch.ready;
    expect(seen.map((c) => c.type)).toEqual(["resync"]);
    watch.close();
    const bad = (() => {
      try {
        cairn.inspect.watch(() => {}, { since: "yesterday" });
      } catch (error) {
        return error;
      }
    })();
    expect(WorkflowsError.is(bad) && bad.code).toBe("query.invalid");
  });

  it("reports instances that retention deletes", async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const clock = new FakeClock();
    const cairn = await Cairn.open({
      storage: `sqlite:${dir.dbPath}`,
      workflows: { TWO: { name: "two", class: TwoSteps, retention: { successRetention: "1 minute" } } },
      clock,
      sweepIntervalMs: 1_000,
    });
    cleanups.push(() => cairn.close());
    const seen: WatchedChange[] = [];
    const watch = cairn.inspect.watch((c) => seen.push(c), { workflow: "two" });
    await waitForStatus(await cairn.env.TWO.create({ id: "short-lived" }), "complete");
    await waitUntil(
      () => {
        clock.advance(1_000);
        return seen;
      },
      (changes) => changes.some((c) => c.type === "deleted"),
      { what: "the retention sweep to delete the instance" },
    );
    expect(seen.find((c) => c.type === "deleted")).toMatchObject({ workflow: "two", id: "short-lived" });
    watch.close();
  });

  it("refuses a listener that is not a function, and an id without its workflow", async () => {
    const { cairn } = await open();
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return WorkflowsError.is(error) ? error.code : String(error);
      }
    };
    expect(code(() => cairn.inspect.watch("nope" as never))).toBe("query.invalid");
    expect(code(() => cairn.inspect.watch(() => {}, null as never))).toBe("query.invalid");
    expect(code(() => cairn.inspect.watch(() => {}, { id: "x" }))).toBe("query.invalid");
  });
});
