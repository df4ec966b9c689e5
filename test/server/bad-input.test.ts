// Hand-picked bad input to the HTTP API, each answered with the exact status, Cloudflare code,
// Cairn code and a message that names the value and the rule it broke; the request guard (Host,
// Origin, token, preflight); and secrets: neither a workflow's env nor a sensitive step's output
// shows in any answer.

import type { Server } from "node:http";
import { request as httpRequest } from "node:http";
import { Cairn, createApiHandler, WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitUntil } from "cairn/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeServer, createHttpServer, listen } from "../../src/host/http-server.js";
import type { ApiHandler } from "../../src/server/api-handler.js";
import { tempDir } from "../helpers/temp-store.js";
import { FIXTURE_IDS, type FuzzFixture, openFuzzFixture } from "./helpers/fuzz-fixture.js";
import { nested } from "./helpers/fuzz-requests.js";

const E = "/cdn-cgi/local/explorer/api";
const R = "/client/v4/accounts/acct_1/workflows";
const MIB = 1024 * 1024;

type Answer = { status: number; headers: Headers; text: string; body: any };

let fx: FuzzFixture;
beforeAll(async () => {
  fx = await openFuzzFixture();
}, 60_000);
afterAll(async () => {
  await fx?.close();
});

/** Calls a handler directly; a non-string body goes as JSON. */
async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  api: ApiHandler = fx.api,
): Promise<Answer> {
  const init: RequestInit = { method, headers: { host: "localhost:8787", ...headers } };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const response = await api.fetch(new Request(`http://localhost:8787${path}`, init));
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** The answer is exactly Cloudflare's failure envelope with this one error. */
function expectError(
  answer: Answer,
  status: number,
  code: number,
  cairnCode: string,
  message: string | RegExp,
): void {
  expect({ status: answer.status, body: answer.body }).toEqual({
    status,
    body: {
      success: false,
      errors: [
        {
          code,
          cairn_code: cairnCode,
          message: typeof message === "string" ? message : expect.stringMatching(message),
        },
      ],
      messages: [],
      result: null,
    },
  });
  expect(answer.headers.get("content-type")).toMatch(/^application\/json/);
}

describe("bad bodies", () => {
  it("refuses a body that is not JSON, saying where it broke", async () => {
    for (const path of [`${E}/workflows/quick/instances`, `${R}/quick/instances`]) {
      const answer = await call("POST", path, '{"id": "x",', { "content-type": "application/json" });
      expectError(answer, 400, 10001, "request.invalid_json", /^the request body is not valid JSON: .+/);
    }
  });

  it("creates an instance from an empty body, with the params the binding gives one created without", async () => {
    const explorer = await call("POST", `${E}/workflows/quick/instances`, "");
    expect(explorer.status).toBe(200);
    expect(explorer.body).toEqual({
      success: true,
      errors: [],
      messages: [],
      result: { id: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    const rest = await call("POST", `${R}/quick/instances`);
    expect(rest.status).toBe(200);
    expect(rest.body.result).toMatchObject({ id: expect.any(String), status: "queued" });
    const bound = await fx.cairn.env.QUICK.create({ id: "bound-no-params" });
    const expected = (await fx.cairn.inspect.instance("quick", bound.id)).params;
    for (const id of [explorer.body.result.id, rest.body.result.id]) {
      const detail = await call("GET", `${E}/workflows/quick/instances/${id}`);
      expect(detail.status).toBe(200);
      expect(detail.body.result.params).toEqual(expected ?? null);
    }
  });

  it("refuses a body over 8 MiB with 413, naming the size and the limit", async () => {
    const body = `{"params":"${"x".repeat(8 * MIB - 12)}"}`;
    expect(Buffer.byteLength(body)).toBe(8 * MIB + 1);
    const answer = await call("POST", `${E}/workflows/quick/instances`, body);
    expectError(
      answer,
      413,
      10001,
      "request.too_large",
      /^the request body is \d+ bytes or more; the limit is 8388608 bytes$/,
    );
    // A declared length over the limit is refused before anything is read.
    const declared = await call("POST", `${E}/workflows/quick/instances`, "{}", {
      "content-length": String(9 * MIB),
    });
    expectError(
      declared,
      413,
      10001,
      "request.too_large",
      `the request body is ${9 * MIB} bytes or more; the limit is 8388608 bytes`,
    );
  });

  it("refuses params over the engine's 1 MiB with 413 instance.params_too_large, naming the instance", async () => {
    const params = "x".repeat(MIB);
    const answer = await call("POST", `${R}/quick/instances`, { instance_id: "too-big", params });
    expectError(
      answer,
      413,
      10001,
      "instance.params_too_large",
      /^the params of instance "too-big" is \d+ bytes; the limit is 1048576 bytes \(1 MiB\)$/,
    );
    const event = await call("POST", `${E}/workflows/orders/instances/v-1/events/approve`, {
      blob: params,
    });
    expectError(
      event,
      413,
      10001,
      "event.payload_too_large",
      /^the payload of event "approve" is \d+ bytes; the limit is 1048576 bytes \(1 MiB\)$/,
    );
    expect((await call("GET", `${E}/workflows/quick/instances/too-big`)).status).toBe(404);
  });

  it("refuses a create body that is not an object, and an id of the wrong kind or characters", async () => {
    expectError(
      await call("POST", `${E}/workflows/quick/instances`, [1, 2]),
      400,
      10001,
      "request.invalid",
      "the create body must be a JSON object, got an array",
    );
    expectError(
      await call("POST", `${E}/workflows/quick/instances`, { id: 42 }),
      400,
      10001,
      "request.invalid",
      "the create body: the instance id must be a string, got a number",
    );
    expectError(
      await call("POST", `${R}/quick/instances`, { instance_id: "bad id!" }),
      400,
      10001,
      "instance.invalid_id",
      'instance id must be 1 to 100 characters using only letters, digits, "-" and "_", not starting with "-"; got "bad id!"',
    );
    expectError(
      await call("POST", `${E}/workflows/quick/instances`, { id: "a".repeat(101) }),
      400,
      10001,
      "instance.invalid_id",
      /^instance id must be 1 to 100 characters long; got 101 characters: "a{78}…$/,
    );
  });
});

describe("names that do not exist, and operations the instance's state refuses", () => {
  it("answers 404 10501 workflow.not_found for an unknown workflow, naming it", async () => {
    for (const path of [`${E}/workflows/nope`, `${R}/nope`, `${E}/workflows/nope/instances`]) {
      expectError(
        await call("GET", path),
        404,
        10501,
        "workflow.not_found",
        'no workflow named "nope" (declared: "orders", "broken", "quick")',
      );
    }
    expectError(
      await call("POST", `${R}/nope/instances`, {}),
      404,
      10501,
      "workflow.not_found",
      'no workflow named "nope"',
    );
  });

  it("answers 404 10501 instance.not_found for an unknown instance, naming it and its workflow", async () => {
    for (const path of [
      `${E}/workflows/orders/instances/ghost`,
      `${R}/orders/instances/ghost`,
      `/cairn/api/workflows/orders/instances/ghost/log`,
    ]) {
      expectError(
        await call("GET", path),
        404,
        10501,
        "instance.not_found",
        'no instance "ghost" in workflow "orders"',
      );
    }
  });

  it("answers 409 instance.already_exists for a create with an id that is taken", async () => {
    const [id] = FIXTURE_IDS.complete;
    expectError(
      await call("POST", `${R}/quick/instances`, { instance_id: id }),
      409,
      10001,
      "instance.already_exists",
      `an instance with id "${id}" already exists in workflow "quick"; restart it, delete it, or wait for its retention to end`,
    );
  });

  it("answers 409 instance.cannot_terminate for a complete instance, naming its state", async () => {
    const [id] = FIXTURE_IDS.complete;
    expectError(
      await call("PATCH", `${E}/workflows/quick/instances/${id}/status`, { status: "terminate" }),
      409,
      10001,
      "instance.cannot_terminate",
      `Cannot terminate instance "${id}" since it is in a finite state (complete)`,
    );
  });

  it("answers 409 instance.not_running for an event to a finished instance", async () => {
    const [id] = FIXTURE_IDS.errored;
    expectError(
      await call("POST", `${R}/broken/instances/${id}/events/approve`, { ok: true }),
      409,
      10001,
      "instance.not_running",
      `instance "${id}" is errored and no longer accepts events`,
    );
  });

  it("answers 409 instance.cannot_restart for a restart from a step the instance never ran", async () => {
    const answer = await call("PATCH", `${R}/orders/instances/v-2/status`, {
      status: "restart",
      from: { name: "nope", count: 2, type: "do" },
    });
    expectError(
      answer,
      409,
      10001,
      "instance.cannot_restart",
      'Step "nope" (do #2) not found in execution history of instance "v-2"',
    );
  });

  it("answers 404 step.not_found for a step output the instance does not have", async () => {
    const [id] = FIXTURE_IDS.waiting;
    expectError(
      await call("GET", `${R}/orders/instances/${id}/step?name=nope-1`),
      404,
      10501,
      "step.not_found",
      `Step 'nope-1' not found in instance '${id}'`,
    );
    expectError(
      await call("GET", `${R}/orders/instances/${id}/step`),
      400,
      10001,
      "request.invalid",
      'name: expected the step\'s name with its count, e.g. "charge-1"',
    );
  });
});

describe("status changes", () => {
  const path = `${E}/workflows/orders/instances/v-3/status`;

  it("refuses a status that is none of the four, naming it and the four", async () => {
    expectError(
      await call("PATCH", path, { status: "bogus" }),
      400,
      10001,
      "request.invalid",
      'status: expected one of pause, resume, terminate, restart, got "bogus"',
    );
  });

  it("refuses a body with no status at all", async () => {
    expectError(
      await call("PATCH", path, {}),
      400,
      10001,
      "request.invalid",
      "status: expected one of pause, resume, terminate, restart, got nothing",
    );
  });

  it("refuses rollback with anything but terminate, and from with anything but restart", async () => {
    expectError(
      await call("PATCH", path, { action: "pause", rollback: true }),
      400,
      10001,
      "request.invalid",
      "'rollback' is only valid when terminating.",
    );
    expectError(
      await call("PATCH", path, { status: "pause", from: { name: "charge" } }),
      400,
      10001,
      "request.invalid",
      "'from' is only valid when restarting.",
    );
    expectError(
      await call("PATCH", path, { status: "terminate", rollback: "yes" }),
      400,
      10001,
      "request.invalid",
      "rollback: expected true or false, got a string",
    );
    expectError(
      await call("PATCH", path, { status: "restart", from: { name: "charge", count: 0 } }),
      400,
      10001,
      "instance.invalid_options",
      'restart({ from }) needs count as an integer ≥ 1, got {"name":"charge","count":0}',
    );
  });
});

describe("list queries", () => {
  const list = `${E}/workflows/orders/instances`;

  it("refuses per_page of 0, 101 and abc, naming per_page and its range", async () => {
    for (const value of ["0", "101", "abc", "1.5", "-1"]) {
      expectError(
        await call("GET", `${list}?per_page=${value}`),
        400,
        10001,
        "request.invalid",
        `per_page: expected a whole number from 1 to 100, got "${value}"`,
      );
    }
    // The REST API's workflow list checks per_page the same way.
    expectError(
      await call("GET", `${R}?per_page=0`),
      400,
      10001,
      "request.invalid",
      'per_page: expected a whole number from 1 to 100, got "0"',
    );
  });

  it("refuses an unknown status, listing the ones there are", async () => {
    expectError(
      await call("GET", `${list}?status=bogus`),
      400,
      10001,
      "request.invalid",
      'status: expected one of queued, running, paused, errored, terminated, complete, waiting, waitingForPause, got "bogus"',
    );
  });

  it("refuses date_start after date_end with Cloudflare's code 10502, quoting both", async () => {
    expectError(
      await call("GET", `${list}?date_start=2026-02-01T00:00:00Z&date_end=2026-01-01T00:00:00Z`),
      400,
      10502,
      "request.invalid",
      "'date_start' must not be after 'date_end' (2026-02-01T00:00:00Z > 2026-01-01T00:00:00Z)",
    );
    expectError(
      await call("GET", `${list}?date_start=yesterday`),
      400,
      10001,
      "request.invalid",
      'date_start: expected an ISO 8601 date, got "yesterday"',
    );
  });

  it("refuses a cursor this store did not return with query.invalid", async () => {
    expectError(
      await call("GET", `${R}/orders/instances?cursor=not-a-cursor`),
      400,
      10001,
      "query.invalid",
      'the list cursor "not-a-cursor" is not one this store returned',
    );
    expectError(
      await call("GET", `${R}/orders/instances?cursor=${"c".repeat(201)}`),
      400,
      10001,
      "query.invalid",
      /^cursor must be the nextCursor of an earlier page, got "c{80}…"$/,
    );
  });

  it("refuses a page deeper than the store pages by number", async () => {
    expectError(
      await call("GET", `${list}?per_page=100&page=1002`),
      400,
      10001,
      "query.invalid",
      "page must be a whole number from 1 to 1001, got 1002",
    );
  });
});

describe("batch delete", () => {
  const path = `${R}/orders/instances/batch/delete`;

  it("refuses 0 ids and 101 ids, naming the limit", async () => {
    expectError(
      await call("POST", path, { instances: [] }),
      400,
      10001,
      "batch.invalid",
      "deleteBatch needs an array of 1 to 100 instance ids, got []",
    );
    const many = Array.from({ length: 101 }, (_, i) => `x-${i}`);
    expectError(
      await call("POST", `${E}/workflows/orders/instances/batch/delete`, { instances: many }),
      400,
      10001,
      "batch.invalid",
      /^deleteBatch needs an array of 1 to 100 instance ids, got \["x-0","x-1",/,
    );
  });

  it("refuses ids that are not strings, and a body without instances", async () => {
    for (const body of [{ instances: [1, "v-4"] }, { instances: "v-4" }, {}]) {
      expectError(
        await call("POST", path, body),
        400,
        10001,
        "request.invalid",
        "instances: expected an array of 1 to 100 instance ids (strings)",
      );
    }
    expectError(
      await call("POST", path, [1]),
      400,
      10001,
      "request.invalid",
      "the batch delete body must be a JSON object, got an array",
    );
  });
});

describe("the request guard", () => {
  it("refuses a Host that is not this server's with 403 host.not_allowed, quoting it", async () => {
    expectError(
      await call("GET", `${E}/workflows`, undefined, { host: "evil.example" }),
      403,
      10000,
      "host.not_allowed",
      'Invalid Host header "evil.example": only loopback names, IP addresses and the names given with --admin-host may reach this API',
    );
  });

  it("refuses a write from another site's page, and answers its reads without letting the page see them", async () => {
    const origin = { origin: "https://evil.example" };
    expectError(
      await call("POST", `${E}/workflows/quick/instances`, {}, origin),
      403,
      10000,
      "origin.not_allowed",
      `Invalid Origin header "https://evil.example": a write may only come from this server's own site`,
    );
    const read = await call("GET", `${E}/workflows`, undefined, origin);
    expect(read.status).toBe(200);
    expect(read.body.success).toBe(true);
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
    // A page of this server's own site may read (CORS) and write.
    const own = { origin: "http://localhost:8787" };
    const ownRead = await call("GET", `${E}/workflows`, undefined, own);
    expect(ownRead.headers.get("access-control-allow-origin")).toBe("http://localhost:8787");
    expect((await call("POST", `${E}/workflows/quick/instances`, {}, own)).status).toBe(200);
  });

  it("answers a preflight with 204 and the methods and headers it allows", async () => {
    const answer = await call("OPTIONS", `${E}/workflows/quick/instances`, undefined, {
      origin: "http://localhost:8787",
      "access-control-request-method": "POST",
    });
    expect(answer.status).toBe(204);
    expect(answer.text).toBe("");
    expect(answer.headers.get("access-control-allow-methods")).toBe("GET, POST, PUT, PATCH, DELETE, OPTIONS");
    expect(answer.headers.get("access-control-allow-headers")).toBe(
      "Content-Type, Authorization, Last-Event-ID, X-Cairn-CSRF, Traceparent, Tracestate",
    );
    expect(answer.headers.get("access-control-allow-origin")).toBe("http://localhost:8787");
    const foreign = await call("OPTIONS", `${E}/workflows`, undefined, { origin: "https://evil.example" });
    expect(foreign.status).toBe(204);
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("with a token: 401 auth.missing without one, 401 auth.invalid for a wrong one, 200 for the right one", async () => {
    const guarded = createApiHandler({ target: fx.cairn, token: "s3cret-t0ken" });
    expectError(
      await call("GET", `${E}/workflows`, undefined, {}, guarded),
      401,
      10000,
      "auth.missing",
      "This API needs a token: send it as 'Authorization: Bearer <token>' (the server's --api-token or CAIRN_API_TOKEN)",
    );
    expectError(
      await call("GET", `${E}/workflows`, undefined, { authorization: "Bearer wrong" }, guarded),
      401,
      10000,
      "auth.invalid",
      "The API token is not valid for this server",
    );
    expectError(
      await call("GET", `${E}/workflows`, undefined, { authorization: "Basic s3cret-t0ken" }, guarded),
      401,
      10000,
      "auth.missing",
      /^This API needs a token/,
    );
    const right = await call(
      "GET",
      `${E}/workflows`,
      undefined,
      { authorization: "Bearer s3cret-t0ken" },
      guarded,
    );
    expect(right.status).toBe(200);
    expect(right.body.result).toHaveLength(3);
    // A preflight carries no token, and needs none.
    expect((await call("OPTIONS", `${E}/workflows`, undefined, {}, guarded)).status).toBe(204);
    // A message never repeats the token it was sent.
    const wrong = await call(
      "GET",
      `${E}/workflows`,
      undefined,
      { authorization: "Bearer s3cret-t0kem" },
      guarded,
    );
    expect(wrong.text).not.toContain("s3cret");
  });
});

/** A workflow that holds a secret in its env and passes it through sensitive steps only. */
class Vault extends WorkflowEntrypoint<{ API_KEY: string }, { user: string }> {
  static failedOnce = new Set<string>();

  override async run(event: WorkflowEvent<{ user: string }>, step: WorkflowStep) {
    const token = await step.do(
      "mint",
      { sensitive: "output", retries: { limit: 1, delay: 0 } },
      async () => {
        if (!Vault.failedOnce.has(event.instanceId)) {
          Vault.failedOnce.add(event.instanceId);
          throw new Error("mint service busy");
        }
        return `tok-${this.env.API_KEY}`;
      },
    );
    await step.do(
      "export",
      { sensitive: "output" },
      async () =>
        new ReadableStream<Uint8Array>({
          start: (controller) => {
            controller.enqueue(new TextEncoder().encode(`key=${this.env.API_KEY}`));
            controller.close();
          },
        }),
    );
    const checked = await step.do("check", async () => ({ length: token.length, user: event.payload.user }));
    await step.waitForEvent("confirm", { type: "confirm", timeout: "1 hour" });
    return { checked };
  }
}

describe("secrets", () => {
  const SECRET = "sk-live-4f9d0c7e1b";

  it("shows neither the env's secret nor a sensitive step's output in any answer", async () => {
    const dir = tempDir("cairn-bad-input-");
    const cairn = await Cairn.open({
      storage: `sqlite:${dir.dbPath}`,
      workflows: { VAULT: { name: "vault", class: Vault } },
      env: { API_KEY: SECRET },
    });
    const api = createApiHandler({ target: cairn });
    try {
      const created = await call(
        "POST",
        `${R}/vault/instances`,
        { instance_id: "s-1", params: { user: "ana" } },
        {},
        api,
      );
      expect(created.status).toBe(200);
      await waitUntil(
        async () => (await cairn.inspect.instance("vault", "s-1")).status,
        (s) => s === "waiting",
        { what: "the vault instance waiting for its confirmation" },
      );
      const keys = (await cairn.inspect.instance("vault", "s-1")).steps.map((s) => s.key);
      expect(keys).toEqual(["do:1:mint", "do:1:export", "do:1:check", "waitForEvent:1:confirm"]);
      const answers = await Promise.all(
        [
          `${E}/workflows/vault/instances/s-1`,
          `${R}/vault/instances/s-1`,
          `${E}/workflows/vault/instances`,
          `${R}/vault/instances`,
          `${R}/vault`,
          `/cairn/api/workflows/vault/instances/s-1/log`,
          `${R}/vault/instances/s-1/step?name=mint-1`,
          `${R}/vault/instances/s-1/step?name=export-1`,
          `${R}/vault/instances/s-1/step?name=check-1`,
          ...keys.map(
            (key) => `/cairn/api/workflows/vault/instances/s-1/steps/${encodeURIComponent(key)}/output`,
          ),
          `/cairn/api/workflows`,
          `/cairn/api/workflows/vault`,
          `/cairn/api/workflows/vault/instances`,
          `/cairn/api/workflows/vault/instances/s-1`,
          `/cairn/api/workflows/vault/instances/s-1?output_limit=3`,
        ].map(async (path) => ({ path, answer: await call("GET", path, undefined, {}, api) })),
      );
      for (const { path, answer } of answers) {
        expect(answer.status, path).toBe(200);
        expect(answer.text, path).not.toContain(SECRET);
        expect(answer.text, path).not.toContain("tok-");
        expect(answer.text, path).not.toContain("key=");
      }
      const detail = answers[0]!.answer.body.result;
      expect(detail.steps[0]).toMatchObject({ name: "mint-1", success: true, output: "[REDACTED]" });
      expect(detail.steps[0].attempts.map((a: { success: boolean }) => a.success)).toEqual([false, true]);
      // A sensitive stream reads "[REDACTED]" too, as a value rather than as bytes.
      expect(detail.steps[1]).toMatchObject({ name: "export-1", output: "[REDACTED]" });
      expect(detail.steps[2]).toMatchObject({
        name: "check-1",
        output: { length: 4 + SECRET.length, user: "ana" },
      });
      for (const name of ["mint-1", "export-1"]) {
        const step = answers.find((a) => a.path.endsWith(`step?name=${name}`))!.answer.body.result;
        expect(step).toMatchObject({ status: "complete", output: "[REDACTED]" });
      }
      const cairnDetail = answers.find((a) => a.path.endsWith("/cairn/api/workflows/vault/instances/s-1"))!
        .answer.body.result;
      expect(cairnDetail.steps[0]).toMatchObject({ key: "do:1:mint", output: "[REDACTED]" });
      expect(cairnDetail.steps[1]).toMatchObject({ key: "do:1:export", output: "[REDACTED]" });
      expect(cairnDetail.steps[1]).not.toHaveProperty("stream");
      for (const key of ["do:1:mint", "do:1:export"]) {
        const step = answers.find((a) => a.path.endsWith(`${encodeURIComponent(key)}/output`))!.answer;
        expect(step.body.result).toMatchObject({ key, output: "[REDACTED]" });
      }
    } finally {
      await cairn.close();
      dir.cleanup();
    }
  });
});

/** Sends a raw request over HTTP (request-target and Host exactly as given) and reads the answer. */
function rawHttp(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, method, path: target, headers, setHost: false, agent: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("bad input that once gave a 500 or left a watch open", () => {
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

  it("refuses params nested 5,000 arrays deep with 400, not a 500 (RangeError: Maximum call stack size exceeded)", async () => {
    const answer = await call(
      "POST",
      `${R}/quick/instances`,
      `{"instance_id":"deep","params":${nested(5_000)}}`,
    );
    fx.errors.splice(0);
    expectError(answer, 400, 10001, "value.not_serializable", /params of instance "deep".*(nest|deep)/i);
  });

  it("refuses an event payload nested 5,000 arrays deep with 400, not a 500", async () => {
    const answer = await call("POST", `${E}/workflows/orders/instances/v-5/events/approve`, nested(5_000));
    fx.errors.splice(0);
    expectError(answer, 400, 10001, "value.not_serializable", /payload of event "approve".*(nest|deep)/i);
  });

  it("refuses an activity window ending at the earliest Date with 400 query.invalid, not a 500 (RangeError: Invalid time value)", async () => {
    const to = "-271821-04-20T00:00:00.000Z";
    const answer = await call("GET", `/cairn/api/workflows/quick/activity?to=${encodeURIComponent(to)}`);
    fx.errors.splice(0);
    expectError(answer, 400, 10001, "query.invalid", /^to .*-271821-04-20T00:00:00\.000Z/);
  });

  it("over HTTP, refuses a Host that is no URL authority with 403 host.not_allowed, not a bare 500", async () => {
    for (const host of ["", "[", "local host", "localhost:notaport", "user@localhost"]) {
      const answer = await rawHttp(port, "GET", `${E}/workflows`, { host });
      expect({ host, status: answer.status, plumbing: plumbing.splice(0).map(String) }).toEqual({
        host,
        status: 403,
        plumbing: [],
      });
      expect(JSON.parse(answer.text).errors[0].cairn_code).toBe("host.not_allowed");
    }
  });

  it("over HTTP, takes a request-target starting with // as a path, not as a host (500 or the wrong route)", async () => {
    const empty = await rawHttp(port, "GET", "//", { host: "localhost" });
    expect({ status: empty.status, plumbing: plumbing.splice(0).map(String) }).toEqual({
      status: 404,
      plumbing: [],
    });
    const doubled = await rawHttp(port, "GET", `/${E}/workflows`, { host: "localhost" });
    expect(doubled.status).toBe(404);
    expect(JSON.parse(doubled.text).errors[0].message).toBe(`No API route GET /${E}/workflows`);
  });

  it("a HEAD of the change feed leaves no watch open (it follows changes for nobody until 1,000 heartbeats pile up)", async () => {
    expect(fx.cairn.engine.changes.watching).toBe(false);
    const answer = await rawHttp(port, "HEAD", "/cairn/api/changes", { host: "localhost" });
    expect(answer.status).toBe(200);
    await waitUntil(
      () => fx.cairn.engine.changes.watching,
      (watching) => !watching,
      { what: "the HEAD request's watch closed", timeoutMs: 2_000 },
    );
  });
});
