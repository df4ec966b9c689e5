// The wrangler config reader on its own (no process): jsonc, json and toml files, environments,
// the keys Cairn reads and the ones it ignores, cron checks, bindings it does not provide, and
// where env values come from (vars, .dev.vars / .env, --env-file, --var).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadProjectConfig } from "../../src/host/config.js";
import { findConfigFile } from "../../src/host/config-file.js";
import { HostError } from "../../src/host/host-error.js";
import { findUnsupportedBindings } from "../../src/host/unsupported-bindings.js";
import { loadVars } from "../../src/host/vars.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "cairn-config-"));
  dirs.push(dir);
  writeFileSync(join(dir, "index.js"), "export default {}\n");
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function failure(run: () => unknown): HostError {
  try {
    run();
  } catch (error) {
    if (error instanceof HostError) return error;
    throw error;
  }
  throw new Error("expected a HostError");
}

describe("reading a wrangler config", () => {
  it("reads jsonc with comments and trailing commas, and ignores keys it does not use", () => {
    const dir = project({
      "wrangler.jsonc": `// comment
        {
          "name": "shop", "main": "index.js", "compatibility_date": "2025-01-01",
          "routes": [{ "pattern": "shop.example.com/*" }], "observability": { "enabled": true }, "a_future_key": 1,
          "vars": { "A": "1", "OBJ": { "deep": [1, 2] } },
          "define": { "BUILD": "\\"x\\"" },
          "dev": { "port": 9999 },
          /* block comment */
          "workflows": [
            { "name": "orders", "binding": "ORDERS", "class_name": "Orders", "limits": { "steps": 40 }, "schedules": ["*/5 * * * *"] },
            { "name": "mail", "binding": "MAIL", "class_name": "Mail", "script_name": "shop" },
          ],
          "triggers": { "crons": ["0 * * * *"] },
        }`,
    });
    const config = loadProjectConfig(findConfigFile(dir));
    expect(config).toMatchObject({
      name: "shop",
      main: join(dir, "index.js"),
      vars: { A: "1", OBJ: { deep: [1, 2] } },
      define: { BUILD: '"x"' },
      dev: { port: 9999, ip: undefined },
      crons: ["0 * * * *"],
      ignored: [],
    });
    expect(config.workflows).toEqual([
      { name: "orders", binding: "ORDERS", className: "Orders", stepLimit: 40, schedules: ["*/5 * * * *"] },
      { name: "mail", binding: "MAIL", className: "Mail", stepLimit: undefined, schedules: [] },
    ]);
  });

  it("reads toml, with [workflows.limits] applying to the workflow above it", () => {
    const dir = project({
      "wrangler.toml": [
        'name = "t"',
        'main = "index.js"',
        "[[workflows]]",
        'name = "a"',
        'binding = "A"',
        'class_name = "A"',
        "[workflows.limits]",
        "steps = 7",
        "[[workflows]]",
        'name = "b"',
        'binding = "B"',
        'class_name = "B"',
        "[triggers]",
        'crons = ["0 0 * * MON"]',
      ].join("\n"),
    });
    const config = loadProjectConfig(findConfigFile(dir));
    expect(config.workflows.map((w) => [w.name, w.stepLimit])).toEqual([
      ["a", 7],
      ["b", undefined],
    ]);
    expect(config.crons).toEqual(["0 0 * * MON"]);
  });

  it("looks for wrangler.json, then wrangler.jsonc, then wrangler.toml", () => {
    const all = { "wrangler.toml": 'main = "index.js"', "wrangler.jsonc": '{ "main": "index.js" }' };
    expect(findConfigFile(project(all))).toMatch(/wrangler\.jsonc$/);
    expect(findConfigFile(project({ ...all, "wrangler.json": '{ "main": "index.js" }' }))).toMatch(
      /wrangler\.json$/,
    );
  });

  it("applies an environment: bindings and vars from its section only, the rest inherited", () => {
    const dir = project({
      "wrangler.jsonc": JSON.stringify({
        name: "shop",
        main: "index.js",
        vars: { LEVEL: "top", ONLY_TOP: "x" },
        workflows: [{ name: "orders", binding: "ORDERS", class_name: "Orders" }],
        triggers: { crons: ["0 1 * * *"] },
        assets: { directory: "public" },
        env: {
          staging: {
            vars: { LEVEL: "staging" },
            workflows: [{ name: "orders-staging", binding: "ORDERS", class_name: "Orders" }],
          },
        },
      }),
    });
    const config = loadProjectConfig(findConfigFile(dir), "staging");
    expect(config.name).toBe("shop-staging");
    // An environment inherits the assets section, as wrangler's environments do.
    expect(config.raw.assets).toEqual({ directory: "public" });
    expect(config.vars).toEqual({ LEVEL: "staging" });
    expect(config.workflows.map((w) => w.name)).toEqual(["orders-staging"]);
    expect(config.crons).toEqual(["0 1 * * *"]);
    expect(failure(() => loadProjectConfig(findConfigFile(dir), "prod")).message).toContain(
      'there is no environment "prod" under env',
    );
  });

  it("rejects bad crons, bad workflow entries, a missing main and JSON syntax errors, naming them", () => {
    const check = (config: object | string, expected: string) => {
      const text = typeof config === "string" ? config : JSON.stringify(config);
      const error = failure(() => loadProjectConfig(findConfigFile(project({ "wrangler.json": text }))));
      expect(error.message).toContain(expected);
    };
    check(
      { main: "index.js", triggers: { crons: ["every day"] } },
      'triggers.crons: "every day" is not a valid cron',
    );
    check(
      { main: "index.js", triggers: { crons: ["* * * * * *"] } },
      'triggers.crons: "* * * * * *" is not a valid cron',
    );
    check(
      { main: "index.js", workflows: [{ name: "a", binding: "A" }] },
      "workflows[0].class_name must be a non-empty string",
    );
    check(
      { main: "index.js", workflows: [{ name: "a", binding: "A", class_name: "A", schedules: ["soon"] }] },
      'workflows[0].schedules: "soon" is not a valid cron',
    );
    check({ main: "missing.ts" }, "missing.ts, which does not exist");
    check({ name: "x" }, "main must name the Worker's entry module");
    check('{\n  "main": "index.js",\n  "vars": { "A": }\n}', "wrangler.json:3:18: ValueExpected");
  });

  it("finds every kind of binding Cairn does not provide", () => {
    const found = findUnsupportedBindings({
      queues: { producers: [{ binding: "JOBS", queue: "jobs" }], consumers: [{ queue: "jobs" }] },
      r2_buckets: [{ binding: "FILES" }],
      send_email: [{ name: "EMAIL" }],
      browser: { binding: "BROWSER" },
      assets: { directory: "public", binding: "ASSETS" },
      text_blobs: { README: "readme.txt" },
      vars: { NOT_A_BINDING: "x" },
    });
    // R2 buckets are provided (src/host/r2), so FILES is not among them.
    expect(found.map((b) => `${b.name}=${b.type}`)).toEqual([
      "BROWSER=Browser Rendering",
      "EMAIL=send email",
      "README=text blob",
    ]);
    // Cairn serves static assets, their binding included.
    expect(findUnsupportedBindings({ assets: { directory: "public", binding: "ASSETS" } })).toEqual([]);
  });
});

describe("env values", () => {
  const config = (dir: string) => loadProjectConfig(findConfigFile(dir));

  it("lays .dev.vars over vars, and --var over both", () => {
    const dir = project({
      "wrangler.json": JSON.stringify({ main: "index.js", vars: { A: "from vars", B: "from vars" } }),
      ".dev.vars": 'B="from dev vars"\nC=secret # comment\n',
      ".env": "D=not read when .dev.vars exists\n",
    });
    const { values, secrets } = loadVars(config(dir), { devVars: true, vars: ["A:from flag:with colon"] });
    expect(values).toEqual({ A: "from flag:with colon", B: "from dev vars", C: "secret" });
    expect(secrets).toEqual(["B", "C"]);
    expect(loadVars(config(dir), { devVars: false }).values).toEqual({ A: "from vars", B: "from vars" });
  });

  it("prefers .dev.vars.<env>, falls back to .env, and reads --env-file", () => {
    const base = { "wrangler.json": JSON.stringify({ main: "index.js", env: { qa: {} } }) };
    const withEnv = project({ ...base, ".dev.vars": "S=plain\n", ".dev.vars.qa": "S=qa\n" });
    expect(
      loadVars(loadProjectConfig(findConfigFile(withEnv), "qa"), { devVars: true, env: "qa" }).values,
    ).toEqual({
      S: "qa",
    });
    const dotenv = project({ ...base, ".env": "S=dotenv\n", "prod.env": "S=prod\n" });
    expect(loadVars(config(dotenv), { devVars: true }).values).toEqual({ S: "dotenv" });
    expect(loadVars(config(dotenv), { devVars: false, envFile: join(dotenv, "prod.env") }).values).toEqual({
      S: "prod",
    });
  });

  it("rejects a var that has the name of a workflow binding, and a malformed --var", () => {
    const dir = project({
      "wrangler.json": JSON.stringify({
        main: "index.js",
        vars: { ORDERS: "x" },
        workflows: [{ name: "orders", binding: "ORDERS", class_name: "O" }],
      }),
    });
    expect(failure(() => loadVars(config(dir), { devVars: false })).message).toContain(
      '"ORDERS" is both a var and a workflow binding',
    );
    const plain = project({ "wrangler.json": JSON.stringify({ main: "index.js" }) });
    expect(failure(() => loadVars(config(plain), { devVars: false, vars: ["NOVALUE"] })).message).toContain(
      '--var expects NAME:VALUE, got "NOVALUE"',
    );
  });
});
