// Alarms on a manual clock: one alarm per object, fired when due with { retryCount, isRetry },
// retried with exponential backoff from 2 s up to 6 retries then dropped, cancelled by
// deleteAlarm, re-set from inside alarm(), and fired after a restart when it came due while the
// process was down. The state index follows every change.

import { afterEach, describe, expect, it } from "vitest";
import type { AlarmTimers } from "../../../src/host/durable-objects/alarms.js";
import { DurableObject } from "../../../src/host/runtime/cloudflare-workers.js";
import { cleanUp, openHost, tempDir } from "./helpers.js";

afterEach(cleanUp);

/** A clock that moves only when told; due timers fire in time order. */
class ManualTimers implements AlarmTimers {
  time = 1_000_000;
  private next = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves the clock forward by `ms`, firing each timer due on the way. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].fn();
    }
    this.time = target;
  }
}

const calls: { retryCount: number; isRetry: boolean; at: number; during: number | null }[] = [];
let failures = 0;
let clock: ManualTimers;

class Alarmed extends DurableObject {
  async schedule(at: number) {
    await this.ctx.storage.setAlarm(at);
  }

  async cancel() {
    await this.ctx.storage.deleteAlarm();
  }

  async current() {
    return this.ctx.storage.getAlarm();
  }

  async alarm(info: { retryCount: number; isRetry: boolean }) {
    calls.push({ ...info, at: clock.now(), during: await this.ctx.storage.getAlarm() });
    if (failures > 0) {
      failures -= 1;
      throw new Error("alarm failed");
    }
    const again = await this.ctx.storage.get<number>("again");
    if (again) {
      await this.ctx.storage.delete("again");
      await this.ctx.storage.setAlarm(clock.now() + again);
    }
  }

  async againIn(ms: number) {
    await this.ctx.storage.put("again", ms);
  }
}

class Silent extends DurableObject {
  async schedule(at: unknown) {
    await this.ctx.storage.setAlarm(at as number);
  }
}

function setUp(dir?: string) {
  calls.length = 0;
  failures = 0;
  clock = new ManualTimers();
  const host = openHost(
    { Alarmed, Silent },
    { Alarmed: "sqlite", Silent: "kv" },
    { timers: clock, ...(dir ? { dir } : {}) },
  );
  const stub = host.registry.namespace("Alarmed").getByName("a") as any;
  return { host, stub };
}

describe("alarms", () => {
  it("fires once when due, hides the running alarm from getAlarm, and clears it on success", async () => {
    const { host, stub } = setUp();
    await stub.schedule(clock.now() + 5000);
    expect(await stub.current()).toBe(clock.now() + 5000);
    expect(host.index.alarms()).toHaveLength(1);
    clock.advance(4999);
    await host.registry.alarms.settled();
    expect(calls).toEqual([]);
    clock.advance(1);
    await host.registry.alarms.settled();
    expect(calls).toEqual([{ retryCount: 0, isRetry: false, at: 1_005_000, during: null }]);
    expect(await stub.current()).toBeNull();
    expect(host.index.alarms()).toEqual([]);
  });

  it("keeps one alarm per object: setting again replaces it, deleteAlarm cancels it", async () => {
    const { host, stub } = setUp();
    await stub.schedule(clock.now() + 1000);
    await stub.schedule(clock.now() + 3000);
    clock.advance(2000);
    await host.registry.alarms.settled();
    expect(calls).toHaveLength(0);
    await stub.cancel();
    expect(host.index.alarms()).toEqual([]);
    clock.advance(10_000);
    await host.registry.alarms.settled();
    expect(calls).toHaveLength(0);
  });

  it("retries a failing alarm after 2 s, then 4 s, with retryCount and isRetry", async () => {
    const { host, stub } = setUp();
    failures = 2;
    await stub.schedule(clock.now());
    clock.advance(0);
    await host.registry.alarms.settled();
    clock.advance(2000);
    await host.registry.alarms.settled();
    clock.advance(3999);
    await host.registry.alarms.settled();
    expect(calls).toHaveLength(2);
    clock.advance(1);
    await host.registry.alarms.settled();
    expect(calls.map((c) => [c.retryCount, c.isRetry, c.at - 1_000_000])).toEqual([
      [0, false, 0],
      [1, true, 2000],
      [2, true, 6000],
    ]);
    expect(await stub.current()).toBeNull();
  });

  it("drops the alarm after its sixth retry fails", async () => {
    const { host, stub } = setUp();
    failures = 100;
    await stub.schedule(clock.now());
    for (let i = 0; i < 10; i++) {
      clock.advance(2000 * 2 ** i);
      await host.registry.alarms.settled();
    }
    expect(calls.map((c) => c.retryCount)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(await stub.current()).toBeNull();
    expect(host.index.alarms()).toEqual([]);
  });

  it("keeps an alarm that alarm() sets for itself", async () => {
    const { host, stub } = setUp();
    await stub.againIn(500);
    await stub.schedule(clock.now() + 100);
    clock.advance(100);
    await host.registry.alarms.settled();
    expect(await stub.current()).toBe(1_000_600);
    clock.advance(500);
    await host.registry.alarms.settled();
    expect(calls.map((c) => c.at)).toEqual([1_000_100, 1_000_600]);
    expect(await stub.current()).toBeNull();
  });

  it("fires after a restart an alarm that came due while the process was down", async () => {
    const dir = tempDir();
    const first = setUp(dir);
    await first.stub.schedule(clock.now() + 60_000);
    await first.host.close();

    const second = setUp(dir);
    clock.time += 120_000;
    second.host.registry.alarms.start();
    clock.advance(0);
    await second.host.registry.alarms.settled();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.retryCount).toBe(0);
    expect(second.host.index.alarms()).toEqual([]);
  });

  it("refuses setAlarm without an alarm() handler or with a bad time, with Cloudflare's error", async () => {
    const { host, stub } = setUp();
    const silent = host.registry.namespace("Silent").getByName("s") as any;
    await expect(silent.schedule(Date.now())).rejects.toThrow(
      "Your Durable Object class must have an alarm() handler in order to call setAlarm()",
    );
    await expect(stub.schedule("soon")).rejects.toThrow("setAlarm() takes a Date or a number");
    expect(host.index.alarms()).toEqual([]);
  });
});
