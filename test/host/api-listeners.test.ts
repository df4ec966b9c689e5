// Where the HTTP API listens and who may call it, with the real `cairn` binary: `cairn dev`
// answers it on the Worker's port on both loopback addresses; `cairn start` only on its admin
// listener; both refuse to expose it beyond loopback without a token, and ask for the token once
// one is set; Host names the operator allowed pass, others are refused.

import { request } from "node:http";
import { networkInterfaces } from "node:os";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { CairnProcess } from "./helpers/cairn-process.js";
import { copyFixture, removeProjects } from "./helpers/projects.js";

afterAll(removeProjects);
afterEach(() => CairnProcess.killAll());

const EXPLORER = "/cdn-cgi/local/explorer/api/workflows";

function hasIpv6Loopback(): boolean {
  return Object.values(networkInterfaces()).some((list) =>
    (list ?? []).some((a) => a.internal && a.family === "IPv6" && a.address === "::1"),
  );
}

async function json(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // The Worker's own plain-text answer.
  }
  return { status: response.status, body };
}

/** A GET with a Host header of our choosing (fetch always sends the URL's own). */
function getWithHost(url: string, host: string, token: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host, authorization: `Bearer ${token}` } }, (res) => {
      let text = "";
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("where the HTTP API listens", () => {
  it("cairn dev answers the API beside the Worker, on 127.0.0.1 and ::1 with one port", async () => {
    const dir = copyFixture("orders-jsonc");
    const cairn = CairnProcess.start(["dev", "--port", "0", "--test-scheduled"], dir);
    const url = await cairn.ready();
    const port = new URL(url).port;
    const list = await json(`http://127.0.0.1:${port}${EXPLORER}`);
    expect(list.body.result).toEqual([
      { name: "orders", class_name: "OrderWorkflow", script_name: "orders-worker" },
    ]);
    if (hasIpv6Loopback()) {
      const v6 = await json(`http://[::1]:${port}${EXPLORER}`);
      expect(v6.body.result).toEqual(list.body.result);
    }
    const worker = await json(`${url}/version`);
    expect(worker.status).toBe(200);
    // The newer scheduled-trigger path runs the Worker's scheduled handler.
    const scheduled = await fetch(`${url}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("0 3 * * *")}`);
    expect(await scheduled.text()).toBe("Ran scheduled event");
    // Secrets from .dev.vars are nowhere in the API's answers.
    const workers = await fetch(`${url}/cdn-cgi/local/explorer/api/local/workers`).then((r) => r.text());
    const workflow = await fetch(`${url}${EXPLORER}/orders`).then((r) => r.text());
    for (const text of [workers, workflow, JSON.stringify(list.body)]) expect(text).not.toContain("s3cret");
  });

  it("cairn start serves the API only on its admin listener", async () => {
    const dir = copyFixture("orders-jsonc");
    const cairn = CairnProcess.start(["start", "--port", "0", "--admin-port", "0"], dir);
    const url = await cairn.ready();
    const admin = (await cairn.waitForLog((l) => l.msg === "ready", "ready")).admin as string;
    expect(admin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(admin).not.toBe(url);
    const viaAdmin = await json(`${admin}${EXPLORER}`);
    expect(viaAdmin.body.result[0].name).toBe("orders");
    const rest = await json(`${admin}/client/v4/accounts/a/workflows/orders/instances`, {
      method: "POST",
      body: JSON.stringify({ instance_id: "from-admin", params: { items: ["x"] } }),
    });
    expect(rest.body.result.id).toBe("from-admin");
    // On the public port the same path is the Worker's: its own 404, not the API.
    const viaWorker = await json(`${url}${EXPLORER}`);
    expect(viaWorker).toEqual({ status: 404, body: "not found" });
  });

  it("refuses to expose the API beyond loopback without a token", async () => {
    const dir = copyFixture("orders-jsonc");
    const dev = CairnProcess.start(["dev", "--port", "0", "--ip", "0.0.0.0"], dir);
    expect((await dev.exited).code).toBe(1);
    expect(dev.stderr).toContain("--ip 0.0.0.0 makes the HTTP API reachable from other machines");
    const start = CairnProcess.start(
      ["start", "--port", "0", "--admin-ip", "0.0.0.0", "--admin-port", "0"],
      dir,
    );
    expect((await start.exited).code).toBe(1);
    expect(start.stderr).toContain("--api-token or CAIRN_API_TOKEN");
  });

  it("asks every request for the token once one is set, and checks the Host name", async () => {
    const dir = copyFixture("orders-jsonc");
    const cairn = CairnProcess.start(
      [
        "start",
        "--port",
        "0",
        "--admin-ip",
        "0.0.0.0",
        "--admin-port",
        "0",
        "--admin-host",
        "cairn.internal",
      ],
      dir,
      { CAIRN_API_TOKEN: "tok-123" },
    );
    await cairn.ready();
    const admin = (await cairn.waitForLog((l) => l.msg === "ready", "ready")).admin as string;
    const port = new URL(admin).port;
    const base = `http://127.0.0.1:${port}${EXPLORER}`;
    const none = await json(base);
    expect(none.status).toBe(401);
    expect(none.body.errors[0].cairn_code).toBe("auth.missing");
    const wrong = await json(base, { headers: { authorization: "Bearer nope" } });
    expect(wrong.body.errors[0].cairn_code).toBe("auth.invalid");
    const right = await json(base, { headers: { authorization: "Bearer tok-123" } });
    expect(right.status).toBe(200);
    const allowed = await getWithHost(base, `cairn.internal:${port}`, "tok-123");
    expect(allowed.status).toBe(200);
    const foreign = await getWithHost(base, "evil.example", "tok-123");
    expect(foreign.status).toBe(403);
    expect(foreign.body.errors[0].cairn_code).toBe("host.not_allowed");
  });
});
