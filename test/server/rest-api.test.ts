// Cloudflare's REST API v4 for workflows over real HTTP: any account id, workflows with their
// one version, create and batch create, instances paged by cursor (and the trailing-slash list
// wrangler's "latest" calls), a step's full output, and terminate-all by status.

import { waitForStatus, waitUntil } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type ApiServer, startApiServer } from "./helpers/api-server.js";
import { workflows } from "./workflows.js";

const A = "/client/v4/accounts/acct_123/workflows";

let server: ApiServer<typeof workflows>;
afterEach(async () => {
  await server?.close();
});

describe("the REST API v4", () => {
  it("lists workflows by page and describes one with a non-empty list of versions", async () => {
    server = await startApiServer(workflows, { scriptName: "shop" });
    const list = await server.call("GET", `${A}?page=1&per_page=2`);
    expect(list.body.result).toHaveLength(2);
    expect(list.body.result_info).toEqual({ page: 1, per_page: 2, count: 2, total_count: 3, total_pages: 2 });
    await waitForStatus(await server.cairn.env.QUICK.create({ id: "q" }), "complete");
    const one = await server.call("GET", `${A}/quick`);
    expect(one.body.result).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: "quick",
      script_name: "shop",
      class_name: "Quick",
      created_on: expect.any(String),
      modified_on: expect.any(String),
      triggered_on: expect.any(String),
      instances: { complete: 1, running: 0 },
    });
    const versions = await server.call("GET", `${A}/quick/versions`);
    expect(versions.body.result).toHaveLength(1);
    expect(versions.body.result[0]).toMatchObject({ workflow_id: one.body.result.id, class_name: "Quick" });
    const version = await server.call("GET", `${A}/quick/versions/${versions.body.result[0].id}`);
    expect(version.body.result.id).toBe(versions.body.result[0].id);
  });

  it("creates one instance and a batch, with the production fields", async () => {
    server = await startApiServer(workflows);
    const one = await server.call("POST", `${A}/quick/instances`, { instance_id: "r-1", params: { n: 1 } });
    expect(one.body.result).toEqual({
      id: "r-1",
      status: "queued",
      version_id: expect.any(String),
      workflow_id: expect.any(String),
    });
    const taken = await server.call("POST", `${A}/quick/instances`, { instance_id: "r-1" });
    expect(taken.status).toBe(409);
    expect(taken.body.errors[0].cairn_code).toBe("instance.already_exists");
    const batch = await server.call("POST", `${A}/quick/instances/batch`, [
      { instance_id: "r-2" },
      { instance_id: "r-1" },
      { instance_id: "r-3", params: { n: 3 } },
    ]);
    expect(batch.body.result.map((i: { id: string }) => i.id)).toEqual(["r-2", "r-3"]);
    const detail = await server.cairn.inspect.instance("quick", "r-3");
    expect(detail).toMatchObject({ params: { n: 3 }, trigger: "api" });
  });

  it("pages instances by cursor until the cursor is gone, and answers the trailing-slash list", async () => {
    server = await startApiServer(workflows);
    const ids = Array.from({ length: 7 }, (_, i) => `c-${i}`);
    await server.call(
      "POST",
      `${A}/quick/instances/batch`,
      ids.map((instance_id) => ({ instance_id })),
    );
    await waitUntil(
      async () => (await server.cairn.inspect.workflow("quick")).counts.complete,
      (n) => n === 7,
      { what: "seven complete" },
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    let requests = 0;
    do {
      const page = await server.call(
        "GET",
        `${A}/quick/instances?per_page=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      requests++;
      seen.push(...page.body.result.map((i: { id: string }) => i.id));
      expect(page.body.result_info).toMatchObject({ per_page: 3, total_count: 7 });
      cursor = page.body.result_info?.cursor;
    } while (cursor);
    expect(requests).toBe(3);
    expect(seen).toEqual([...ids].reverse());
    const latest = await server.call("GET", `${A}/quick/instances/`);
    expect(latest.body.result[0]).toMatchObject({
      id: "c-6",
      status: "complete",
      created_on: expect.any(String),
      modified_on: expect.any(String),
      started_on: expect.any(String),
      ended_on: expect.any(String),
      trigger_source: "api",
    });
  });

  it("answers a step's full output, and a stream result as its bytes", async () => {
    server = await startApiServer(workflows);
    await server.call("POST", `${A}/orders/instances`, { instance_id: "s-1", params: { amount: 3 } });
    await waitUntil(
      async () => (await server.call("GET", `${A}/orders/instances/s-1`)).body.result.status,
      (s) => s === "waiting",
      { what: "waiting" },
    );
    const charge = await server.call("GET", `${A}/orders/instances/s-1/step?name=charge-1&type=step`);
    expect(charge.body.result).toMatchObject({ status: "complete", output: { charged: 3 }, error: null });
    const token = await server.call("GET", `${A}/orders/instances/s-1/step?name=token-1`);
    expect(token.body.result.output).toBe("[REDACTED]");
    const receipt = await fetch(`${server.url}${A}/orders/instances/s-1/step?name=receipt-1`);
    expect(receipt.headers.get("content-type")).toBe("application/octet-stream");
    expect(await receipt.text()).toBe("receipt bytes");
    const byKey = await fetch(
      `${server.url}/cairn/api/workflows/orders/instances/s-1/steps/${encodeURIComponent("do:1:receipt")}/output`,
    );
    expect(await byKey.text()).toBe("receipt bytes");
    const wait = await server.call("GET", `${A}/orders/instances/s-1/step?name=approval-1&type=waitForEvent`);
    expect(wait.body.result).toMatchObject({ status: "waiting", output: null });
    const missing = await server.call("GET", `${A}/orders/instances/s-1/step?name=charge-2`);
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0].cairn_code).toBe("step.not_found");
    const log = await server.call("GET", `/cairn/api/workflows/orders/instances/s-1/log`);
    expect(log.body.result[0]).toMatchObject({ type: "WORKFLOW_QUEUED", at: expect.any(String) });
    expect(JSON.stringify(log.body.result)).not.toContain("s3cr3t");
  });

  it("terminates all of a workflow's instances in a status, in the background", async () => {
    server = await startApiServer(workflows);
    const ids = Array.from({ length: 5 }, (_, i) => ({ instance_id: `t-${i}` }));
    await server.call("POST", `${A}/orders/instances/batch`, ids);
    await server.call("POST", `${A}/quick/instances`, { instance_id: "other" });
    await waitUntil(
      async () => (await server.cairn.inspect.workflow("orders")).counts.waiting,
      (n) => n === 5,
      { what: "five waiting" },
    );
    await server.call("PATCH", `${A}/orders/instances/t-0/status`, { status: "pause" });
    const started = await server.call("PUT", `${A}/orders/instances/terminate?status=waiting`);
    expect(started.body.result).toEqual({ status: "ok" });
    await waitUntil(
      async () => (await server.cairn.inspect.workflow("orders")).counts,
      (c) => c.terminated === 4,
      { what: "the four waiting ones terminated" },
    );
    expect((await server.cairn.inspect.workflow("orders")).counts.paused).toBe(1);
    const bad = await server.call("PUT", `${A}/orders/instances/terminate?status=complete`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].message).toContain('"complete"');
    await server.call("PUT", `${A}/orders/instances/terminate`);
    await waitUntil(
      async () => (await server.cairn.inspect.workflow("orders")).counts.terminated,
      (n) => n === 5,
      { what: "all five terminated" },
    );
    expect((await server.cairn.inspect.workflow("quick")).counts.terminated).toBeUndefined();
  });
});

describe("Cairn's activity route", () => {
  it("counts instances created and finished per minute, every minute of the window present", async () => {
    server = await startApiServer(workflows);
    await waitForStatus(await server.cairn.env.QUICK.create({ id: "a-1" }), "complete");
    await server.cairn.env.ORDERS.create({ id: "a-2" });
    const now = Date.now();
    const from = new Date(now - 4 * 60_000).toISOString();
    const answer = await server.call("GET", `/cairn/api/workflows/quick/activity?from=${from}&to=${now}`);
    expect(answer.body.result).toHaveLength(5);
    expect(answer.body.result.at(-1).minute).toBe(new Date(Math.floor(now / 60_000) * 60_000).toISOString());
    const sum = (key: "created" | "finished") =>
      answer.body.result.reduce((n: number, b: Record<string, number>) => n + b[key]!, 0);
    expect([sum("created"), sum("finished")]).toEqual([1, 1]);
    const wide = await server.call("GET", `/cairn/api/workflows/quick/activity?from=0&to=${now}`);
    expect(wide.status).toBe(400);
    expect(wide.body.errors[0]).toMatchObject({ cairn_code: "query.invalid" });
    expect(wide.body.errors[0].message).toContain("1440");
    const bad = await server.call("GET", "/cairn/api/workflows/quick/activity?from=soon");
    expect(bad.body.errors[0].message).toBe('from: expected an ISO 8601 date or milliseconds, got "soon"');
  });
});

describe("the REST workflows list's paging", () => {
  it("takes page and per_page as whole numbers only, as the instance lists do", async () => {
    server = await startApiServer(workflows);
    for (const query of ["page=1e300", "per_page=1e1", "page=0", "per_page=101"]) {
      const answer = await server.call("GET", `${A}?${query}`);
      expect(answer.status).toBe(400);
      expect(answer.body.errors[0].message).toContain(query.split("=")[0]);
    }
  });
});
