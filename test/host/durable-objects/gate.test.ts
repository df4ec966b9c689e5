// The input and output gates: calls to one object that await only its storage run one after
// another, while a call waiting on other I/O lets the next one in; blockConcurrencyWhile holds
// every other event (in the constructor too) and resets the object when it throws; a result does
// not leave the object before the transaction it started has committed.

import { afterEach, describe, expect, it } from "vitest";
import { STATE_HOST } from "../../../src/host/durable-objects/object-state.js";
import { DurableObject } from "../../../src/host/runtime/cloudflare-workers.js";
import { cleanUp, openHost } from "./helpers.js";

afterEach(cleanUp);

/** Lets the event loop run a few turns (no timer): enough for any ready event to start. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const log: string[] = [];
const outside = { wait: deferred() };

class Counter extends DurableObject {
  async increment(label: string) {
    log.push(`start ${label}`);
    const value = ((await this.ctx.storage.get<number>("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", value);
    await this.ctx.storage.get("n");
    log.push(`end ${label}`);
    return value;
  }

  async waitOutside() {
    log.push("start outside");
    await outside.wait.promise;
    log.push("end outside");
  }

  async quick() {
    log.push("quick");
    return "quick";
  }

  async hold() {
    await this.ctx.blockConcurrencyWhile(async () => {
      log.push("block start");
      await outside.wait.promise;
      log.push("block end");
    });
  }

  async failBlock() {
    await this.ctx.blockConcurrencyWhile(async () => {
      throw new Error("block failed");
    });
  }

  async startTransaction() {
    void this.ctx.storage.transaction(async (txn) => {
      await txn.put("first", 1);
      await outside.wait.promise;
      await txn.put("second", 2);
    });
    return "returned";
  }
}

let constructed = 0;
class Loader extends DurableObject {
  loaded: unknown;
  constructor(ctx: ConstructorParameters<typeof DurableObject>[0], env: unknown) {
    super(ctx, env);
    constructed += 1;
    void ctx.blockConcurrencyWhile(async () => {
      await outside.wait.promise;
      this.loaded = (await ctx.storage.get("seed")) ?? "seeded";
    });
  }

  async value() {
    return this.loaded;
  }
}

let failConstruction = 0;
class Fragile extends DurableObject {
  constructor(ctx: ConstructorParameters<typeof DurableObject>[0], env: unknown) {
    super(ctx, env);
    constructed += 1;
    void ctx.blockConcurrencyWhile(async () => {
      if (failConstruction > 0) {
        failConstruction -= 1;
        throw new Error("could not load");
      }
    });
  }

  async ping() {
    return "pong";
  }
}

function setUp() {
  log.length = 0;
  outside.wait = deferred();
  constructed = 0;
  const host = openHost({ Counter, Loader, Fragile }, { Counter: "sqlite", Loader: "sqlite", Fragile: "kv" });
  const counter = host.registry.namespace("Counter").getByName("c") as any;
  const loader = host.registry.namespace("Loader").getByName("l") as any;
  return { host, counter, loader };
}

describe("the input gate", () => {
  it("runs concurrent calls that await storage one after another, in order", async () => {
    const { counter } = setUp();
    const results = await Promise.all(["a", "b", "c", "d"].map((label) => counter.increment(label)));
    expect(results).toEqual([1, 2, 3, 4]);
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c", "start d", "end d"]);
  });

  it("lets the next call in while one waits on something other than storage", async () => {
    const { counter } = setUp();
    const waiting = counter.waitOutside();
    expect(await counter.quick()).toBe("quick");
    outside.wait.resolve();
    await waiting;
    expect(log).toEqual(["start outside", "quick", "end outside"]);
  });

  it("holds every other call while blockConcurrencyWhile runs", async () => {
    const { counter } = setUp();
    const holding = counter.hold();
    const quick = counter.quick();
    await turns();
    expect(log).toEqual(["block start"]);
    outside.wait.resolve();
    await Promise.all([holding, quick]);
    expect(log).toEqual(["block start", "block end", "quick"]);
  });

  it("delivers the host's own events through ctx (as WebSocket messages will come) behind the same gate", async () => {
    const { host, counter } = setUp();
    const object = host.registry.object("Counter", host.registry.namespace("Counter").idFromName("c"));
    const instance = (await object.deliver((i) => i)) as unknown as { ctx: Record<symbol, any> };
    const holding = counter.hold();
    await turns();
    const viaCtx = instance.ctx[STATE_HOST].deliver((o: unknown) => {
      log.push("host event");
      return o === instance;
    });
    await turns();
    expect(log).toEqual(["block start"]);
    outside.wait.resolve();
    expect(await viaCtx).toBe(true);
    await holding;
    expect(log).toEqual(["block start", "block end", "host event"]);
  });

  it("holds the first call until the constructor's blockConcurrencyWhile is done", async () => {
    const { loader } = setUp();
    const first = loader.value();
    const second = loader.value();
    await turns();
    outside.wait.resolve();
    expect(await first).toBe("seeded");
    expect(await second).toBe("seeded");
    expect(constructed).toBe(1);
  });

  it("resets the object when blockConcurrencyWhile throws: the next call constructs it again", async () => {
    const { host, counter } = setUp();
    const object = host.registry.object("Counter", host.registry.namespace("Counter").idFromName("c"));
    const before = await object.deliver((instance) => instance);
    expect(await object.deliver((instance) => instance)).toBe(before);
    await expect(counter.failBlock()).rejects.toThrow("block failed");
    const after = await object.deliver((instance) => instance);
    expect(after).not.toBe(before);
    expect(after).toBeInstanceOf(Counter);
  });
});

describe("a constructor's blockConcurrencyWhile that throws", () => {
  it("fails the first call with its error and constructs the object again at the next", async () => {
    const { host } = setUp();
    failConstruction = 1;
    const fragile = host.registry.namespace("Fragile").getByName("f") as any;
    await expect(fragile.ping()).rejects.toThrow("could not load");
    expect(await fragile.ping()).toBe("pong");
    expect(constructed).toBe(2);
  });
});

describe("the output gate", () => {
  it("does not return a result before the transaction the call started has committed", async () => {
    const { host, counter } = setUp();
    let settled = false;
    const result = counter.startTransaction().then((value: string) => {
      settled = true;
      return value;
    });
    await turns();
    expect(settled).toBe(false);
    outside.wait.resolve();
    expect(await result).toBe("returned");
    const storage = host.registry.object(
      "Counter",
      host.registry.namespace("Counter").idFromName("c"),
    ).storage;
    expect(await storage.get(["first", "second"])).toEqual(
      new Map([
        ["first", 1],
        ["second", 2],
      ]),
    );
  });
});
