// Stubs: RPC calls with structured-cloned arguments and results, errors rethrown with
// `remote: true`, Cloudflare's TypeError for a missing method, property reads, stub.fetch, the
// env given to the constructor, ctx.abort(), and a reload that rebuilds objects on the same storage.

import { afterEach, describe, expect, it } from "vitest";
import { DurableObjectError } from "../../../src/host/durable-objects/errors.js";
import { DurableObject } from "../../../src/host/runtime/cloudflare-workers.js";
import { cleanUp, openHost } from "./helpers.js";

afterEach(cleanUp);

class Box extends DurableObject<{ GREETING: string }> {
  label = "instance field";
  kept: unknown[] = [];

  get size() {
    return this.kept.length;
  }

  async keep(value: { items: number[]; when: Date }) {
    value.items.push(99);
    this.kept.push(value);
    return { echoed: value, at: new Map([["k", 1]]) };
  }

  async greeting() {
    return this.env.GREETING;
  }

  async fail() {
    throw new RangeError("nothing here");
  }

  async giveFunction() {
    return () => 1;
  }

  async reset() {
    this.ctx.abort("reset on request");
  }

  async fetch(request: Request) {
    return new Response(`${request.method} ${new URL(request.url).pathname} ${await request.text()}`, {
      headers: { "x-object": this.ctx.id.toString() },
    });
  }
}

class NoFetch extends DurableObject {}

function boxHost() {
  const host = openHost({ Box, NoFetch }, { Box: "sqlite", NoFetch: "kv" }, { env: { GREETING: "hello" } });
  return { host, box: host.registry.namespace("Box").getByName("b") as any };
}

describe("RPC", () => {
  it("clones arguments and results", async () => {
    const { box } = boxHost();
    const sent = { items: [1, 2], when: new Date(0) };
    const result = await box.keep(sent);
    expect(sent.items).toEqual([1, 2]);
    expect(result.echoed).toEqual({ items: [1, 2, 99], when: new Date(0) });
    expect(result.at).toEqual(new Map([["k", 1]]));
    expect(await box.size).toBe(1);
    expect(await box.greeting()).toBe("hello");
  });

  it("rethrows the object's error with its type and message, marked remote", async () => {
    const { box } = boxHost();
    const error = await box.fail().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe("nothing here");
    expect(error.remote).toBe(true);
  });

  it("answers a missing method with Cloudflare's TypeError and does not expose instance fields", async () => {
    const { box } = boxHost();
    const error = await box.nothing(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('The RPC receiver does not implement the method "nothing".');
    await expect(box.label()).rejects.toThrow('does not implement the method "label"');
    expect(await box.label).toBeUndefined();
    await expect(box.constructor()).rejects.toThrow(TypeError);
  });

  it("refuses values that cannot be cloned, naming what was sent", async () => {
    const { box } = boxHost();
    await expect(box.keep({ items: [], when: new Date(), f: () => 1 })).rejects.toThrow(
      "an argument of keep() cannot be sent over RPC",
    );
    await expect(box.giveFunction()).rejects.toThrow("the result of giveFunction() cannot be sent over RPC");
  });

  it("is not thenable, so a stub can be awaited and returned", async () => {
    const { box } = boxHost();
    expect(await box).toBe(box);
  });

  it("ctx.abort() resets the object: the next call constructs it again", async () => {
    const { box } = boxHost();
    await box.keep({ items: [], when: new Date() });
    expect(await box.size).toBe(1);
    await expect(box.reset()).rejects.toThrow("reset on request");
    expect(await box.size).toBe(0);
  });
});

describe("stub.fetch", () => {
  it("sends a Request to the object's fetch handler", async () => {
    const { host, box } = boxHost();
    const response = await box.fetch("https://object/path", { method: "POST", body: "hi" });
    expect(await response.text()).toBe("POST /path hi");
    expect(response.headers.get("x-object")).toBe(host.registry.namespace("Box").idFromName("b").toString());
  });

  it("fails clearly when the object has no fetch handler or the URL is not absolute", async () => {
    const { host, box } = boxHost();
    const stub = host.registry.namespace("NoFetch").getByName("n") as any;
    await expect(stub.fetch("https://x/")).rejects.toThrow("Handler does not export a fetch() function.");
    await expect(box.fetch("/relative")).rejects.toThrow(TypeError);
  });
});

describe("reload and close", () => {
  it("rebuilds live objects from the new class at their next event, on the same storage", async () => {
    const { host } = boxHost();
    class V1 extends DurableObject {
      async bump() {
        const n = ((await this.ctx.storage.get<number>("n")) ?? 0) + 1;
        await this.ctx.storage.put("n", n);
        return `v1:${n}`;
      }
    }
    class V2 extends V1 {
      override async bump() {
        return `v2:${(await super.bump()).slice(3)}`;
      }
    }
    host.swap({ Box: V1 });
    const stub = host.registry.namespace("Box").getByName("r") as any;
    expect(await stub.bump()).toBe("v1:1");
    host.swap({ Box: V2 });
    expect(await stub.bump()).toBe("v2:2");
    host.swap({});
    await expect(stub.bump()).rejects.toThrow(
      "Durable Object class Box is not exported by the Worker's current build",
    );
  });

  it("refuses calls after close with a coded error", async () => {
    const { host, box } = boxHost();
    await host.close();
    const error = await box.greeting().catch((e: unknown) => e);
    expect(DurableObjectError.is(error)).toBe(true);
    expect(error.code).toBe("durable_object.closed");
    expect(error.name).toBe("DurableObjectError");
  });
});
