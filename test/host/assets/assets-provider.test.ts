// Unit: the assets provider's routing between the assets and the Worker, in process with a real
// folder and a stand-in Worker that records its calls: navigations and compatibility dates,
// a Worker without a fetch handler, run_worker_first, and the binding put into env.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { type AssetsBinding, assetsProvider } from "../../../src/host/assets/assets-provider.js";
import type { ProjectConfig } from "../../../src/host/config.js";
import type { BindingProvider, ProviderContext } from "../../../src/host/project-bindings.js";
import type { WorkerModule } from "../../../src/host/worker-module.js";

const dir = mkdtempSync(join(tmpdir(), "cairn-assets-provider-"));
mkdirSync(join(dir, "dist"));
writeFileSync(join(dir, "dist", "index.html"), "app");
writeFileSync(join(dir, "dist", "logo.svg"), "<svg/>");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Setup = { assets?: Record<string, unknown>; date?: string; withFetch?: boolean; lines?: string[] };

async function provider({
  assets,
  date = "2025-09-01",
  withFetch = true,
  lines = [],
}: Setup): Promise<BindingProvider | null> {
  const module: WorkerModule = {
    fetch: withFetch ? async () => new Response("worker") : null,
    scheduled: null,
    queue: null,
    classes: {},
    exports: {},
  };
  const config = {
    main: join(dir, "src", "index.js"),
    path: join(dir, "wrangler.json"),
    dir,
    raw: assets === undefined ? {} : { assets },
    compatibility: { date, flags: [] },
  } as unknown as ProjectConfig;
  const context = {
    config,
    log: pino({ level: "warn" }, { write: (line: string) => lines.push(line) }),
    module: () => module,
  } as unknown as ProviderContext;
  return assetsProvider(context);
}

/** What answers `path`: "worker", or the asset server's status and body. */
async function route(p: BindingProvider, path: string, headers: Record<string, string> = {}, method = "GET") {
  let workerCalls = 0;
  const response = await p.fetch!(new Request(`http://localhost${path}`, { headers, method }), async () => {
    workerCalls += 1;
    return new Response("worker");
  });
  return workerCalls > 0 ? "worker" : `${response.status} ${await response.text()}`;
}

const spa = { directory: "dist", not_found_handling: "single-page-application", binding: "ASSETS" };
const navigation = { "Sec-Fetch-Mode": "navigate" };

describe("assets provider routing", () => {
  it("is not made for a config without an assets section", async () => {
    expect(await provider({})).toBeNull();
  });

  it("serves assets without the Worker and sends misses to it", async () => {
    const p = (await provider({ assets: spa }))!;
    expect(await route(p, "/logo.svg")).toBe("200 <svg/>");
    expect(await route(p, "/missing")).toBe("worker");
    expect(await route(p, "/missing", navigation)).toBe("200 app");
  });

  it("sends navigations to the Worker before compatibility date 2025-04-01", async () => {
    const p = (await provider({ assets: spa, date: "2025-03-31" }))!;
    expect(await route(p, "/missing", navigation)).toBe("worker");
    expect(await route(p, "/logo.svg", navigation)).toBe("200 <svg/>");
  });

  it("applies not_found_handling to every miss when the Worker has no fetch handler", async () => {
    const p = (await provider({ assets: { ...spa, run_worker_first: true }, withFetch: false }))!;
    expect(await route(p, "/missing")).toBe("200 app");
    expect(await route(p, "/logo.svg")).toBe("200 <svg/>");
  });

  it("warns that run_worker_first true without a binding leaves the Worker no way to the assets", async () => {
    const lines: string[] = [];
    await provider({ assets: { directory: "dist", run_worker_first: true }, lines });
    expect(lines.join("")).toContain("run_worker_first=true without an assets binding");
    const quiet: string[] = [];
    await provider({ assets: { ...spa, run_worker_first: true }, lines: quiet });
    expect(quiet).toEqual([]);
  });

  it("sends everything to the Worker with run_worker_first true", async () => {
    const p = (await provider({ assets: { ...spa, run_worker_first: true } }))!;
    expect(await route(p, "/logo.svg")).toBe("worker");
    expect(await route(p, "/missing", navigation)).toBe("worker");
  });

  it("puts the binding into env; it serves assets whatever run_worker_first says", async () => {
    const p = (await provider({ assets: { ...spa, run_worker_first: true } }))!;
    const binding = p.bindings.ASSETS as AssetsBinding;
    expect(await (await binding.fetch("http://any.host/logo.svg")).text()).toBe("<svg/>");
    expect(await (await binding.fetch(new URL("http://any.host/deep/link"))).text()).toBe("app");
    await expect(binding.fetch("/relative")).rejects.toThrow(TypeError);
    expect(Object.keys((await provider({ assets: { directory: "dist" } }))!.bindings)).toEqual([]);
  });
});
