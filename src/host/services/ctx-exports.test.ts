// ctx.exports for a build of the Worker: a loopback per WorkerEntrypoint class (and the default
// export), none for other exports, plus the entries another part of the project adds (and
// removes) with addCtxExportsEntries, such as Durable Object namespaces.

import { describe, expect, it } from "vitest";
import { WorkerEntrypoint } from "../../api/worker-entrypoint.js";
import { WaitUntilTracker } from "../execution-context.js";
import type { WorkerModule } from "../worker-module.js";
import { addCtxExportsEntries, ctxExports, loopbackHost } from "./ctx-exports.js";

class Greeter extends WorkerEntrypoint {
  greet(name: string) {
    return `Hello, ${name} (${JSON.stringify(this.ctx.props)})`;
  }
}
class NotAnEntrypoint {}

const module: WorkerModule = {
  fetch: null,
  scheduled: null,
  queue: null,
  classes: {},
  exports: { Greeter, NotAnEntrypoint, helper: () => 1, default: { fetch: () => new Response("hi") } },
};
const host = loopbackHost(
  () => module,
  () => ({}),
  new WaitUntilTracker(() => {}),
);

describe("ctxExports", () => {
  it("has a loopback for each WorkerEntrypoint class and the default export, nothing else", async () => {
    const exports = ctxExports(host, module) as Record<string, any>;
    expect(Object.keys(exports).sort()).toEqual(["Greeter", "default"]);
    expect(await exports.Greeter.greet("Ada")).toBe("Hello, Ada ({})");
    expect(await exports.Greeter({ props: { tier: 2 } }).greet("Ada")).toBe('Hello, Ada ({"tier":2})');
    expect(await (await exports.default.fetch("http://x/")).text()).toBe("hi");
  });

  it("adds the entries another part registers, until it removes them", () => {
    const remove = addCtxExportsEntries((built) => ({
      COUNTER: `namespace of ${Object.keys(built.exports).length}`,
    }));
    expect(ctxExports(host, module).COUNTER).toBe("namespace of 4");
    remove();
    expect(ctxExports(host, module).COUNTER).toBeUndefined();
  });
});
