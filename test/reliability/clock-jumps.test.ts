// The wall clock jumping, forward and backward, under sleeps, retry delays and waitForEvent
// deadlines, whether the wait is held in memory or hibernated in the store: a wait never ends
// before its due wall time, a forward jump past it ends it at once, and a backward jump delays it
// by no more than the jump. Then the real timers: the queue behind SystemClock notices a forward
// jump of the wall clock within RECHECK_MS, and never fires early after a backward one.

import { FakeClock, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus, waitUntil } from "cairn/testing";
import { describe, expect, it } from "vitest";
import { RECHECK_MS, TimerQueue } from "../../src/engine/timer-queue.js";
import { type LogType, useLifecycleHarness } from "../helpers/lifecycle-harness.js";

const HOUR = 3_600_000;
const BOUND = { timeoutMs: 10_000 };

class Sleeper extends WorkflowEntrypoint<{}, {}> {
  async run(_event: WorkflowEvent<{}>, step: WorkflowStep) {
    await step.sleep("nap", "1 hour");
    return "woke";
  }
}

const failedOnce = new Set<string>();

class Retrier extends WorkflowEntrypoint<{}, {}> {
  async run(event: WorkflowEvent<{}>, step: WorkflowStep) {
    const retries = { limit: 1, delay: "1 hour" as const, backoff: "constant" as const };
    return step.do("flaky", { retries }, async () => {
      if (!failedOnce.has(event.instanceId)) {
        failedOnce.add(event.instanceId);
        throw new Error("fails once");
      }
      return "retried";
    });
  }
}

class Waiter extends WorkflowEntrypoint<{}, {}> {
  async run(_event: WorkflowEvent<{}>, step: WorkflowStep) {
    try {
      await step.waitForEvent("approval", { type: "approve", timeout: "1 hour" });
      return "approved";
    } catch {
      return "timed out";
    }
  }
}

const workflows = {
  SLEEP: { name: "sleeper", class: Sleeper },
  RETRY: { name: "retrier", class: Retrier },
  WAIT: { name: "waiter", class: Waiter },
};

/** Each wait: its binding, the log entry that arms it, the one that ends it, and the output. */
const waits = [
  { kind: "a sleep", binding: "SLEEP", armed: "SLEEP_START", ended: "SLEEP_COMPLETE", output: "woke" },
  {
    kind: "a retry delay",
    binding: "RETRY",
    armed: "ATTEMPT_FAILURE",
    ended: "ATTEMPT_SUCCESS",
    output: "retried",
  },
  {
    kind: "a waitForEvent deadline",
    binding: "WAIT",
    armed: "WAIT_START",
    ended: "WAIT_TIMED_OUT",
    output: "timed out",
  },
] as const;

const modes = [
  { mode: "held in memory", options: { hibernateAfterMs: 86_400_000 } },
  { mode: "hibernated", options: { hibernateAfterMs: 0 } },
] as const;

describe.each(modes)("a wait $mode under a jumping wall clock", ({ options }) => {
  const h = useLifecycleHarness();

  async function armed(wait: (typeof waits)[number], id: string) {
    const clock = new FakeClock();
    const cairn = await h.open({ workflows, clock, ...options, onError: () => {} });
    failedOnce.delete(id);
    const instance = await cairn.env[wait.binding].create({ id });
    const workflow = workflows[wait.binding].name;
    const log = () => cairn.engine.readLog(workflow, id);
    const entry = async (type: LogType) => (await log()).find((e) => e.type === type);
    const start = await waitUntil(
      () => entry(wait.armed),
      (e) => e !== undefined,
      BOUND,
    );
    // Held or hibernated: the wait is armed once the instance says it is waiting (or retrying).
    await waitUntil(
      () => clock.pendingTimers(),
      (n) => n > 0,
      BOUND,
    );
    return { clock, instance, entry, due: start!.at + HOUR };
  }

  it.each(waits)("$kind ends at once when the clock jumps forward past it", async (wait) => {
    const { clock, instance, entry, due } = await armed(wait, "forward");
    clock.jump(2 * HOUR);
    expect(await waitForStatus(instance, "complete", BOUND)).toEqual({
      status: "complete",
      output: wait.output,
    });
    expect((await entry(wait.ended))!.at).toBeGreaterThanOrEqual(due);
  });

  it.each(waits)(
    "$kind is never early after a backward jump, and late by no more than the jump",
    async (wait) => {
      const { clock, instance, entry, due } = await armed(wait, "backward");
      clock.jump(-HOUR / 2);
      // A full hour has passed since the wait began, but the wall clock is half an hour short.
      clock.advance(HOUR);
      expect((await instance.status()).status).not.toBe("complete");
      // Half an hour more, the jump: the wall clock is at the due time and the wait ends.
      clock.advance(HOUR / 2);
      expect(await waitForStatus(instance, "complete", BOUND)).toEqual({
        status: "complete",
        output: wait.output,
      });
      expect((await entry(wait.ended))!.at).toBeGreaterThanOrEqual(due);
    },
  );
});

describe("the real timer queue when the wall clock jumps", () => {
  it(`fires a timer within ${RECHECK_MS} ms of a forward jump past its due time`, async () => {
    let offset = 0;
    const wall = () => Date.now() + offset;
    const queue = new TimerQueue(wall);
    const due = wall() + HOUR;
    let firedAt: number | null = null;
    const cancel = queue.add(due, () => (firedAt = wall()));
    offset += 2 * HOUR;
    try {
      await waitUntil(
        () => firedAt,
        (t) => t !== null,
        { timeoutMs: RECHECK_MS * 5, what: "the timer" },
      );
      expect(firedAt!).toBeGreaterThanOrEqual(due);
    } finally {
      cancel();
    }
  });

  it("never fires a timer before its due wall time after a backward jump", async () => {
    let offset = 0;
    const wall = () => Date.now() + offset;
    const queue = new TimerQueue(wall);
    const due = wall() + 20;
    let firedAt: number | null = null;
    queue.add(due, () => (firedAt = wall()));
    offset -= 200;
    await waitUntil(
      () => firedAt,
      (t) => t !== null,
      { timeoutMs: 5_000, what: "the timer" },
    );
    expect(firedAt!).toBeGreaterThanOrEqual(due);
  });
});
