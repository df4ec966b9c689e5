// Where the HTTP API listens and who may call it, with the real `cairn` binary: `cairn dev`
// answers it on the Worker's port on both loopback addresses; `cairn start` only on its admin
// listener; both refuse to expose it beyond loopback without a token, and ask for the token once
// one is set; Host names the operator allowed pass, others are refused. The web dashboard is
// served beside the API (dev: /cdn-cgi/local/explorer/, start: also /) unless --no-dashboard.

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

describe("the web dashboard", () => {
  const page = (url: string, init: RequestInit = {}) =>
    fetch(url, { redirect: "manual", ...init }).then(async (r) => ({
      status: r.status,
      headers: r.headers,
      text: await r.text(),
    }));

  it("cairn dev keeps the dashboard's session cookie from the Worker, and passes its other cookies", async () => {
    const dev = CairnProcess.start(["dev", "--port", "0"], copyFixture("dashboard-project"));
    const ready = await dev.waitForLog((l) => l.msg === "ready", "ready");
    const echo = (cookie: string) =>
      page(`${ready.url}/echo-cookie`, { headers: { cookie } }).then((answer) => answer.text);
    expect(await echo("a=1; cairn_session=v1.1.forged; b=2")).toBe("a=1; b=2");
    expect(await echo("cairn_session=v1.1.forged")).toBe("");
    expect(await echo("theme=dark")).toBe("theme=dark");
  });

  it("cairn dev serves it at /cdn-cgi/local/explorer/ and names it in the ready line; --no-dashboard turns it off", async () => {
    const dir = copyFixture("orders-jsonc");
    const dev = CairnProcess.start(["dev", "--port", "0"], dir);
    const plain = CairnProcess.start(["dev", "--port", "0", "--no-dashboard"], copyFixture("orders-jsonc"));
    const ready = await dev.waitForLog((l) => l.msg === "ready", "ready");
    const port = new URL(ready.url as string).port;
    expect(ready.dashboard).toBe(`http://localhost:${port}/cdn-cgi/local/explorer/`);
    const deep = await page(`http://127.0.0.1:${port}/cdn-cgi/local/explorer/workflows/orders/instances/x`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(deep.text).toContain('<meta name="cairn-base" content="/cdn-cgi/local/explorer/">');
    expect(deep.text).toContain('<meta name="cairn-session" content="open">');
    const script = /<script type="module" src="([^"]+)">/.exec(deep.text)![1]!;
    const js = await page(`http://127.0.0.1:${port}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    // Everything else is still the Worker's.
    expect(await page(`http://127.0.0.1:${port}/`)).toMatchObject({ status: 404, text: "not found" });

    const off = await plain.waitForLog((l) => l.msg === "ready", "ready");
    expect(off.dashboard).toBeUndefined();
    const worker = await page(`${off.url}/cdn-cgi/local/explorer/`);
    expect(worker).toMatchObject({ status: 404, text: "not found" });
    expect((await json(`${off.url}${EXPLORER}`)).status).toBe(200);
  });

  it("cairn start serves it on the admin listener at / and /cdn-cgi/local/explorer/, behind the token's sign-in", async () => {
    const dir = copyFixture("orders-jsonc");
    const start = CairnProcess.start(["start", "--port", "0", "--admin-port", "0"], dir, {
      CAIRN_API_TOKEN: "tok-dash",
    });
    const plain = CairnProcess.start(
      ["start", "--port", "0", "--admin-port", "0", "--no-dashboard"],
      copyFixture("orders-jsonc"),
    );
    const ready = await start.waitForLog((l) => l.msg === "ready", "ready");
    const admin = ready.admin as string;
    expect(ready.dashboard).toBe(`http://localhost:${new URL(admin).port}/`);
    expect(await page(`${ready.url}/`)).toMatchObject({ status: 404, text: "not found" });
    const root = await page(`${admin}/`);
    expect(root.status).toBe(303);
    expect(root.headers.get("location")).toBe("/sign-in?next=%2F");

    const signIn = await page(`${admin}/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: admin },
      body: new URLSearchParams({ token: "tok-dash", next: "/workflows/orders" }),
    });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get("location")).toBe("/workflows/orders");
    const cookie = /^(cairn_session=[^;]+);/.exec(signIn.headers.get("set-cookie")!)![1]!;
    for (const path of ["/", "/workflows/orders", "/cdn-cgi/local/explorer/"]) {
      const signedIn = await page(`${admin}${path}`, { headers: { cookie } });
      expect(signedIn.status, path).toBe(200);
      expect(signedIn.text).toContain('<meta name="cairn-session" content="signed-in">');
    }
    const csrf = /<meta name="cairn-csrf" content="([^"]+)">/.exec(
      (await page(`${admin}/`, { headers: { cookie } })).text,
    )![1]!;
    const created = await json(`${admin}${EXPLORER}/orders/instances`, {
      method: "POST",
      headers: { cookie, "x-cairn-csrf": csrf, origin: admin },
      body: JSON.stringify({ id: "from-dashboard", params: { items: ["x"] } }),
    });
    expect(created.body.result.id).toBe("from-dashboard");

    const off = await plain.waitForLog((l) => l.msg === "ready", "ready");
    expect(off.dashboard).toBeUndefined();
    const none = await json(`${off.admin as string}/`);
    expect(none.status).toBe(404);
    expect(none.body.errors[0].cairn_code).toBe("route.not_found");
    expect((await json(`${off.admin as string}/cdn-cgi/local/explorer/`)).status).toBe(404);
  });
});
