// Property-based fuzz of the whole HTTP API: every route (the explorer under both prefixes, the
// REST API v4, Cairn's own routes, the change feed read to its first bytes) with any method,
// path segments and query strings of any shape, Host/Origin/Content-Type variants and bodies of
// any JSON shape, broken JSON, deep nesting and sizes around the limits. Whatever comes in, the
// answer is below 500 (no 503 either: the Cairn is open throughout), in Cloudflare's envelope,
// nothing is reported as the server's fault, and the server still serves afterwards. Most runs
// call the handler directly; a share goes through a real node:http server.

import { appendFileSync } from "node:fs";
import { request as httpRequest, type Server } from "node:http";
import { createApiHandler } from "cairn";
import { waitUntil } from "cairn/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeServer, createHttpServer, listen } from "../../src/host/http-server.js";
import { type FuzzFixture, openFuzzFixture } from "./helpers/fuzz-fixture.js";
import {
  contractBreach,
  describeRequest,
  type FuzzRequest,
  type Observed,
  ROUTES,
  requests,
  routeName,
  sendDirect,
  sendHttp,
} from "./helpers/fuzz-requests.js";

const E = "/cdn-cgi/local/explorer/api";

/**
 * Runs per property: together about 8,000 requests, which keeps this file near 20 s on two cores
 * (the bound is ~40 s). FUZZ_SCALE=10 runs ten times as many, for a longer hunt.
 */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const RUNS = {
  direct: 5_000 * SCALE,
  http: 1_000 * SCALE,
  token: 800 * SCALE,
  destructive: 1_200 * SCALE,
};

/** Room for a slow machine and for shrinking a failure. */
const FUZZ_TIMEOUT = 180_000 * SCALE;

let fx: FuzzFixture;
beforeAll(async () => {
  fx = await openFuzzFixture();
}, 60_000);
afterAll(async () => {
  await fx?.close();
});

/**
 * Runs the property like fc.assert, but fails with a short message: the seed and path to replay
 * it, and the shrunk request described (a counterexample can hold megabytes).
 */
async function assertProperty<T extends [FuzzRequest, ...unknown[]]>(
  property: fc.IAsyncProperty<T>,
  numRuns: number,
) {
  const details = await fc.check(property, { numRuns, verbose: fc.VerbosityLevel.Verbose });
  if (!details.failed) return;
  const error =
    details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  // A failure that outlives its request (a feed left open) fails every shrunk request too: the
  // first one to fail is the one to look at then.
  const first = details.failures[0];
  throw new Error(
    `property failed after ${details.numRuns} runs (replay with { seed: ${details.seed}, path: "${details.counterexamplePath}" }), shrunk ${details.numShrinks} times:\n${error.slice(0, 3_000)}${first ? `\n  first failing request: ${describeRequest(first[0])}` : ""}`,
  );
}

/** Answers by route template and status, printed with FUZZ_STATS=1 (to see what the fuzz reaches). */
const coverage = new Map<string, Map<number, number>>();
afterAll(() => {
  // The long fuzz of `npm run soak -- --fuzz` reads how many requests this file sent.
  if (process.env.FUZZ_REPORT)
    appendFileSync(process.env.FUZZ_REPORT, `${JSON.stringify({ requests: sent })}\n`);
  if (!process.env.FUZZ_STATS) return;
  for (const [route, byStatus] of [...coverage].sort()) {
    const counts = [...byStatus].sort().map(([s, n]) => `${s}×${n}`);
    console.log(`${route.padEnd(80)} ${counts.join(" ")}`);
  }
});

let sent = 0;

/**
 * Sends one request and fails with the request and what came back when the answer breaks the
 * contract or the API (or the engine) reported an error of its own meanwhile.
 */
async function check(
  send: (r: FuzzRequest) => Promise<Observed>,
  request: FuzzRequest,
  options: { count?: boolean } = {},
): Promise<Observed> {
  if (++sent % 50 === 0) await fx.replenish();
  // A feed an earlier request left open fails this one at once (no wait), so shrinking is quick.
  const leftOpenBefore = fx.cairn.engine.changes.watching;
  const observed = await send(request);
  if (options.count) {
    const byStatus = coverage.get(request.route) ?? new Map<number, number>();
    byStatus.set(observed.status, (byStatus.get(observed.status) ?? 0) + 1);
    coverage.set(request.route, byStatus);
  }
  const problems = [
    contractBreach(request, observed),
    reportedErrors(),
    leftOpenBefore ? "a change feed an earlier request opened is still watching" : await feedLeftOpen(),
  ].filter((p) => p !== null);
  if (problems.length > 0) {
    const body = new TextDecoder().decode(observed.body.slice(0, 400));
    throw new Error(
      `${problems.join("; ")}\n  request: ${describeRequest(request)}\n  answer: ${observed.status} ${body}`,
    );
  }
  return observed;
}

/** A change feed still open once its client went away (read its first bytes and left), or null. */
async function feedLeftOpen(): Promise<string | null> {
  try {
    await waitUntil(
      () => fx.cairn.engine.changes.watching,
      (watching) => !watching,
      { timeoutMs: 1_000 },
    );
    return null;
  } catch {
    return "a change feed is still watching after its client went away";
  }
}

/** What the API or the engine reported as its own fault since the last call, or null. */
function reportedErrors(): string | null {
  const reported = fx.errors.splice(0);
  if (reported.length === 0) return null;
  return `reported as the server's fault: ${reported.map((e) => `${e.context}: ${String(e.error)}`).join("; ")}`;
}

/** A well-formed read and create still work, and no change feed is left open. */
async function expectStillServing(send: (r: FuzzRequest) => Promise<Observed>): Promise<void> {
  const list = await send({
    method: "GET",
    target: `${E}/workflows`,
    headers: [["host", "localhost"]],
    route: "",
  });
  expect(list.status).toBe(200);
  expect(JSON.parse(new TextDecoder().decode(list.body)).result).toHaveLength(3);
  const created = await send({
    method: "POST",
    target: `${E}/workflows/quick/instances`,
    headers: [
      ["host", "localhost"],
      ["content-type", "application/json"],
    ],
    body: "{}",
    route: "",
  });
  expect(created.status).toBe(200);
  const { id } = JSON.parse(new TextDecoder().decode(created.body)).result;
  await waitUntil(
    async () => (await fx.cairn.inspect.instance("quick", id)).status,
    (s) => s === "complete",
    { what: "a new instance complete after the fuzz" },
  );
  await waitUntil(
    () => fx.cairn.engine.changes.watching,
    (watching) => !watching,
    { what: "every change feed the fuzz opened closed", timeoutMs: 2_000 },
  );
}

describe("fuzzing the HTTP API", () => {
  it(
    "answers any request to any route, called directly, below 500 in Cloudflare's envelope",
    async () => {
      await assertProperty(
        fc.asyncProperty(requests(fx.known, { destructive: false, big: true }), async (request) => {
          await check((r) => sendDirect(fx.api, r), request, { count: true });
        }),
        RUNS.direct,
      );
      // The fuzz reaches real code, not only refusals: nearly every route answered 200 at least once.
      const missed = ROUTES.filter((t) => !t.destructive)
        .map(routeName)
        .filter((route) => !coverage.get(route)?.has(200));
      expect(missed.length, `routes never answered 200: ${missed.join(", ")}`).toBeLessThanOrEqual(3);
      await expectStillServing((r) => sendDirect(fx.api, r));
    },
    FUZZ_TIMEOUT,
  );

  it(
    "answers the same over a real HTTP server, where the request-target arrives raw",
    async () => {
      const plumbing: unknown[] = [];
      const server: Server = createHttpServer(
        (request) => fx.api.fetch(request),
        (error) => plumbing.push(error),
      );
      const { port } = await listen(server, 0, "127.0.0.1");
      try {
        await assertProperty(
          fc.asyncProperty(requests(fx.known, { destructive: false, forHttp: true }), async (request) => {
            // The server reports a failure of its plumbing before it answers 500.
            const failed = () => plumbing.splice(0).map(String).join("; ");
            await check((r) => sendHttp(port, r), request, { count: true }).catch((error: Error) => {
              throw new Error(`${error.message}\n  the HTTP server reported: ${failed() || "nothing"}`);
            });
            const reported = failed();
            if (reported)
              throw new Error(`the HTTP server failed: ${reported}\n  request: ${describeRequest(request)}`);
          }),
          RUNS.http,
        );
        await expectStillServing((r) => sendHttp(port, r));
      } finally {
        server.closeAllConnections();
        await closeServer(server);
      }
    },
    FUZZ_TIMEOUT,
  );

  it(
    "asks for the token whatever else the request carries, and lets the right one through",
    async () => {
      const guarded = createApiHandler({
        target: fx.cairn,
        token: "t0k3n",
        allowedHosts: ["cairn.internal"],
        onError: (error, context) => fx.errors.push({ error, context }),
      });
      const authorization = fc.oneof(
        fc.constantFrom(
          "Bearer t0k3n",
          "bearer t0k3n",
          "Bearer  t0k3n ",
          "Bearer t0k3",
          "Basic t0k3n",
          "t0k3n",
          "",
        ),
        fc.string({ maxLength: 20 }).map((s) => `Bearer ${s.replace(/[\r\n\0]/g, "")}`),
      );
      await assertProperty(
        fc.asyncProperty(
          requests(fx.known, { destructive: false }),
          fc.option(authorization, { freq: 4 }),
          fc.constantFrom("localhost", "cairn.internal", "CAIRN.internal:443", "other.internal"),
          async (request, auth, host) => {
            const headers = request.headers.filter(([n]) => n !== "authorization" && n !== "host");
            headers.push(["host", host]);
            if (auth !== null) headers.push(["authorization", auth]);
            const sent = { ...request, headers };
            const observed = await check((r) => sendDirect(guarded, r), sent);
            const token = auth === null ? null : /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
            const code = () => JSON.parse(new TextDecoder().decode(observed.body)).errors[0].cairn_code;
            if (host === "other.internal") {
              expect(observed.status).toBe(403);
              expect(code()).toBe("host.not_allowed");
            } else if (sent.method === "OPTIONS") {
              expect(observed.status).toBe(204);
            } else if (token !== "t0k3n") {
              // Refused for the token (401), or for a write's Origin (403), checked before it.
              expect([401, 403]).toContain(observed.status);
              expect(["auth.missing", "auth.invalid", "origin.not_allowed"]).toContain(code());
            } else {
              expect(observed.status).not.toBe(401);
            }
          },
        ),
        RUNS.token,
      );
    },
    FUZZ_TIMEOUT,
  );

  it(
    "does so too with the routes that delete or terminate a whole workflow's instances",
    async () => {
      await assertProperty(
        fc.asyncProperty(requests(fx.known, { destructive: true }), async (request) => {
          await check((r) => sendDirect(fx.api, r), request, { count: true });
        }),
        RUNS.destructive,
      );
      // Terminate-all runs in the background and reports its errors when done: a new one (of a
      // status no instance has) starts only once the fuzz's are over.
      for (const name of ["orders", "broken", "quick"]) {
        await waitUntil(
          async () => {
            const answer = await sendDirect(fx.api, {
              method: "PUT",
              target: `/client/v4/accounts/a/workflows/${name}/instances/terminate?status=waitingForPause`,
              headers: [["host", "localhost"]],
              route: "",
            });
            return JSON.parse(new TextDecoder().decode(answer.body)).result?.status;
          },
          (status) => status === "ok",
          { what: `the terminate-all jobs of "${name}" done` },
        );
      }
      expect(reportedErrors()).toBeNull();
      await expectStillServing((r) => sendDirect(fx.api, r));
    },
    FUZZ_TIMEOUT,
  );
});

/** Posts a body over HTTP, with its length declared or chunked, and reads the answer. */
function post(
  port: number,
  target: string,
  body: Buffer,
  options: { chunked: boolean },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: "localhost", "content-type": "application/json" };
    if (!options.chunked) headers["content-length"] = String(body.byteLength);
    const req = httpRequest({ host: "127.0.0.1", port, method: "POST", path: target, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    if (options.chunked) {
      for (let at = 0; at < body.byteLength; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024));
      req.end();
    } else req.end(body);
  });
}

describe("the Node plumbing", () => {
  let server: Server;
  let port: number;
  const plumbing: unknown[] = [];
  beforeAll(async () => {
    server = createHttpServer(
      (request) => fx.api.fetch(request),
      (error) => plumbing.push(error),
    );
    ({ port } = await listen(server, 0, "127.0.0.1"));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await closeServer(server);
  });

  it("refuses a body over 8 MiB with 413 whether its length is declared or it comes chunked, and goes on serving", async () => {
    const body = Buffer.from(`{"params":"${"x".repeat(9 * 1024 * 1024)}"}`);
    for (const chunked of [false, true]) {
      const answer = await post(port, `${E}/workflows/quick/instances`, body, { chunked });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.text)).toEqual({
        success: false,
        errors: [
          {
            code: 10001,
            cairn_code: "request.too_large",
            message: expect.stringMatching(
              /^the request body is \d+ bytes or more; the limit is 8388608 bytes$/,
            ),
          },
        ],
        messages: [],
        result: null,
      });
    }
    expect(plumbing).toEqual([]);
    await expectStillServing((r) => sendHttp(port, r));
  });

  it("refuses a request head over Node's 16 KiB with 431 in the envelope, and goes on serving", async () => {
    const target = `${E}/workflows/${"a".repeat(20_000)}`;
    const answer = await sendHttp(port, {
      method: "GET",
      target,
      headers: [["host", "localhost"]],
      route: "",
    });
    expect(answer.status).toBe(431);
    expect(JSON.parse(new TextDecoder().decode(answer.body)).errors[0].cairn_code).toBe("request.too_large");
    expect(plumbing).toEqual([]);
    await expectStillServing((r) => sendHttp(port, r));
  });
});
