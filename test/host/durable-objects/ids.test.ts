// Durable Object ids: idFromName is deterministic (across a restart too) and differs per class,
// idFromString validates with Cloudflare's errors, newUniqueId makes fresh ids, and stubs carry
// the id and name.

import { afterEach, describe, expect, it } from "vitest";
import { DurableObjectId } from "../../../src/host/durable-objects/object-id.js";
import { DurableObject } from "../../../src/host/runtime/cloudflare-workers.js";
import { cleanUp, openHost, tempDir } from "./helpers.js";

afterEach(cleanUp);

class A extends DurableObject {}
class B extends DurableObject {}

describe("ids", () => {
  it("idFromName gives the same 64-hex id for a name, across restarts, and another per class", async () => {
    const dir = tempDir();
    const first = openHost({ A, B }, { A: "sqlite", B: "sqlite" }, { dir });
    const a = first.registry.namespace("A").idFromName("room");
    expect(a.toString()).toMatch(/^[0-9a-f]{64}$/);
    expect(a.name).toBe("room");
    expect(first.registry.namespace("A").idFromName("room").equals(a)).toBe(true);
    expect(first.registry.namespace("A").idFromName("other").equals(a)).toBe(false);
    const b = first.registry.namespace("B").idFromName("room");
    expect(b.toString()).not.toBe(a.toString());
    await first.close();

    const second = openHost({ A, B }, { A: "sqlite", B: "sqlite" }, { dir });
    expect(second.registry.namespace("A").idFromName("room").toString()).toBe(a.toString());
  });

  it("idFromString round-trips ids and refuses bad strings with Cloudflare's errors", () => {
    const { registry } = openHost({ A, B }, { A: "sqlite", B: "sqlite" });
    const ns = registry.namespace("A");
    const unique = ns.newUniqueId();
    expect(unique.name).toBeUndefined();
    expect(ns.newUniqueId().equals(unique)).toBe(false);
    const parsed = ns.idFromString(unique.toString());
    expect(parsed.equals(unique)).toBe(true);
    expect(ns.idFromString(unique.toString().toUpperCase()).equals(unique)).toBe(true);
    expect(() => ns.idFromString("abc")).toThrow(
      new TypeError("Invalid Durable Object ID: must be 64 hex digits"),
    );
    expect(() => ns.idFromString("z".repeat(64))).toThrow("must be 64 hex digits");
    const ofB = registry.namespace("B").idFromName("x").toString();
    expect(() => ns.idFromString(ofB)).toThrow(
      new TypeError("Durable Object ID is not valid for this namespace."),
    );
    expect(() => ns.get(registry.namespace("B").idFromName("x"))).toThrow("not valid for this namespace");
    expect(() => ns.get(new DurableObjectId("0".repeat(64)))).toThrow("not valid for this namespace");
    expect(() => ns.get("abc" as unknown as DurableObjectId)).toThrow(TypeError);
  });

  it("stubs carry the id and name; getByName and jurisdiction address the same object", () => {
    const { registry } = openHost({ A }, { A: "sqlite" });
    const ns = registry.namespace("A");
    const stub = ns.getByName("room");
    expect((stub.id as DurableObjectId).equals(ns.idFromName("room"))).toBe(true);
    expect(stub.name).toBe("room");
    expect(ns.get(ns.newUniqueId()).name).toBeUndefined();
    expect(ns.jurisdiction("eu").idFromName("room").equals(ns.idFromName("room"))).toBe(true);
    expect(() => ns.jurisdiction("mars")).toThrow('Unknown jurisdiction "mars"');
  });
});
