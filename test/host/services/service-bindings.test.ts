// End-to-end: service bindings to the Worker itself in a real `cairn dev`. fetch() through a
// binding reaches the default export or a named entrypoint (with its props as ctx.props); RPC
// calls copy arguments and results, rethrow errors with their type and message, and fail with
// Cloudflare's errors for names the entrypoint does not offer; ctx.exports holds a loopback per
// entrypoint; a reload reaches bindings already handed out; a binding to another Worker or to an
// entrypoint not exported stops start-up.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitUntil } from "cairn/testing";
import { afterAll, describe, expect, it } from "vitest";
import { CairnProcess } from "../helpers/cairn-process.js";
import { copyFixture, removeProjects } from "../helpers/projects.js";

afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

async function json(url: string): Promise<any> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.json();
}

describe("service bindings to this Worker", () => {
  const dir = copyFixture("services-project");
  let url: string;

  it("starts with the bindings in env", async () => {
    const cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    url = await cairn.ready();
  });

  it("calls a named entrypoint's RPC method with the binding's props", async () => {
    expect(await json(`${url}/add`)).toBe(50);
  });

  it("fetch() reaches the named entrypoint's fetch handler", async () => {
    expect(await (await fetch(`${url}/math-fetch`)).text()).toBe("math /hello scale=10");
  });

  it("fetch() on a binding without entrypoint reaches the default export, with a fresh ctx", async () => {
    expect(await (await fetch(`${url}/self`)).text()).toBe("inner self {}");
  });

  it("rethrows an error thrown by the method, with its type and message", async () => {
    expect(await json(`${url}/fail`)).toEqual({ name: "RangeError", message: "too big" });
  });

  it("answers a method the entrypoint lacks, or a reserved name, with Cloudflare's TypeError", async () => {
    expect(await json(`${url}/missing`)).toEqual({
      name: "TypeError",
      message: 'The RPC receiver does not implement the method "nothing".',
    });
    expect(await json(`${url}/reserved`)).toEqual({
      name: "TypeError",
      message: 'The RPC receiver does not implement the method "constructor".',
    });
  });

  it("copies arguments and results: the callee cannot change the caller's object", async () => {
    expect(await json(`${url}/clone`)).toEqual({ sent: { n: 1 }, returned: { n: 1, changed: true } });
  });

  it("hands a stream argument and a Response result over as they are", async () => {
    expect(await (await fetch(`${url}/stream`)).text()).toBe("QUIET WORDS");
  });

  it("is not taken for a thenable, a JSON value or a string by RPC", async () => {
    expect(await (await fetch(`${url}/stringify`)).text()).toBe('{"SELF":{}} [object Fetcher]');
  });

  it("calls a plain-object default export's function as (arg, env, ctx), as Cloudflare does", async () => {
    expect(await json(`${url}/object-rpc`)).toEqual({ returned: "pong hi function" });
    const arity = await json(`${url}/object-rpc-arity`);
    expect(arity.name).toBe("TypeError");
    expect(arity.message).toMatch(
      /^Cannot call handler function "many" over RPC because it has the wrong number/,
    );
    const args = await json(`${url}/object-rpc-args`);
    expect(args.name).toBe("TypeError");
    expect(args.message).toMatch(/^Attempted to call RPC function "ping" with the wrong number of arguments/);
  });

  it("says that connect() is not provided", async () => {
    const answer = await json(`${url}/connect`);
    expect(answer.message).toMatch(/connect\(\).*not provided by Cairn/);
  });

  it("ctx.exports holds a loopback per entrypoint, callable with props, also inside entrypoints", async () => {
    expect(await json(`${url}/exports`)).toEqual({
      names: ["Greeter", "MathService", "default"],
      greeting: "Hello, World!",
      scaled: 4,
      nested: ["Greeter", "MathService", "default"],
    });
  });

  it("exports from cloudflare:workers holds the same loopbacks at module level; cloudflare:email loads", async () => {
    expect(await json(`${url}/module-exports`)).toEqual({
      names: ["Greeter", "MathService", "default"],
      greeting: "Hello, module!",
      email: { from: "a@example.com", to: "b@example.com" },
    });
  });

  it("calls the new code after a reload, through the bindings already in env", async () => {
    const file = join(dir, "src", "index.js");
    writeFileSync(file, readFileSync(file, "utf8").replace("return (a + b) *", "return (a + b + 1) *"));
    await waitUntil(
      async () => (await fetch(`${url}/add`)).json(),
      (sum) => sum === 60,
      { timeoutMs: 20_000, intervalMs: 25, what: "/add to answer with the reloaded MathService" },
    );
  });
});

describe("service bindings Cairn does not provide", () => {
  function withServices(services: unknown[]): string {
    const dir = copyFixture("services-project");
    const path = join(dir, "wrangler.jsonc");
    const config = JSON.parse(readFileSync(path, "utf8").replace(/^\s*\/\/.*$/gm, ""));
    writeFileSync(path, JSON.stringify({ ...config, services }));
    return dir;
  }

  async function failedStart(dir: string): Promise<string> {
    const cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    const exit = await cairn.exited;
    expect(exit.code).toBe(1);
    return cairn.stderr;
  }

  it("refuses a binding to another Worker, saying only this Worker's own are provided", async () => {
    const stderr = await failedStart(withServices([{ binding: "AUTH", service: "auth-worker" }]));
    expect(stderr).toContain("AUTH: service binding (services)");
    expect(stderr).toContain(
      'only service bindings to this Worker itself (service "services-project") are provided',
    );
  });

  it("refuses an entrypoint the module does not export, naming the ones it has", async () => {
    const stderr = await failedStart(
      withServices([{ binding: "API", service: "services-project", entrypoint: "Nope" }]),
    );
    expect(stderr).toContain('service binding API names entrypoint "Nope", which the Worker does not export');
    expect(stderr).toContain("(its entrypoints: Greeter, MathService, default)");
  });

  it("refuses a malformed entry, naming the field", async () => {
    const stderr = await failedStart(withServices([{ binding: "", service: "services-project" }]));
    expect(stderr).toContain("services[0].binding must be a non-empty string");
  });
});
