// The wire contract: each command sends the request Cloudflare's REST v4 routes expect (method,
// path with encoded segments, query, body), with the token and URL from flags or environment.

import { describe, expect, it } from "vitest";
import { type Recorded, runCli } from "./helpers/run-cli.js";
import { listItem } from "./helpers/samples.js";

const ok = { result: { status: "running", timestamp: "2026-12-04T10:05:00.000Z" } };

function sent(request: Recorded) {
  return {
    method: request.method,
    path: request.url.pathname,
    query: Object.fromEntries(request.url.searchParams),
    body: request.body === null ? null : JSON.parse(request.body),
  };
}

describe("requests", () => {
  it("uses http://localhost:8787 by default, CAIRN_URL and CAIRN_API_TOKEN from the environment, and flags over both", async () => {
    const routes = { "GET /workflows": { result: [] } };
    const plain = await runCli(["list"], { routes });
    expect(plain.requests[0]!.url.origin).toBe("http://localhost:8787");
    expect(plain.requests[0]!.headers.get("authorization")).toBeNull();
    const env = await runCli(["list"], {
      routes,
      env: { CAIRN_URL: "http://cairn.test:9000/", CAIRN_API_TOKEN: "t1" },
    });
    expect(env.requests[0]!.url.href).toBe(
      "http://cairn.test:9000/client/v4/accounts/cairn/workflows?page=1",
    );
    expect(env.requests[0]!.headers.get("authorization")).toBe("Bearer t1");
    const flags = await runCli(["list", "--url", "http://other.test", "--api-token", "t2"], {
      routes,
      env: { CAIRN_URL: "http://cairn.test:9000", CAIRN_API_TOKEN: "t1" },
    });
    expect(flags.requests[0]!.url.origin).toBe("http://other.test");
    expect(flags.requests[0]!.headers.get("authorization")).toBe("Bearer t2");
  });

  it("takes the REST base of cairn's ready line as --url too", async () => {
    const routes = { "GET /workflows": { result: [] } };
    for (const url of [
      "http://127.0.0.1:8790/client/v4/accounts/local/workflows",
      "http://127.0.0.1:8790/client/v4/",
      "http://127.0.0.1:8790/",
    ]) {
      const run = await runCli(["list", "--url", url], { routes });
      expect(run.requests[0]!.url.href).toBe(
        "http://127.0.0.1:8790/client/v4/accounts/cairn/workflows?page=1",
      );
    }
    const prefixed = await runCli(["list", "--url", "https://ops.example/cairn"], { routes });
    expect(prefixed.requests[0]!.url.href).toBe(
      "https://ops.example/cairn/client/v4/accounts/cairn/workflows?page=1",
    );
  });

  it("percent-encodes path segments", async () => {
    const run = await runCli(["instances", "pause", "my flow", "a/b?c"], {
      routes: { "PATCH /workflows/my%20flow/instances/a%2Fb%3Fc/status": ok },
    });
    expect(run.code).toBe(0);
    expect(run.requests[0]!.url.pathname).toBe(
      "/client/v4/accounts/cairn/workflows/my%20flow/instances/a%2Fb%3Fc/status",
    );
  });

  it("trigger sends instance_id and params only when given", async () => {
    const routes = { "POST /workflows/orders/instances": { result: { id: "x", status: "queued" } } };
    const bare = await runCli(["trigger", "orders"], { routes });
    expect(sent(bare.requests[0]!).body).toEqual({});
    const full = await runCli(["trigger", "orders", '{"items":["lamp"]}', "--id", "order-1"], { routes });
    expect(sent(full.requests[0]!).body).toEqual({ instance_id: "order-1", params: { items: ["lamp"] } });
    expect(full.stdout).toContain('🚀 Instance "x" of workflow orders queued');
  });

  it("instances list sends the filters as the query, the date-only end as the end of that day", async () => {
    const run = await runCli(
      [
        "instances",
        "list",
        "orders",
        "--status",
        "errored",
        "--date-start",
        "2026-12-01",
        "--date-end",
        "2026-12-03",
        "--per-page",
        "10",
        "--page",
        "2",
      ],
      { routes: { "GET /workflows/orders/instances": { result: [] } } },
    );
    expect(sent(run.requests[0]!)).toEqual({
      method: "GET",
      path: "/client/v4/accounts/cairn/workflows/orders/instances",
      query: {
        status: "errored",
        date_start: "2026-12-01T00:00:00.000Z",
        date_end: "2026-12-03T23:59:59.999Z",
        per_page: "10",
        page: "2",
      },
      body: null,
    });
    expect(run.stdout).toBe("No instances of orders on page 2.\n");
  });

  it("pause, resume, terminate and restart PATCH the status with their options", async () => {
    const routes = { "PATCH /workflows/orders/instances/x/status": ok };
    const bodies = [];
    for (const args of [
      ["pause"],
      ["resume"],
      ["terminate"],
      ["terminate", "--rollback"],
      ["restart"],
      ["restart", "--from-step-name", "charge card"],
      [
        "restart",
        "--from-step-name",
        "charge card",
        "--from-step-count",
        "2",
        "--from-step-type",
        "waitForEvent",
      ],
    ]) {
      const run = await runCli(["instances", args[0]!, "orders", "x", ...args.slice(1)], { routes });
      expect(run.code).toBe(0);
      bodies.push(sent(run.requests[0]!).body);
    }
    expect(bodies).toEqual([
      { status: "pause" },
      { status: "resume" },
      { status: "terminate" },
      { status: "terminate", rollback: true },
      { status: "restart" },
      { status: "restart", from: { name: "charge card" } },
      { status: "restart", from: { name: "charge card", count: 2, type: "waitForEvent" } },
    ]);
  });

  it("send-event POSTs the payload as written to the event type's path", async () => {
    const routes = { "POST /workflows/orders/instances/x/events/shipped%20now": { result: null } };
    const run = await runCli(
      [
        "instances",
        "send-event",
        "orders",
        "x",
        "--type",
        "shipped now",
        "--payload",
        '{ "carrier": "ACME" }',
      ],
      { routes },
    );
    expect(run.code).toBe(0);
    expect(run.requests[0]!.body).toBe('{ "carrier": "ACME" }');
    expect(run.requests[0]!.headers.get("content-type")).toBe("application/json");
    expect(run.stdout).toBe('📤 Sent event "shipped now" to instance "x" of workflow orders\n');
    const empty = await runCli(["instances", "send-event", "orders", "x", "--type", "shipped now"], {
      routes,
    });
    expect(empty.requests[0]!.body).toBe("{}");
  });

  it("terminate-all PUTs with the status as the query", async () => {
    const routes = { "PUT /workflows/orders/instances/terminate": { result: { status: "ok" } } };
    const run = await runCli(["instances", "terminate-all", "orders", "--status", "waiting"], { routes });
    expect(sent(run.requests[0]!)).toMatchObject({ method: "PUT", query: { status: "waiting" }, body: null });
    expect(run.stdout).toBe("🚫 Terminating every waiting instance of workflow orders\n");
    const busy = await runCli(["instances", "terminate-all", "orders"], {
      routes: { "PUT /workflows/orders/instances/terminate": { result: { status: "already_running" } } },
    });
    expect(sent(busy.requests[0]!).query).toEqual({});
    expect(busy.stdout).toBe("⌛ A terminate-all of workflow orders is already under way\n");
  });

  it("instances delete sends the arguments' and the file's ids once each", async () => {
    const run = await runCli(["instances", "delete", "orders", "a", "b", "--filename", "ids.json"], {
      routes: { "POST /workflows/orders/instances/batch/delete": { result: { deleted: [], errors: [] } } },
      files: { "ids.json": '["b", "c"]' },
    });
    expect(run.code).toBe(0);
    expect(sent(run.requests[0]!).body).toEqual({ instances: ["a", "b", "c"] });
  });

  it("export writes Cairn's view, each stream's bytes and the log to --output", async () => {
    const steps = [
      { key: "do:1:a", type: "do", name: "a", count: 1, status: "succeeded", output: 1 },
      { key: "do:1:blob", type: "do", name: "blob", count: 1, status: "succeeded", stream: { bytes: 3 } },
    ];
    const run = await runCli(["instances", "export", "orders", "x", "--output", "x.json"], {
      routes: {
        "GET /cairn/api/workflows/orders/instances/x": { result: { id: "x", status: "complete", steps } },
        "GET /cairn/api/workflows/orders/instances/x/steps/do%3A1%3Ablob/output": {
          bytes: new Uint8Array([1, 2, 255]),
        },
        "GET /cairn/api/workflows/orders/instances/x/log": { result: [{ seq: 1, type: "created" }] },
      },
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.files.get("x.json")!)).toEqual({
      format: "cairn.instance-history/2",
      exported_at: "2026-12-04T10:05:00.000Z",
      server: "http://localhost:8787",
      workflow: "orders",
      id: "x",
      include_sensitive: false,
      instance: { id: "x", status: "complete", steps },
      streams: { "do:1:blob": { bytes: 3, base64: "AQL/" } },
      log: [{ seq: 1, type: "created" }],
    });
    expect(run.requests.map((r) => r.url.search)).toEqual(["", "", ""]);
    expect(run.stdout).toContain(
      'Wrote the history of instance "x" of workflow orders to x.json (2 steps, 1 log entry)',
    );
  });

  it("export --include-sensitive asks Cairn's routes to show sensitive outputs, and says so", async () => {
    const steps = [
      { key: "do:1:s", type: "do", name: "s", count: 1, status: "succeeded", stream: { bytes: 1 } },
    ];
    const run = await runCli(["instances", "export", "orders", "x", "--include-sensitive"], {
      routes: {
        "GET /cairn/api/workflows/orders/instances/x": { result: { id: "x", status: "complete", steps } },
        "GET /cairn/api/workflows/orders/instances/x/steps/do%3A1%3As/output": { bytes: new Uint8Array([7]) },
        "GET /cairn/api/workflows/orders/instances/x/log": { result: [] },
      },
    });
    expect(run.code).toBe(0);
    expect(run.requests.map((r) => r.url.searchParams.get("include_sensitive"))).toEqual([
      "true",
      "true",
      null,
    ]);
    expect(JSON.parse(run.stdout)).toMatchObject({
      include_sensitive: true,
      streams: { "do:1:s": { bytes: 1, base64: "Bw==" } },
    });
    expect(run.stderr).toContain("sensitive outputs in clear");
  });

  it("export notes how many sensitive outputs read [REDACTED] without --include-sensitive", async () => {
    const steps = [
      {
        key: "do:1:token",
        type: "do",
        name: "token",
        count: 1,
        status: "succeeded",
        config: { sensitive: "output" },
        output: "[REDACTED]",
      },
    ];
    const run = await runCli(["instances", "export", "orders", "x"], {
      routes: {
        "GET /cairn/api/workflows/orders/instances/x": { result: { id: "x", status: "complete", steps } },
        "GET /cairn/api/workflows/orders/instances/x/log": { result: [] },
      },
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('1 sensitive output reads "[REDACTED]" (--include-sensitive to include them)\n');
  });
});

describe("latest", () => {
  const routes = {
    "GET /workflows/orders/instances": {
      result: [
        listItem("middle", "2026-12-04T10:01:00.000Z"),
        listItem("newest", "2026-12-04T10:03:00.000Z"),
        listItem("oldest", "2026-11-30T09:00:00.000Z"),
      ],
    },
    "GET /workflows/orders/instances/newest": { result: { status: "complete", steps: [] } },
    "PATCH /workflows/orders/instances/newest/status": ok,
    "POST /workflows/orders/instances/batch/delete": { result: { deleted: [{ id: "newest" }], errors: [] } },
  };

  it("is the instance with the newest created_on from one list request with no query", async () => {
    const run = await runCli(["instances", "describe", "orders"], { routes });
    expect(run.code).toBe(0);
    expect(run.requests.map((r) => r.url.pathname + r.url.search)).toEqual([
      "/client/v4/accounts/cairn/workflows/orders/instances",
      "/client/v4/accounts/cairn/workflows/orders/instances/newest",
    ]);
    expect(run.stderr).toBe('Latest instance is "newest"\n');
    expect(run.stdout).toMatch(/^Instance newest of workflow orders\n/);
  });

  it("works for every command that takes an id, and is not noted with --json", async () => {
    const pause = await runCli(["instances", "pause", "orders", "latest", "--json"], { routes });
    expect(pause.requests[1]!.url.pathname).toBe(
      "/client/v4/accounts/cairn/workflows/orders/instances/newest/status",
    );
    expect(pause.stderr).toBe("");
    expect(JSON.parse(pause.stdout)).toEqual(ok.result);
    const remove = await runCli(["instances", "delete", "orders", "latest", "newest"], { routes });
    expect(sent(remove.requests[1]!).body).toEqual({ instances: ["newest"] });
  });

  it("fails with status 1 when the workflow has no instances", async () => {
    const run = await runCli(["instances", "describe", "orders", "latest"], {
      routes: { "GET /workflows/orders/instances": { result: [] } },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('cairn workflows: there are no instances of workflow "orders"\n');
  });
});
