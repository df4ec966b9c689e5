// cairn.metrics() for a library user: a Cairn on a real SQLite file with a FakeClock runs
// instances through a retry, a sleep, an event, a failure and a terminate, and the exposition,
// parsed by a Prometheus text-format parser, counts each of them under bounded labels only.
// Two Cairns in one process keep their own counts, and `metrics: false` collects nothing.

import { FakeClock, WorkflowsError } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { useLifecycleHarness } from "../helpers/lifecycle-harness.js";
import { parseExposition } from "../helpers/prometheus.js";
import { Story } from "./story-workflow.js";

const MINUTE = 60_000;
const workflows = { STORY: { name: "story", class: Story } };

describe("cairn.metrics()", () => {
  const h = useLifecycleHarness();

  it("counts runs, attempts, retries, sleeps, events and finishes per workflow", async () => {
    const clock = new FakeClock();
    const cairn = await h.open({ workflows, clock, hibernateAfterMs: 10 * MINUTE });
    const ids = ["ok1", "bad1", "t1"];
    const handles = await Promise.all(ids.map((id) => cairn.env.STORY.create({ id })));
    const story = { workflow: "story" };
    const scrape = async () => parseExposition(await cairn.metrics());

    // Every instance's first attempt of "flaky" fails; its retry is due 10 ms later.
    await waitUntil(scrape, (m) => m.value("cairn_step_retries_total", story) === 3, { what: "3 retries" });
    clock.advance(10);
    await waitUntil(scrape, (m) => m.value("cairn_step_attempts_total", { outcome: "success" }) === 3, {
      what: "the retries' successes",
    });
    // The events are sent while the instances sleep: each waits a minute for its wait.
    await handles[0]!.sendEvent({ type: "go", payload: "ok" });
    await handles[1]!.sendEvent({ type: "go", payload: "fail" });
    clock.advance(MINUTE);
    await waitForStatus(handles[0]!, "complete");
    await waitForStatus(handles[1]!, "errored");
    await handles[2]!.terminate();

    const m = await scrape();
    expect(m.value("cairn_instances_created_total", story)).toBe(3);
    expect(m.value("cairn_instances_started_total", story)).toBe(3);
    for (const outcome of ["complete", "errored", "terminated"]) {
      expect(m.value("cairn_instances_finished_total", { ...story, outcome })).toBe(1);
    }
    expect(m.value("cairn_step_attempts_total", { ...story, outcome: "success" })).toBe(4);
    expect(m.value("cairn_step_attempts_total", { ...story, outcome: "failure" })).toBe(4);
    expect(m.value("cairn_step_attempts_total", { ...story, outcome: "timeout" })).toBe(0);
    expect(m.count("cairn_step_attempt_duration_seconds", { ...story, outcome: "success" })).toBe(4);
    expect(m.value("cairn_step_retries_total", story)).toBe(3);
    // The clock did not move past the wake-up time: every sleep resumed on time.
    expect(m.count("cairn_sleep_wake_lateness_seconds", story)).toBe(3);
    expect(m.sum("cairn_sleep_wake_lateness_seconds", story)).toBe(0);
    expect(m.count("cairn_event_delivery_seconds", story)).toBe(2);
    expect(m.sum("cairn_event_delivery_seconds", story)).toBe(120);
    expect(m.value("cairn_lease_takeovers_total", story)).toBe(0);

    // Store-wide counts and the running slots against the caps.
    expect(m.value("cairn_instances", { ...story, status: "complete" })).toBe(1);
    expect(m.value("cairn_instances", { ...story, status: "errored" })).toBe(1);
    expect(m.value("cairn_instances", { ...story, status: "terminated" })).toBe(1);
    expect(m.value("cairn_instances", { ...story, status: "queued" })).toBe(0);
    expect(m.value("cairn_queue_depth", story)).toBe(0);
    expect(m.value("cairn_running_instances", story)).toBe(0);
    expect(m.value("cairn_running_instances_workflow_limit", story)).toBeGreaterThan(0);
    expect(m.value("cairn_running_instances_limit")).toBeGreaterThan(0);

    // The SQLite writer's group commits, and Node.js's own metrics.
    expect(m.count("cairn_sqlite_commit_duration_seconds")).toBeGreaterThan(0);
    expect(m.count("cairn_sqlite_commit_writes")).toBe(m.count("cairn_sqlite_commit_duration_seconds"));
    expect(m.family("nodejs_eventloop_lag_seconds")).toBeDefined();
    expect(m.family("cairn_postgres_round_trips_total")).toBeUndefined();

    // Bounded labels only: no instance id, step name or event type anywhere in Cairn's metrics.
    const cairnSamples = m.families
      .filter((f) => f.name.startsWith("cairn_"))
      .flatMap((f) => (f.type === "HISTOGRAM" ? ["_bucket", "_sum", "_count"] : [""]).map((s) => f.name + s))
      .flatMap((name) => m.samples(name));
    const labels = new Set(cairnSamples.flatMap((s) => Object.keys(s.labels ?? {})));
    expect([...labels].sort()).toEqual(["le", "outcome", "status", "workflow"]);
    const values = new Set(cairnSamples.flatMap((s) => Object.values(s.labels ?? {})));
    for (const unbounded of [...ids, "flaky", "nap", "go", "finish"])
      expect(values.has(unbounded)).toBe(false);
  });

  it("counts running instances while they run", async () => {
    const clock = new FakeClock();
    const cairn = await h.open({ workflows, clock, hibernateAfterMs: 10 * MINUTE });
    await cairn.env.STORY.create({ id: "r1" });
    const m = await waitUntil(
      async () => parseExposition(await cairn.metrics()),
      (m) => m.value("cairn_instances", { status: "running" }) === 1,
      { what: "a running instance" },
    );
    expect(m.value("cairn_running_instances", { workflow: "story" })).toBe(1);
  });

  it("keeps two Cairns in one process apart", async () => {
    const clock = new FakeClock();
    const a = await h.open({ workflows, clock, hibernateAfterMs: 10 * MINUTE });
    const b = await h.open({ workflows, clock, hibernateAfterMs: 10 * MINUTE });
    await a.env.STORY.create({ id: "a1" });
    await a.env.STORY.create({ id: "a2" });
    await b.env.STORY.create({ id: "b1" });
    const created = async (c: typeof a) =>
      parseExposition(await c.metrics()).value("cairn_instances_created_total", { workflow: "story" });
    expect(await created(a)).toBe(2);
    expect(await created(b)).toBe(1);
  });

  it("collects nothing with metrics: false", async () => {
    // Tracing off too: it would be the engine's only other observer.
    const cairn = await h.open({ workflows, clock: new FakeClock(), metrics: false, tracing: false });
    expect(cairn.engine.observer).toBeUndefined();
    const error = await cairn.metrics().catch((e: unknown) => e);
    expect(WorkflowsError.is(error) && error.code).toBe("metrics.disabled");
  });

  it("refuses a metrics option that is not a boolean", async () => {
    const error = await h.open({ workflows, metrics: "yes" as unknown as boolean }).catch((e: unknown) => e);
    expect(WorkflowsError.is(error) && error.code).toBe("engine.invalid_options");
    expect((error as Error).message).toContain('"yes"');
  });
});
