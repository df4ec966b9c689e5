// End-to-end: runtime pieces a Worker relies on, in a real `cairn dev`. process.env shows the
// Worker's vars and secrets (never the host's environment); .wasm imports are WebAssembly modules
// and the `rules` config (with wrangler's defaults) decides how other files import; a
// FixedLengthStream body is sent with its Content-Length; crypto.subtle.timingSafeEqual exists;
// a thrown error comes back as JSON to a request with MF-Disable-Pretty-Error.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { waitUntil } from "cairn/testing";
import { afterAll, describe, expect, it } from "vitest";
import { CairnProcess } from "../helpers/cairn-process.js";
import { copyFixture, removeProjects } from "../helpers/projects.js";
import { ADD_WASM } from "./add-wasm.js";

afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

const HOST_SECRET = "host-only-value-that-must-not-leak";

describe("a Worker's runtime in cairn dev", () => {
  const dir = copyFixture("runtime-gaps-project");
  writeFileSync(join(dir, "src", "add.wasm"), ADD_WASM);
  let url: string;

  it("starts", async () => {
    const cairn = CairnProcess.start(["dev", "--port", "0"], dir, {
      CAIRN_HOST_SECRET: HOST_SECRET,
      CAIRN_API_TOKEN: "host-api-token",
      DATABASE_URL: "postgres://user:password@db/cairn",
    });
    url = await cairn.ready();
  });

  it("process.env holds the Worker's vars and secrets, JSON vars as JSON text, and nothing of the host's", async () => {
    const body: any = await (await fetch(`${url}/env`)).json();
    expect(body.env).toEqual({
      GREETING: "hello",
      LIMITS: '{"max":3}',
      COUNT: "5",
      API_SECRET: "from-dev-vars",
      WRITTEN: "42",
    });
    expect(JSON.stringify(body)).not.toContain(HOST_SECRET);
    expect(JSON.stringify(body)).not.toContain("host-api-token");
    expect(body.global).toBeNull();
    expect(body).toMatchObject({
      imported: "hello",
      defaultImport: "hello",
      required: "hello",
      nextTick: "function",
    });
  });

  it("leaves Cairn's own process.env alone: the HTTP API still asks for the host's CAIRN_API_TOKEN", async () => {
    const api = `${url}/client/v4/accounts/local/workflows`;
    expect((await fetch(api)).status).toBe(401);
    expect((await fetch(api, { headers: { authorization: "Bearer host-api-token" } })).status).toBe(200);
  });

  it("imports .wasm (also with ?module) as WebAssembly modules, and files by the rules", async () => {
    const body = await (await fetch(`${url}/modules`)).json();
    expect(body).toEqual({
      wasm: 5,
      wasmQuery: 9,
      isModule: true,
      text: "hello text\n",
      markdown: "# notes\n",
      data: [true, [1, 2, 3]],
      dat: [true, [4, 5]],
    });
  });

  it("sends a FixedLengthStream body with its Content-Length", async () => {
    const response = await fetch(`${url}/fixed`);
    expect(response.headers.get("content-length")).toBe("5");
    expect(response.headers.get("transfer-encoding")).toBeNull();
    expect(await response.text()).toBe("hello");
  });

  it("provides crypto.subtle.timingSafeEqual", async () => {
    expect(await (await fetch(`${url}/timing`)).json()).toEqual({ same: true, different: false });
  });

  it("answers a thrown error as JSON when the request carries MF-Disable-Pretty-Error", async () => {
    const response = await fetch(`${url}/throw`, { headers: { "MF-Disable-Pretty-Error": "true" } });
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("mf-experimental-error-stack")).toBe("true");
    const body: any = await response.json();
    expect(body).toMatchObject({
      name: "TypeError",
      message: "boom",
      cause: { name: "Error", message: "root cause" },
    });
    expect(body.stack).toContain("TypeError: boom");
  });

  it("answers it with the text stack without the header", async () => {
    const response = await fetch(`${url}/throw`);
    expect(response.status).toBe(500);
    expect(response.headers.get("mf-experimental-error-stack")).toBeNull();
    expect(await response.text()).toMatch(/^TypeError: boom/);
  });

  it("shows new secrets in process.env after .dev.vars changes", async () => {
    writeFileSync(join(dir, ".dev.vars"), "API_SECRET=rotated\n");
    await waitUntil(
      async () => ((await (await fetch(`${url}/env`)).json()) as any).env.API_SECRET,
      (secret) => secret === "rotated",
      { timeoutMs: 20_000, intervalMs: 25, what: "process.env to show the rotated secret" },
    );
  });
});

describe("a thrown error in cairn start", () => {
  it("is answered without the stack, with or without MF-Disable-Pretty-Error", async () => {
    const dir = copyFixture("runtime-gaps-project");
    writeFileSync(join(dir, "src", "add.wasm"), ADD_WASM);
    const cairn = CairnProcess.start(["start", "--port", "0", "--no-admin"], dir);
    const url = await cairn.ready();
    const response = await fetch(`${url}/throw`, { headers: { "MF-Disable-Pretty-Error": "true" } });
    expect(response.status).toBe(500);
    expect(response.headers.get("mf-experimental-error-stack")).toBeNull();
    expect(await response.text()).toBe("Internal Server Error");
  });
});

describe("process.env of a Worker whose settings do not populate it", () => {
  it("is empty (but for what the Worker writes), and still holds nothing of the host's", async () => {
    const dir = copyFixture("runtime-gaps-project");
    writeFileSync(join(dir, "src", "add.wasm"), ADD_WASM);
    const config = join(dir, "wrangler.jsonc");
    writeFileSync(config, readFileSync(config, "utf8").replace('"2025-09-01"', '"2024-09-01"'));
    const cairn = CairnProcess.start(["dev", "--port", "0"], dir, { CAIRN_HOST_SECRET: HOST_SECRET });
    const url = await cairn.ready();
    const body: any = await (await fetch(`${url}/env`)).json();
    expect(body.env).toEqual({ WRITTEN: "42" });
    expect(body.global).toBeNull();
    expect(body.imported).toBeUndefined();
  });
});
