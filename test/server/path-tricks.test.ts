// Path tricks against the HTTP API: dot segments, encoded slashes and dots, NUL bytes, broken
// percent-encoding and ids of 10,000 characters. None reaches another route or another
// workflow's instance, none is answered 500. Two workflows hold instances with the same id and
// with ids of their own, each carrying a marker in its params; a property checks over every
// route about one workflow, with tricks in every segment, that no answer carries the other's.

import { Cairn, createApiHandler } from "cairn";
import { waitUntil } from "cairn/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiHandler } from "../../src/server/api-handler.js";
import { tempDir } from "../helpers/temp-store.js";
import { workflows } from "./workflows.js";

const E = "/cdn-cgi/local/explorer/api";
/** Runs of the property: about a second here; FUZZ_SCALE=10 runs ten times as many, for a long hunt. */
const RUNS = 400 * Number(process.env.FUZZ_SCALE ?? 1);

let cairn: Cairn<typeof workflows>;
let api: ApiHandler;
let cleanup: () => void;
const errors: unknown[] = [];

beforeAll(async () => {
  const dir = tempDir("cairn-paths-");
  cleanup = dir.cleanup;
  cairn = await Cairn.open({ storage: `sqlite:${dir.dbPath}`, workflows, env: {} });
  api = createApiHandler({ target: cairn, onError: (error) => errors.push(error) });
  // "same" in both workflows; "only-quick" and "only-broken" in one each. Params carry a marker.
  await cairn.env.QUICK.create({ id: "same", params: { owner: "MARK-QUICK" } });
  await cairn.env.QUICK.create({ id: "only-quick", params: { owner: "MARK-QUICK" } });
  await cairn.env.BROKEN.create({ id: "same", params: { owner: "MARK-BROKEN" } });
  await cairn.env.BROKEN.create({ id: "only-broken", params: { owner: "MARK-BROKEN" } });
  for (const [name, wanted] of [
    ["quick", "complete"],
    ["broken", "errored"],
  ] as const) {
    await waitUntil(
      async () => (await cairn.inspect.instances(name)).instances.map((i) => i.status),
      (statuses) => statuses.length === 2 && statuses.every((s) => s === wanted),
      { what: `the instances of "${name}" ${wanted}`, timeoutMs: 15_000 },
    );
  }
}, 30_000);
afterAll(async () => {
  await cairn?.close();
  cleanup?.();
});

async function send(method: string, path: string): Promise<{ status: number; text: string; code?: string }> {
  const response = await api.fetch(
    new Request(`http://localhost${path}`, { method, headers: { host: "localhost" } }),
  );
  const text = await response.text();
  let code: string | undefined;
  try {
    code = JSON.parse(text).errors?.[0]?.cairn_code;
  } catch {
    // Not JSON: the test says what it expects.
  }
  return { status: response.status, text, ...(code ? { code } : {}) };
}

describe("refused paths", () => {
  it.each([
    ["a NUL byte", `${E}/workflows/quick/instances/same%00`],
    ["a NUL byte in the workflow's name", `${E}/workflows/quick%00/instances`],
    ["a control character", `${E}/workflows/quick/instances/same%0A`],
    ["a broken percent-encoding", `${E}/workflows/quick/instances/%ZZ`],
    ["a cut-off percent-encoding", `${E}/workflows/quick/instances/same%`],
    ["an invalid UTF-8 sequence", `${E}/workflows/quick/instances/%E0%A4%A`],
    ["a lone surrogate", `${E}/workflows/quick/instances/%ED%A0%80`],
    ["a REST path with a NUL byte", "/client/v4/accounts/a/workflows/quick/instances/%00"],
    ["a Cairn path with a broken encoding", "/cairn/api/workflows/quick/instances/same/log%C0"],
  ])("answers 400 request.invalid_path for %s, naming the segment", async (_what, path) => {
    const answer = await send("GET", path);
    expect(answer.status).toBe(400);
    expect(answer.code).toBe("request.invalid_path");
    expect(answer.text).toContain("path segment");
    expect(errors).toEqual([]);
  });

  it.each([
    ["an instance id", (id: string) => `${E}/workflows/quick/instances/${id}`],
    ["a workflow name", (id: string) => `${E}/workflows/${id}/instances`],
    ["a REST instance id", (id: string) => `/client/v4/accounts/a/workflows/quick/instances/${id}`],
    ["a Cairn instance id", (id: string) => `/cairn/api/workflows/quick/instances/${id}/log`],
    ["an event type", (id: string) => `${E}/workflows/quick/instances/same/events/${id}`],
  ])(
    "answers %s of 10,000 characters with 400 request.invalid_path, naming the length and the limit",
    async (_what, path) => {
      for (const method of ["GET", "POST", "DELETE"]) {
        const answer = await send(method, path("a".repeat(10_000)));
        expect(answer.status).toBe(400);
        expect(answer.code).toBe("request.invalid_path");
        expect(answer.text).toMatch(/10000 characters; the limit is \d+/);
      }
      expect(errors).toEqual([]);
    },
  );
});

describe("paths that only look like another's", () => {
  it("takes an encoded slash as part of one segment, never as a step into another workflow", async () => {
    const answer = await send("GET", `${E}/workflows/quick/instances/..%2F..%2Fbroken%2Finstances%2Fsame`);
    expect([400, 404]).toContain(answer.status);
    expect(answer.text).not.toContain("MARK-BROKEN");
  });

  it("resolves dot segments before routing, as every URL is: the answer is about the workflow the path ends in", async () => {
    // "/workflows/broken/../quick/…" is a request about quick, never about broken.
    for (const path of [
      `${E}/workflows/broken/../quick/instances/same`,
      `${E}/workflows/broken/%2e%2e/quick/instances/same`,
      `${E}/workflows/broken/./../quick/instances/same`,
    ]) {
      const answer = await send("GET", path);
      expect(answer.status).toBe(200);
      expect(answer.text).toContain("MARK-QUICK");
      expect(answer.text).not.toContain("MARK-BROKEN");
    }
    const list = await send("GET", `${E}/workflows/broken/%2E%2E/quick/instances`);
    expect(list.text).toContain('"id":"only-quick"');
    expect(list.text).not.toContain('"id":"only-broken"');
  });

  it("never lets dot segments climb out of the API onto another route", async () => {
    const answer = await send("GET", `${E}/../../../../cairn/api/workflows/broken/instances/same`);
    // The URL resolves to /cairn/api/…: it is that route, answered for the workflow it names.
    expect(answer.status).toBe(200);
    const escaped = await send("GET", `${E}/workflows/%2e%2e%2f%2e%2e%2fmetrics`);
    expect(escaped.status).toBe(404);
    expect(errors).toEqual([]);
  });
});

/** Segments that try to slip from one workflow to the other or break the router. */
const TRICKS = [
  "..",
  ".",
  "%2e%2e",
  "%2E%2E",
  ".%2e",
  "%2F",
  "..%2F",
  "%2Fbroken",
  "broken",
  "%5C",
  "..%5Cbroken",
  "%00",
  "%",
  "%ZZ",
  "%C0%AE",
  "same%2Fbroken",
  "só",
  "%F0%9F%92%A5",
  "a".repeat(101),
  "a".repeat(10_000),
  "",
];

/** The routes about one workflow's instances, with `{w}` for its name and `{id}` for an id. */
const ABOUT_ONE: [method: string, template: string][] = [
  ["GET", `${E}/workflows/{w}`],
  ["GET", `${E}/workflows/{w}/instances`],
  ["GET", `${E}/workflows/{w}/instances/{id}`],
  ["PATCH", `${E}/workflows/{w}/instances/{id}/status`],
  ["POST", `${E}/workflows/{w}/instances/{id}/events/{x}`],
  ["POST", `${E}/workflows/{w}/instances/batch/delete`],
  ["GET", "/cdn-cgi/explorer/api/workflows/{w}/instances/{id}"],
  ["GET", "/client/v4/accounts/{x}/workflows/{w}"],
  ["GET", "/client/v4/accounts/{x}/workflows/{w}/instances"],
  ["GET", "/client/v4/accounts/{x}/workflows/{w}/instances/{id}"],
  ["GET", "/client/v4/accounts/{x}/workflows/{w}/instances/{id}/step?name=only-1"],
  ["GET", "/client/v4/accounts/{x}/workflows/{w}/versions"],
  ["GET", "/cairn/api/workflows/{w}"],
  ["GET", "/cairn/api/workflows/{w}/instances"],
  ["GET", "/cairn/api/workflows/{w}/instances/{id}"],
  ["GET", "/cairn/api/workflows/{w}/instances/{id}/log"],
  ["GET", "/cairn/api/workflows/{w}/instances/{id}/steps/{x}/output"],
  ["GET", "/cairn/api/workflows/{w}/activity"],
];

describe("the property", () => {
  it("answers a request about quick, whatever tricks its segments hold, below 500 and never with broken's instances", async () => {
    const trick = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...TRICKS) },
      { weight: 2, arbitrary: fc.constantFrom("same", "only-quick", "only-broken", "quick") },
      { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 12 }).map(encodeURIComponent) },
    );
    const request = fc.record({
      route: fc.constantFrom(...ABOUT_ONE),
      id: fc.oneof(fc.constantFrom("same", "only-quick", "only-broken"), trick),
      // Tricks between the workflow's name and the rest, which must never make it broken's.
      prefix: fc.array(trick, { maxLength: 2 }),
      x: trick,
      method: fc.option(fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")),
    });
    const details = await fc.check(
      fc.asyncProperty(request, async ({ route: [routeMethod, template], id, prefix, x, method }) => {
        const path = template
          .replace("{w}", ["quick", ...prefix.filter((p) => !/^(\.|%2e)/i.test(p))].join("/"))
          .replace("{id}", id)
          .replace(/\{x\}/g, x || "x");
        const answer = await send(method ?? routeMethod, path);
        if (answer.status >= 500)
          throw new Error(
            `${answer.status} for ${method ?? routeMethod} ${path}: ${answer.text.slice(0, 300)}`,
          );
        if (answer.text.includes("MARK-BROKEN") || answer.text.includes('"id":"only-broken"')) {
          throw new Error(`broken's instance in the answer to ${path}: ${answer.text.slice(0, 300)}`);
        }
        if (errors.length > 0)
          throw new Error(`reported as the server's fault: ${errors.map(String).join("; ")}`);
      }),
      { numRuns: RUNS },
    );
    if (details.failed) {
      throw new Error(
        `property failed (replay with { seed: ${details.seed}, path: "${details.counterexamplePath}" }): ${String(details.errorInstance).slice(0, 2_000)}`,
      );
    }
  }, 120_000);
});
