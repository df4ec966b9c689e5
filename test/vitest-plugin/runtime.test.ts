// The pieces of cairn/vitest in this process, without a child vitest: the plugin's resolution,
// options and import check, a test file's runtime (a throwaway store, SELF, waitUntil work), and
// the execution contexts of `cloudflare:test`.

import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cairn/workers";
import { describe, expect, it } from "vitest";
import {
  createExecutionContext,
  createScheduledController,
  env,
  fetchMock,
  SELF,
  waitOnExecutionContext,
} from "../../src/vitest/cloudflare-test.js";
import { startFile } from "../../src/vitest/file-runtime.js";
import type { FileOptions } from "../../src/vitest/options.js";
import { cairnWorkflows } from "../../src/vitest/plugin.js";
import { unknownImports, unsupportedMessage } from "../../src/vitest/unsupported.js";

const project = fileURLToPath(new URL("../fixtures/moderation-project", import.meta.url));

class Echo extends WorkflowEntrypoint<Record<string, unknown>> {
  override async run(event: Readonly<WorkflowEvent<{ n: number }>>, step: WorkflowStep) {
    return step.do("double", async () => event.payload.n * 2);
  }
}

const options = (storage: FileOptions["storage"]): FileOptions => ({
  configPath: "/project/wrangler.jsonc",
  main: "/project/src/index.ts",
  workflows: [{ name: "echo", binding: "ECHO", className: "Echo", stepLimit: undefined, schedules: [] }],
  vars: { GREETING: "hello" },
  storage,
});

describe("cairnWorkflows()", () => {
  it("reads the wrangler config and .dev.vars into the options module", () => {
    const plugin = cairnWorkflows({ wrangler: { configPath: "./wrangler.jsonc" } });
    expect(plugin.config().test.setupFiles[0]).toMatch(/src\/vitest\/setup\.ts$/);
    plugin.configResolved({ root: project });
    const id = plugin.resolveId("virtual:cairn-vitest/options")!;
    const code = plugin.load(id)!;
    expect(code).toContain('"binding":"MODERATOR"');
    expect(code).toContain('"vars":{"SERVICE_NAME":"moderation","MODERATOR_TOKEN":"test-token"}');
    expect(code).toContain(`import(${JSON.stringify(join(project, "src/index.ts"))})`);
  });

  it("refuses a project with bindings test files would not get, naming each", () => {
    const plugin = cairnWorkflows();
    const starter = fileURLToPath(new URL("../fixtures/starter-project", import.meta.url));
    expect(() => plugin.configResolved({ root: starter })).toThrow(
      "declares bindings that Cairn's vitest integration does not provide yet:\n  - PROGRESS: Durable Object namespace (durable_objects.bindings)\n",
    );
  });

  it("resolves the cloudflare: modules, and fails any other one as it loads", () => {
    const plugin = cairnWorkflows();
    expect(plugin.resolveId("cloudflare:workers")).toMatch(/src\/vitest\/cloudflare-workers\.ts$/);
    expect(plugin.resolveId("cloudflare:workflows")).toMatch(/src\/workflows\.ts$/);
    expect(plugin.load(plugin.resolveId("cloudflare:test")!)).toMatch(
      /^export \* from ".*src\/vitest\/cloudflare-test\.ts";/,
    );
    expect(plugin.load(plugin.resolveId("cloudflare:email")!)).toContain(
      '\\"cloudflare:email\\" is not provided by Cairn',
    );
    expect(plugin.resolveId("./other")).toBeUndefined();
  });

  it("refuses options it does not know, naming them", () => {
    expect(() => cairnWorkflows({ miniflare: {} } as never)).toThrow(
      'cairnWorkflows(): option "miniflare" is not supported (Cairn takes wrangler, environment, storage)',
    );
    expect(() => cairnWorkflows({ storage: "postgres" as never })).toThrow(
      'storage must be "memory" or "file"',
    );
  });

  it("prefixes a file importing an unknown cloudflare:test export with the error naming it", () => {
    const plugin = cairnWorkflows();
    const code = 'import { env, type X, nope as other } from "cloudflare:test";\nit("x", () => {});';
    const result = plugin.transform(code, "/project/test/a.test.ts")!;
    expect(result.code.startsWith('throw new Error("cloudflare:test export \\"nope\\" is not provided')).toBe(
      true,
    );
    expect(result.code.endsWith(code)).toBe(true);
    expect(
      plugin.transform('import { env, SELF } from "cloudflare:test";', "/project/test/b.test.ts"),
    ).toBeUndefined();
  });
});

describe("unknownImports", () => {
  it("finds the names Cairn's cloudflare:test lacks, type-only imports aside", () => {
    expect(unknownImports('import { env, fetchMock } from "cloudflare:test";')).toEqual([]);
    expect(unknownImports("import type { Nope } from 'cloudflare:test';")).toEqual([]);
    expect(unknownImports('import cf, { env } from "cloudflare:test";')).toEqual(["default"]);
    expect(unknownImports('export { a, SELF as S } from "cloudflare:test";')).toEqual(["a"]);
    expect(unknownImports('import { x } from "cloudflare:workers";')).toEqual([]);
  });

  it("names the export and what Cairn provides", () => {
    expect(unsupportedMessage("reset")).toBe(
      'cloudflare:test export "reset" is not provided by Cairn: each test file already runs on its own throwaway store; ' +
        "dispose introspectors (await using) to delete the instances a test made. Cairn's cloudflare:test provides env, SELF, " +
        "createExecutionContext, waitOnExecutionContext, createScheduledController, introspectWorkflowInstance and introspectWorkflow.",
    );
    expect(() => fetchMock.activate()).toThrow('cloudflare:test export "fetchMock" is not provided by Cairn');
    expect(String(fetchMock[Symbol.toPrimitive])).toBe("undefined");
  });
});

describe("a test file's runtime", () => {
  it("runs the Worker on a SQLite file in a temporary folder, removed on close", async () => {
    const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith("cairn-vitest-")));
    let loads = 0;
    const worker = {
      Echo,
      default: {
        async fetch(
          request: Request,
          env: Record<string, any>,
          ctx: { waitUntil(p: Promise<unknown>): void },
        ) {
          const n = Number(new URL(request.url).searchParams.get("n"));
          const instance = await env.ECHO.create({ id: `echo-${n}`, params: { n } });
          ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 50)));
          return Response.json({ id: instance.id, greeting: env.GREETING });
        },
        async scheduled(controller: { cron: string; noRetry(): void }) {
          if (controller.cron === "fail") throw new Error("no");
          controller.noRetry();
        },
      },
    };
    const close = await startFile(options("file"), async () => {
      loads += 1;
      return worker;
    });
    const dirs = readdirSync(tmpdir()).filter((n) => n.startsWith("cairn-vitest-") && !before.has(n));
    expect(dirs).toHaveLength(1);
    const dir = join(tmpdir(), dirs[0]!);
    expect(existsSync(join(dir, "cairn.db"))).toBe(true);
    try {
      expect(loads).toBe(0);
      const response = await SELF.fetch("https://worker.example/?n=21");
      expect(await response.json()).toEqual({ id: "echo-21", greeting: "hello" });
      const instance = await (env as Record<string, any>).ECHO.get("echo-21");
      await expect.poll(async () => (await instance.status()).output, { timeout: 5_000 }).toBe(42);
      expect(await SELF.scheduled({ cron: "0 * * * *" })).toEqual({ outcome: "ok", noRetry: true });
      expect(await SELF.scheduled({ cron: "fail" })).toEqual({ outcome: "exception", noRetry: false });
      expect(loads).toBe(1);
    } finally {
      await close();
    }
    expect(existsSync(dir)).toBe(false);
    await expect(SELF.fetch("https://worker.example/")).rejects.toThrow(
      'SELF.fetch: there is no Worker for this test file. Is cairnWorkflows() from "cairn/vitest" in the plugins of the vitest config?',
    );
  });

  it("names a class_name the Worker does not export when the Worker loads", async () => {
    const close = await startFile(options("memory"), async () => ({
      default: { fetch: () => new Response() },
    }));
    try {
      await expect(SELF.fetch("https://worker.example/")).rejects.toThrow(
        'class_name "Echo" is not a class with a run() method exported by index.ts',
      );
    } finally {
      await close();
    }
  });
});

describe("execution contexts", () => {
  it("waits for every waitUntil, those added meanwhile too", async () => {
    const ctx = createExecutionContext();
    const done: string[] = [];
    ctx.waitUntil(
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, 10));
        done.push("first");
        ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 10)).then(() => done.push("second")));
      })(),
    );
    await waitOnExecutionContext(ctx);
    expect(done).toEqual(["first", "second"]);
  });

  it("rejects with the rejection, or an AggregateError for several", async () => {
    const one = createExecutionContext();
    one.waitUntil(Promise.reject(new Error("lost")));
    await expect(waitOnExecutionContext(one)).rejects.toThrow("lost");
    const two = createExecutionContext();
    two.waitUntil(Promise.reject(new Error("a")));
    two.waitUntil(Promise.reject(new Error("b")));
    await expect(waitOnExecutionContext(two)).rejects.toBeInstanceOf(AggregateError);
  });

  it("refuses a ctx it did not make", async () => {
    const foreign = { waitUntil() {}, passThroughOnException() {}, props: {} };
    await expect(waitOnExecutionContext(foreign)).rejects.toThrow(
      "waitOnExecutionContext: the argument is not an ExecutionContext made by createExecutionContext()",
    );
  });

  it("makes scheduled controllers", () => {
    const controller = createScheduledController({ scheduledTime: new Date(1000), cron: "* * * * *" });
    expect(controller).toMatchObject({ scheduledTime: 1000, cron: "* * * * *", type: "scheduled" });
  });
});
