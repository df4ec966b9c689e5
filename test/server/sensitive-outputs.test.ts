// Sensitive outputs over HTTP: by default no route shows them (details on every API, step
// outputs by name and by key, streams, previews, logs, lists), and the explorer and REST routes
// never do, whatever the query. Cairn's details and step output routes show them when asked
// with include_sensitive=true, behind the same token as every other request and nothing more.

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn";
import { waitForStatus } from "cairn/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type ApiServer, startApiServer } from "./helpers/api-server.js";

const SECRET = "sk_live_4f9a2c71d0";
const SECRET_FILE = "-----BEGIN KEY----- 9d3e1b77 -----END KEY-----";

class Vault extends WorkflowEntrypoint {
  override async run(_event: WorkflowEvent<unknown>, step: WorkflowStep) {
    const key = await step.do("api key", { sensitive: "output" }, async () => ({ key: SECRET }));
    await step.do(
      "keyfile",
      { sensitive: "output" },
      async () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(SECRET_FILE));
            controller.close();
          },
        }),
    );
    await step.do("public", async () => ({ shown: true, keyLength: key.key.length }));
    return { done: true };
  }
}

const workflows = { VAULT: { name: "vault", class: Vault } };

let server: ApiServer<typeof workflows>;
afterEach(async () => {
  await server?.close();
});

async function startWithInstance(token?: string): Promise<void> {
  server = await startApiServer(workflows, token ? { token } : {});
  await waitForStatus(await server.cairn.env.VAULT.create({ id: "v-1" }), "complete");
}

const REST = "/client/v4/accounts/acct/workflows/vault/instances/v-1";
const EXPLORER = "/cdn-cgi/local/explorer/api/workflows/vault/instances/v-1";
const EXPLORER_OLD = "/cdn-cgi/explorer/api/workflows/vault/instances/v-1";
const CAIRN = "/cairn/api/workflows/vault/instances/v-1";
const key = (k: string) => encodeURIComponent(k);

/** Every read route that shows the instance, its steps or their outputs. */
const READ_ROUTES = [
  EXPLORER,
  EXPLORER_OLD,
  REST,
  `${REST}/step?name=${key("api key-1")}`,
  `${REST}/step?name=keyfile-1`,
  `${REST}/step?name=keyfile-1&type=step`,
  "/client/v4/accounts/acct/workflows/vault/instances",
  CAIRN,
  `${CAIRN}?output_limit=4096`,
  `${CAIRN}/steps/${key("do:1:api key")}/output`,
  `${CAIRN}/steps/${key("do:1:keyfile")}/output`,
  `${CAIRN}/log`,
  "/cairn/api/workflows/vault/instances",
];

async function text(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, { headers });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()).toString("latin1") };
}

describe("sensitive outputs over HTTP", () => {
  it("are never shown by default, on any route", async () => {
    await startWithInstance();
    for (const path of READ_ROUTES) {
      const answer = await text(path);
      expect(answer.status, path).toBe(200);
      expect(answer.body, path).not.toContain(SECRET);
      expect(answer.body, path).not.toContain("9d3e1b77");
    }
    const detail = (await server.call("GET", CAIRN)).body.result;
    const byKey = Object.fromEntries(detail.steps.map((s: { key: string }) => [s.key, s]));
    expect(byKey["do:1:api key"].output).toBe("[REDACTED]");
    expect(byKey["do:1:keyfile"]).toMatchObject({ output: "[REDACTED]" });
    expect(byKey["do:1:keyfile"].stream).toBeUndefined();
    expect(byKey["do:1:public"].output).toEqual({ shown: true, keyLength: SECRET.length });
  });

  it("are never shown by the explorer and REST routes, nor by include_sensitive=false", async () => {
    await startWithInstance();
    const asked = [
      ...READ_ROUTES.filter((p) => !p.startsWith("/cairn/")).map(
        (p) => `${p}${p.includes("?") ? "&" : "?"}include_sensitive=true`,
      ),
      `${CAIRN}?include_sensitive=false`,
      `${CAIRN}?include_sensitive=`,
      `${CAIRN}/steps/${key("do:1:keyfile")}/output?include_sensitive=false`,
    ];
    for (const path of asked) {
      const answer = await text(path);
      expect(answer.status, path).toBe(200);
      expect(answer.body, path).not.toContain(SECRET);
      expect(answer.body, path).not.toContain("9d3e1b77");
    }
  });

  it("are shown by Cairn's details and step output routes with include_sensitive=true", async () => {
    await startWithInstance();
    const detail = (await server.call("GET", `${CAIRN}?include_sensitive=true`)).body.result;
    const byKey = Object.fromEntries(detail.steps.map((s: { key: string }) => [s.key, s]));
    expect(byKey["do:1:api key"].output).toEqual({ key: SECRET });
    expect(byKey["do:1:keyfile"].stream).toEqual({ bytes: SECRET_FILE.length, preview: SECRET_FILE });
    expect(byKey["do:1:keyfile"].output).toBeUndefined();

    const value = await server.call(
      "GET",
      `${CAIRN}/steps/${key("do:1:api key")}/output?include_sensitive=true`,
    );
    expect(value.body.result).toMatchObject({ status: "complete", output: { key: SECRET } });
    const bytes = await text(`${CAIRN}/steps/${key("do:1:keyfile")}/output?include_sensitive=true`);
    expect(bytes).toEqual({ status: 200, body: SECRET_FILE });
  });

  it("refuses any other include_sensitive value with a 400 that names it", async () => {
    await startWithInstance();
    for (const path of [
      `${CAIRN}?include_sensitive=yes`,
      `${CAIRN}/steps/${key("do:1:api key")}/output?include_sensitive=1`,
    ]) {
      const answer = await server.call("GET", path);
      expect(answer.status, path).toBe(400);
      expect(answer.body.errors[0]).toMatchObject({
        cairn_code: "request.invalid",
        message: expect.stringMatching(/^include_sensitive: expected true or false, got "(yes|1)"$/),
      });
      expect(JSON.stringify(answer.body)).not.toContain(SECRET);
    }
  });

  it("needs the API's token and nothing more", async () => {
    await startWithInstance("t0ken");
    const path = `${CAIRN}?include_sensitive=true`;
    const missing = await server.call("GET", path);
    expect(missing.status).toBe(401);
    expect(missing.body.errors[0].cairn_code).toBe("auth.missing");
    const wrong = await server.call("GET", path, undefined, { authorization: "Bearer nope" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errors[0].cairn_code).toBe("auth.invalid");
    for (const answer of [missing, wrong]) expect(JSON.stringify(answer.body)).not.toContain(SECRET);
    const stream = await text(`${CAIRN}/steps/${key("do:1:keyfile")}/output?include_sensitive=true`);
    expect(stream.status).toBe(401);
    expect(stream.body).not.toContain("9d3e1b77");

    const right = await server.call("GET", path, undefined, { authorization: "Bearer t0ken" });
    expect(right.status).toBe(200);
    expect(JSON.stringify(right.body)).toContain(SECRET);
  });

  it("cairn.inspect shows them only with { includeSensitive: true }", async () => {
    await startWithInstance();
    const { inspect } = server.cairn;
    const plain = await inspect.instance("vault", "v-1");
    expect(plain.steps.find((s) => s.name === "api key")?.output).toBe("[REDACTED]");
    expect(new TextDecoder().decode(await inspect.streamResult("vault", "v-1", "do:1:keyfile"))).toBe(
      "[REDACTED]",
    );
    const shown = await inspect.instance("vault", "v-1", { includeSensitive: true });
    expect(shown.steps.find((s) => s.name === "api key")?.output).toEqual({ key: SECRET });
    expect(shown.steps.find((s) => s.name === "keyfile")?.stream).toBe(true);
    const bytes = await inspect.streamResult("vault", "v-1", "do:1:keyfile", { includeSensitive: true });
    expect(new TextDecoder().decode(bytes)).toBe(SECRET_FILE);
  });
});
