// How failures reach a script: the server's message and Cairn code on stderr with status 1, a
// server that is not there with status 3 and a hint, an answer that is not the v4 envelope with
// status 1.

import { describe, expect, it } from "vitest";
import { apiFailure, runCli } from "./helpers/run-cli.js";

describe("errors from the server", () => {
  it("prints the server's message and cairn_code and exits 1", async () => {
    const run = await runCli(["instances", "describe", "orders", "nope"], {
      routes: {
        "GET /workflows/orders/instances/nope": apiFailure(
          404,
          10501,
          'instance "nope" of workflow "orders" not found',
          "instance.not_found",
        ),
      },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      'cairn workflows: instance "nope" of workflow "orders" not found (instance.not_found)\n',
    );
  });

  it("falls back to Cloudflare's numeric code, then to the HTTP status", async () => {
    const numeric = await runCli(["instances", "pause", "orders", "x"], {
      routes: { "PATCH /workflows/orders/instances/x/status": apiFailure(409, 10001, "cannot pause") },
    });
    expect(numeric.stderr).toBe("cairn workflows: cannot pause (code 10001)\n");
    const bare = await runCli(["describe", "orders"], {
      routes: { "GET /workflows/orders": { status: 500, body: { success: false, errors: [] } } },
    });
    expect(bare.code).toBe(1);
    expect(bare.stderr).toBe(
      "cairn workflows: GET /client/v4/accounts/cairn/workflows/orders failed (HTTP 500)\n",
    );
  });

  it("treats success:false in a 200 answer as an error", async () => {
    const run = await runCli(["describe", "orders"], {
      routes: {
        "GET /workflows/orders": {
          status: 200,
          body: { success: false, errors: [{ code: 7, message: "odd" }], result: null },
        },
      },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("cairn workflows: odd (code 7)\n");
  });

  it("suggests a token on 401 when none was given", async () => {
    const run = await runCli(["list"], {
      routes: { "GET /workflows": apiFailure(401, 10000, "missing or wrong API token", "auth.unauthorized") },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "missing or wrong API token; pass --api-token or set CAIRN_API_TOKEN (auth.unauthorized)",
    );
  });

  it("exits 1 when the answer is not JSON (not a Cairn server)", async () => {
    const run = await runCli(["list"], {
      routes: { "GET /workflows": { status: 404, body: undefined } },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("is http://localhost:8787 a Cairn server?");
  });

  it("exits 3 when nothing answers, naming the URL and suggesting cairn dev and --url", async () => {
    const refused = Object.assign(new TypeError("fetch failed"), {
      cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }),
    });
    const run = await runCli(["instances", "list", "orders", "--url", "http://127.0.0.1:9"], {
      routes: { "GET /workflows/orders/instances": { throws: refused } },
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      "cairn workflows: cannot connect to http://127.0.0.1:9 (ECONNREFUSED). Is `cairn dev` running there? " +
        "(`cairn start` serves the API on its admin port, 8788 by default.) " +
        "Point at another server with --url or CAIRN_URL.\n",
    );
  });

  it("lists the ids a batch delete could not delete and exits 1", async () => {
    const run = await runCli(["instances", "delete", "orders", "a", "b"], {
      routes: {
        "POST /workflows/orders/instances/batch/delete": {
          result: {
            deleted: [{ id: "a" }],
            errors: [{ id: "b", code: 10400, message: "instance not found" }],
          },
        },
      },
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('🗑️  Deleted 1 instance of workflow orders: "a"\n');
    expect(run.stderr).toBe('cairn workflows: could not delete "b": instance not found (10400)\n');
    const cairn = await runCli(["instances", "delete", "orders", "b"], {
      routes: {
        "POST /workflows/orders/instances/batch/delete": {
          result: {
            deleted: [],
            errors: [
              {
                id: "b",
                code: 10400,
                message: "(instance.not_found) no instance",
                cairn_code: "instance.not_found",
              },
            ],
          },
        },
      },
    });
    expect(cairn.code).toBe(1);
    expect(cairn.stdout).toBe("");
    expect(cairn.stderr).toBe('cairn workflows: could not delete "b": no instance (instance.not_found)\n');
  });
});
