// Property-based fuzz of the routes around the API that fuzz.test.ts leaves out: the health
// probes (healthz, readyz), the Prometheus metrics and the dashboard (its pages, assets,
// sign-in and sign-out), served together as `cairn start` serves them, with a token set and
// without, called directly and over a real node:http server. Any method, path (dot segments,
// encoded slashes, NUL bytes, long segments), query, headers and body: never a 5xx but readyz's
// documented 503 when not ready, an error in Cloudflare's envelope (the dashboard's own pages
// answer text or HTML), nothing reported as the server's fault.

import { request as httpRequest, type Server } from "node:http";
import { createApiHandler } from "cairn";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeServer, createHttpServer, listen } from "../../src/host/http-server.js";
import { createHealthRoutes } from "../../src/server/health-routes.js";
import { RequestGuard } from "../../src/server/request-guard.js";
import { type FuzzFixture, openFuzzFixture } from "./helpers/fuzz-fixture.js";

/** Runs per property: about two seconds in all; FUZZ_SCALE=10 runs ten times as many. */
const RUNS = 300 * Number(process.env.FUZZ_SCALE ?? 1);
const TOKEN = "t0k3n-of-some-length";

type Answer = { status: number; contentType: string; worker: boolean; body: string };
type Handler = (request: Request) => Promise<Response>;
type Sent = { method: string; path: string; headers: [string, string][]; body: string | null };

let fx: FuzzFixture;
let ready = true;
const handlers: Record<"open" | "token", Handler> = {} as never;

beforeAll(async () => {
  fx = await openFuzzFixture();
  for (const mode of ["open", "token"] as const) {
    const token = mode === "token" ? TOKEN : undefined;
    const api = createApiHandler({
      target: fx.cairn,
      token,
      dashboard: true,
      metrics: { path: "/metrics" },
      onError: (error, context) => fx.errors.push({ error, context }),
    });
    const health = createHealthRoutes({
      basePath: "",
      readiness: async () => ({ ready, reason: ready ? null : "shutting down", checks: {} }),
      guard: new RequestGuard({ token }),
    });
    handlers[mode] = async (request) => {
      if (health.handles(request)) return health.fetch(request);
      if (api.handles(request)) return api.fetch(request);
      return new Response("the Worker", { status: 404, headers: { "x-the-worker": "1" } });
    };
  }
}, 60_000);
afterAll(async () => {
  await fx?.close();
});

const BASES = [
  "/healthz",
  "/readyz",
  "/metrics",
  "/cdn-cgi/local/explorer/",
  "/cdn-cgi/local/explorer",
  "/cdn-cgi/local/explorer/sign-in",
  "/cdn-cgi/local/explorer/sign-out",
  "/cdn-cgi/local/explorer/assets/app.js",
  "/cdn-cgi/local/explorer/assets/app.css",
  "/cdn-cgi/local/explorer/assets/sign-in.css",
  "/cdn-cgi/local/explorer/workflows/orders",
];
const SEGMENTS = [
  "..",
  "%2e%2e",
  "%2F",
  "%00",
  "%",
  "%ZZ",
  "é",
  "%F0%9F%92%A5",
  "assets",
  "a".repeat(2_000),
  "",
];
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"];

const requestArb = fc.record({
  method: fc.constantFrom(...METHODS),
  path: fc
    .tuple(fc.constantFrom(...BASES), fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 2 }))
    .map(([base, extra]) => [base, ...extra].join("/").replace(/\/\/+/g, "/")),
  query: fc.option(
    fc.constantFrom("?next=/", "?next=//evil.example", "?next=%00", "?a=%ZZ", `?token=${TOKEN}`, "?x=1&x=2"),
  ),
  headers: fc.array(
    fc.oneof(
      fc.constant<[string, string]>(["authorization", `Bearer ${TOKEN}`]),
      fc.constant<[string, string]>(["authorization", "Bearer wrong"]),
      fc.constant<[string, string]>(["cookie", "cairn_session=forged"]),
      fc.constant<[string, string]>(["origin", "http://evil.example"]),
      fc.constant<[string, string]>(["if-none-match", '"x", *']),
      fc.constant<[string, string]>(["content-type", "application/x-www-form-urlencoded"]),
      fc.constant<[string, string]>(["accept", "text/html"]),
    ),
    { maxLength: 3 },
  ),
  host: fc.constantFrom("localhost", "127.0.0.1:9", "evil.example", "[::1]"),
  body: fc.option(
    fc.oneof(
      fc.constantFrom(`token=${TOKEN}&next=/`, "token=&next=%ZZ", "{", "[]", `{"a":${"[".repeat(3000)}`),
      fc.json(),
      fc.string({ unit: "binary", maxLength: 200 }),
    ),
  ),
  ready: fc.boolean(),
});

function toSent(r: {
  method: string;
  path: string;
  query: string | null;
  headers: [string, string][];
  host: string;
  body: string | null;
}): Sent {
  const hasBody = r.body !== null && r.method !== "GET" && r.method !== "HEAD";
  return {
    method: r.method,
    path: `${r.path}${r.query ?? ""}`,
    headers: [["host", r.host], ...r.headers],
    body: hasBody ? r.body : null,
  };
}

/** What breaks the contract in an answer, or null. */
function breach(sent: Sent, status: number, contentType: string, body: string): string | null {
  const path = sent.path.split("?")[0]!;
  const readyz = path === "/readyz";
  if (status >= 500 && !(status === 503 && readyz && !ready)) return `status ${status}`;
  if (status < 400 || !contentType.includes("json")) {
    // Errors of the API, the probes and the metrics come as the envelope; the dashboard's as text.
    const isDashboard =
      path.startsWith("/cdn-cgi/local/explorer") && !path.startsWith("/cdn-cgi/local/explorer/api");
    if (status >= 400 && !isDashboard && sent.method !== "HEAD" && path !== "/metrics") {
      return `an error as ${contentType || "no content type"}`;
    }
    return null;
  }
  if (sent.method === "HEAD") return null;
  let parsed: { success?: unknown; errors?: unknown[] };
  try {
    parsed = JSON.parse(body);
  } catch {
    return "a JSON error that does not parse";
  }
  if (readyz && status === 503)
    return parsed && typeof parsed === "object" ? null : "a readyz answer that is no object";
  if (parsed.success !== false || !Array.isArray(parsed.errors) || parsed.errors.length === 0) {
    return "an error outside Cloudflare's envelope";
  }
  return null;
}

async function direct(handler: Handler, sent: Sent): Promise<Answer> {
  // A Request cannot carry TRACE (the fetch standard forbids it): only the HTTP server sees one.
  if (sent.method === "TRACE") return { status: 405, contentType: "", worker: true, body: "" };
  const response = await handler(
    new Request(`http://localhost${sent.path}`, {
      method: sent.method,
      headers: sent.headers,
      ...(sent.body !== null ? { body: sent.body } : {}),
    }),
  );
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    worker: response.headers.has("x-the-worker"),
    body: await response.text(),
  };
}

function overHttp(port: number, sent: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of sent.headers) headers[name] = value;
    if (sent.body !== null) headers["content-length"] = String(Buffer.byteLength(sent.body));
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: sent.method,
        path: sent.path,
        headers,
        agent: false,
        setHost: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            worker: res.headers["x-the-worker"] !== undefined,
            body,
          }),
        );
      },
    );
    req.on("error", (error) =>
      reject(
        new Error(
          `${error.message}: ${sent.method} ${sent.path.slice(0, 200)} ${JSON.stringify(sent.headers)}`,
        ),
      ),
    );
    req.end(sent.body ?? undefined);
  });
}

async function assertProperty(send: (sent: Sent, mode: "open" | "token") => Promise<Answer>) {
  const details = await fc.check(
    fc.asyncProperty(requestArb, fc.constantFrom("open" as const, "token" as const), async (r, mode) => {
      ready = r.ready;
      const sent = toSent(r);
      const answer = await send(sent, mode);
      // A path none of these routes serves went on to the Worker: not theirs to answer.
      const problem = answer.worker ? null : breach(sent, answer.status, answer.contentType, answer.body);
      const reported = fx.errors.splice(0);
      if (problem || reported.length > 0) {
        throw new Error(
          `${problem ?? "reported as the server's fault"}${reported.length ? `: ${reported.map((e) => String(e.error)).join("; ")}` : ""}\n  ${mode} ${sent.method} ${sent.path.slice(0, 200)} ${JSON.stringify(sent.headers)}\n  answer: ${answer.status} ${answer.body.slice(0, 300)}`,
        );
      }
    }),
    { numRuns: RUNS },
  );
  if (details.failed) {
    throw new Error(
      `property failed (replay with { seed: ${details.seed}, path: "${details.counterexamplePath}" }): ${String(details.errorInstance).slice(0, 2_000)}`,
    );
  }
}

describe("fuzzing the probes, the metrics and the dashboard", () => {
  it("answers any request directly, below 500 (readyz's 503 aside) and errors in the envelope", async () => {
    await assertProperty((sent, mode) => direct(handlers[mode], sent));
  }, 120_000);

  it("answers the same over a real HTTP server", async () => {
    const plumbing: unknown[] = [];
    const servers: Record<string, { server: Server; port: number }> = {};
    for (const mode of ["open", "token"] as const) {
      const server = createHttpServer(handlers[mode], (error) => plumbing.push(error));
      servers[mode] = { server, port: (await listen(server, 0, "127.0.0.1")).port };
    }
    try {
      await assertProperty((sent, mode) => overHttp(servers[mode]!.port, sent));
      expect(plumbing).toEqual([]);
    } finally {
      for (const { server } of Object.values(servers)) {
        server.closeAllConnections();
        await closeServer(server);
      }
    }
  }, 120_000);
});
