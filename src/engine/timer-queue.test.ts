import { describe, expect, it } from "vitest";
import { TimerQueue } from "./timer-queue.js";

/** Resolves when `count` callbacks made by `hit` have run, or rejects after `ms`. */
function counter(count: number, ms = 5_000) {
  let hits = 0;
  let done!: () => void;
  let timer: NodeJS.Timeout | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    timer = setTimeout(() => reject(new Error(`only ${hits} of ${count} timers fired`)), ms);
  });
  return {
    hit() {
      hits += 1;
      if (hits === count) {
        clearTimeout(timer);
        done();
      }
    },
    finished,
  };
}

describe("TimerQueue", () => {
  it("fires timers in due order, ties in the order they were added", async () => {
    const queue = new TimerQueue();
    const now = Date.now();
    const fired: string[] = [];
    const all = counter(4);
    for (const [name, offset] of [
      ["c", 30],
      ["a", 5],
      ["b1", 15],
      ["b2", 15],
    ] as const) {
      queue.add(now + offset, () => {
        fired.push(name);
        all.hit();
      });
    }
    await all.finished;
    expect(fired).toEqual(["a", "b1", "b2", "c"]);
    expect(queue.size).toBe(0);
  });

  it("never fires a cancelled timer, and cancelling twice is harmless", async () => {
    const queue = new TimerQueue();
    const now = Date.now();
    const fired: string[] = [];
    const cancel = queue.add(now + 5, () => fired.push("cancelled"));
    const sentinel = counter(1);
    queue.add(now + 20, () => {
      fired.push("kept");
      sentinel.hit();
    });
    cancel();
    cancel();
    expect(queue.size).toBe(1);
    await sentinel.finished;
    expect(fired).toEqual(["kept"]);
  });

  it("fires a timer already due, and one added by a callback", async () => {
    const queue = new TimerQueue();
    const done = counter(2);
    const fired: string[] = [];
    queue.add(Date.now() - 1_000, () => {
      fired.push("past");
      done.hit();
      queue.add(Date.now(), () => {
        fired.push("added");
        done.hit();
      });
    });
    await done.finished;
    expect(fired).toEqual(["past", "added"]);
  });

  it("re-arms for an earlier timer added after a later one", async () => {
    const queue = new TimerQueue();
    const now = Date.now();
    const done = counter(1);
    // The first timer arms the native timer an hour out; the second must not wait for it.
    const cancelLate = queue.add(now + 3_600_000, () => {});
    queue.add(now + 5, () => done.hit());
    await done.finished;
    cancelLate();
    expect(queue.size).toBe(0);
  });

  it("keeps firing the other due timers when a callback throws", async () => {
    const queue = new TimerQueue();
    const now = Date.now();
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    process.on("uncaughtException", onError);
    try {
      const done = counter(1);
      queue.add(now, () => {
        throw new Error("boom");
      });
      queue.add(now, () => done.hit());
      await done.finished;
      await new Promise<void>((resolve) => setImmediate(resolve));
    } finally {
      process.off("uncaughtException", onError);
    }
    expect(errors.map((e) => (e as Error).message)).toEqual(["boom"]);
  });

  it("drops cancelled timers from memory long before they would be due", () => {
    const queue = new TimerQueue();
    const far = Date.now() + 3_600_000;
    const keep = queue.add(far + 1, () => {});
    for (let i = 0; i < 10_000; i++) queue.add(far, () => {})();
    expect(queue.size).toBe(1);
    expect(queue.stored).toBeLessThan(2_100);
    keep();
  });
});
