// The replay's rules on small hand-written histories: steps asked for together, recorded
// failures that `run` lets through, errors of the code's own, the event-loop drain, what the
// replay checks of the code's arguments, and the first format. Histories exported from a real
// instance are replayed in test/replay/.

import { setImmediate } from "node:timers";
import { describe, expect, it, vi } from "vitest";
import { NonRetryableError } from "../api/non-retryable-error.js";
import type { WorkflowEvent, WorkflowStep } from "../api/types.js";
import { WorkflowEntrypoint } from "../api/workflow-entrypoint.js";
import { replayHistory } from "./replay-history.js";

type Step = { key: string; status?: string; [field: string]: unknown };

function history(steps: Step[], instance: Record<string, unknown> = {}) {
  return {
    format: "cairn.instance-history/2",
    workflow: "w",
    id: "i-1",
    include_sensitive: false,
    instance: {
      status: "waiting",
      created_at: "2026-12-04T10:00:00.000Z",
      params: {},
      ...instance,
      steps: steps.map(({ key, ...fields }) => {
        const [type, count, ...name] = key.split(":");
        return { key, type, name: name.join(":"), count: Number(count), status: "succeeded", ...fields };
      }),
    },
    streams: {},
    log: [],
  };
}

/** A workflow class whose run is `body`. */
function workflow(body: (step: WorkflowStep, event: WorkflowEvent<unknown>) => Promise<unknown>) {
  return class extends WorkflowEntrypoint {
    override run(event: WorkflowEvent<unknown>, step: WorkflowStep) {
      return body(step, event);
    }
  };
}

const noop = async () => {
  throw new Error("a replay never runs a callback");
};

describe("steps asked for together", () => {
  const ab = history([
    { key: "do:1:a", output: 1 },
    { key: "do:1:b", output: 2 },
  ]);

  it("judges a step the history lacks together with the calls beside it", async () => {
    const together = await replayHistory(
      workflow((step) => Promise.all([step.do("new", noop), step.do("a", noop), step.do("b", noop)])),
      ab,
    );
    expect(together).toMatchObject({
      compatible: true,
      ending: "stopped",
      stoppedAt: { type: "do", name: "new", count: 1, reason: "beyond-history" },
    });
    const before = await replayHistory(
      workflow(async (step) => {
        await step.do("new", noop);
        return Promise.all([step.do("a", noop), step.do("b", noop)]);
      }),
      ab,
    );
    expect(before.divergence).toMatchObject({ kind: "not-recorded", step: { name: "new" } });
    expect(before.divergence?.message).toBe(
      'the code asks for do "new" #1, which the history does not have, before reaching every recorded ' +
        'step (still to come: do "a" #1, do "b" #1)',
    );
  });

  it("counts calls of one name by kind, as the engine's journal keys do", async () => {
    const result = await replayHistory(
      workflow(async (step) => [
        await step.do("x", noop),
        await step.do("x", noop),
        await step.sleep("x", 1),
      ]),
      history(
        [{ key: "do:1:x", output: "first" }, { key: "do:2:x", output: "second" }, { key: "sleep:1:x" }],
        {
          status: "complete",
        },
      ),
    );
    expect(result).toMatchObject({ compatible: true, output: ["first", "second", undefined] });
  });

  it("hints at a recorded step of the same name when the kind changed", async () => {
    const result = await replayHistory(
      workflow((step) => step.sleep("pause", 1)),
      history([{ key: "waitForEvent:1:pause", event: { type: "go", sent_at: null } }]),
    );
    expect(result.divergence?.message).toContain('the history has waitForEvent "pause" #1 still to come');
  });
});

describe("errors", () => {
  const failed = history(
    [{ key: "do:1:pay", status: "failed", error: { name: "NonRetryableError", message: "no" } }],
    {
      status: "errored",
      error: { name: "NonRetryableError", message: "no" },
    },
  );

  it("rethrows a recorded failure as the engine does; letting it through is compatible", async () => {
    let caught: unknown;
    const result = await replayHistory(
      workflow((step) =>
        step.do("pay", noop).catch((error: unknown) => {
          caught = error;
          throw error;
        }),
      ),
      failed,
    );
    expect(caught).toBeInstanceOf(NonRetryableError);
    expect(result).toMatchObject({
      compatible: true,
      ending: "threw",
      error: { name: "NonRetryableError", message: "no", fromHistory: true },
    });
  });

  it("accepts an error of the code's own that matches the instance's recorded error", async () => {
    const result = await replayHistory(
      workflow((step) =>
        step.do("pay", noop).catch(() => {
          throw new NonRetryableError("no");
        }),
      ),
      failed,
    );
    expect(result).toMatchObject({ compatible: true, error: { fromHistory: false } });
  });

  it("reports an error that is not in the history, also one thrown before any step or synchronously", async () => {
    const early = await replayHistory(
      workflow(async () => {
        throw new RangeError("bad input");
      }),
      failed,
    );
    expect(early.divergence).toEqual({
      kind: "threw",
      error: { name: "RangeError", message: "bad input" },
      message:
        "run threw RangeError: bad input before asking for any step, an error that is not in the history",
    });
    class Sync extends WorkflowEntrypoint {
      override run(): Promise<unknown> {
        throw new Error("not even a promise");
      }
    }
    expect((await replayHistory(Sync, failed)).divergence).toMatchObject({ kind: "threw" });
  });

  it("checks the code's arguments as the engine does", async () => {
    const result = await replayHistory(
      workflow((step) => (step.do as (name: string) => Promise<unknown>)("pay")),
      failed,
    );
    expect(result.divergence).toMatchObject({
      kind: "threw",
      error: { name: "WorkflowsError", message: expect.stringContaining("(step.invalid_config)") },
    });
    const badConfig = await replayHistory(
      workflow((step) => step.do("pay", { retries: { limit: -1, delay: 0 } }, noop)),
      failed,
    );
    expect(badConfig.error?.message).toContain("(step.invalid_config)");
  });
});

describe("the drain", () => {
  it("waits through event-loop turns of the code's own while it keeps asking for steps", async () => {
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const result = await replayHistory(
      workflow(async (step) => {
        for (let i = 0; i < 5; i++) await turn();
        const a = await step.do("a", noop);
        for (let i = 0; i < 5; i++) await turn();
        return a;
      }),
      history([{ key: "do:1:a", output: "done" }], { status: "complete" }),
    );
    expect(result).toMatchObject({ compatible: true, ending: "returned", output: "done" });
  });

  it("reports a run idle longer than idleTurns as stuck", async () => {
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const slow = workflow(async () => {
      for (let i = 0; i < 30; i++) await turn();
      return "late";
    });
    const h = history([], { status: "complete" });
    expect((await replayHistory(slow, h)).ending).toBe("stuck");
    expect(await replayHistory(slow, h, { idleTurns: 100 })).toMatchObject({
      ending: "returned",
      output: "late",
    });
  });
});

describe("the drain under fake timers", () => {
  it("still turns the event loop when the test installed fake timers", async () => {
    vi.useFakeTimers();
    try {
      const h = history([{ key: "do:1:a", output: 1 }], { status: "complete" });
      const result = await replayHistory(
        workflow((step) => step.do("a", noop)),
        h,
      );
      expect(result.output).toBe(1);
      const stuck = await replayHistory(
        workflow(() => new Promise(() => {})),
        h,
      );
      expect(stuck.ending).toBe("stuck");
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("what the code gets back", () => {
  it("a fresh stream each replay, sleepUntil by name, an event with its time, and undefined results", async () => {
    const h = {
      ...history(
        [
          { key: "do:1:blob", stream: { bytes: 3 } },
          { key: "do:1:nothing" },
          { key: "sleep:1:until" },
          {
            key: "waitForEvent:1:go",
            event: { type: "go", payload: { n: 1 }, sent_at: "2026-12-04T10:01:00.000Z" },
          },
        ],
        { status: "complete" },
      ),
      streams: { "do:1:blob": { bytes: 3, base64: Buffer.from("abc").toString("base64") } },
    };
    const Reader = workflow(async (step) => {
      const blob = (await step.do("blob", noop)) as ReadableStream<Uint8Array>;
      const nothing = await step.do("nothing", noop);
      await step.sleepUntil("until", new Date());
      const go = await step.waitForEvent<{ n: number }>("go", { type: "go" });
      return { text: await new Response(blob).text(), nothing, go };
    });
    for (let i = 0; i < 2; i++) {
      const result = await replayHistory(Reader, h);
      expect(result.output).toEqual({
        text: "abc",
        nothing: undefined,
        go: { type: "go", payload: { n: 1 }, timestamp: new Date("2026-12-04T10:01:00.000Z") },
      });
    }
  });

  it("a cron instance's event carries its schedule", async () => {
    let event: WorkflowEvent<unknown> | undefined;
    const h = history([], { trigger: "cron" });
    h.id = "*/5 * * * *-1786001400000";
    await replayHistory(
      workflow(async (_step, e) => {
        event = e;
      }),
      h,
    );
    expect(event?.schedule).toEqual({ cron: "*/5 * * * *", scheduledTime: 1786001400000 });
  });
});

describe("bad arguments", () => {
  it("refuses a class without run, and idleTurns out of range", async () => {
    await expect(replayHistory({} as never, history([]))).rejects.toMatchObject({
      code: "workflow.invalid_definition",
    });
    await expect(
      replayHistory(
        workflow(async () => 1),
        history([]),
        { idleTurns: 0 },
      ),
    ).rejects.toMatchObject({
      code: "engine.invalid_options",
    });
  });
});

describe("the first format", () => {
  it("replays a /1 history: the recorded error comes through and the instance's error matches", async () => {
    const v1 = {
      format: "cairn.instance-history/1",
      workflow: "orders",
      id: "order-42",
      instance: {
        status: "errored",
        params: { orderId: 42 },
        queued: "2026-12-04T10:00:00.000Z",
        error: { name: "Error", message: "card declined" },
        steps: [
          { type: "step", name: "reserve-1", success: true, output: { items: ["lamp"] } },
          { type: "sleep", name: "cool off-1", finished: true },
          {
            type: "step",
            name: "charge card-1",
            success: false,
            error: { name: "Error", message: "card declined" },
          },
        ],
      },
      log: [],
    };
    const result = await replayHistory(
      workflow(async (step) => {
        await step.do("reserve", noop);
        await step.sleep("cool off", "1 minute");
        await step.do("charge card", noop);
      }),
      v1,
    );
    expect(result).toMatchObject({
      compatible: true,
      ending: "threw",
      error: { name: "Error", message: "card declined", fromHistory: true },
    });
  });
});
