// `npm run screenshots`: the dashboard's pictures in docs/images/, taken from a real `cairn dev`
// of the fixture project (test/fixtures/dashboard-project) on a fresh state: instances created
// through the explorer API with fixed ids and waited on until they settle, then Chromium at
// 1280×800 (light, and dark for two pages). Stops the server and removes its state at the end,
// also on failure. Needs Debian's Chromium (/usr/bin/chromium, or CAIRN_CHROMIUM).

import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const FIXTURE = join(ROOT, "test", "fixtures", "dashboard-project");
const OUT = join(ROOT, "docs", "images");
const CHROMIUM = process.env.CAIRN_CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];
const VIEWPORT = { width: 1280, height: 800 };
/** Pages taller than the viewport are shot whole, but never taller than this. */
const MAX_HEIGHT = 1600;

/** The instances, created oldest first (the list shows them newest first). */
const QUICK = Array.from({ length: 30 }, (_, i) => `order-${String(i + 1).padStart(4, "0")}`);
const WAITING = ["order-1001", "order-1002", "order-1003"];
const DONE = "order-1004";
const REFUND = "refund-2001";

/** Polls `check` every 200 ms until it answers a value, failing after `ms` with `what`. */
async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`gave up after ${ms} ms waiting for ${what}: ${last ?? ""}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `cairn dev` of a copy of the fixture on a fresh state; answers the dashboard's URL once ready. */
function startCairn(dir: string): { child: ChildProcess; ready: Promise<string>; output: () => string } {
  const project = join(dir, "project");
  cpSync(FIXTURE, project, { recursive: true });
  const args = [join(ROOT, "bin", "cairn.js"), "dev", project, "--port", "0", "--state", join(dir, "state")];
  const child = spawn(process.execPath, args, { cwd: project, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  let pending = "";
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        try {
          const log = JSON.parse(line) as { msg?: string; dashboard?: string };
          if (log.msg === "ready" && log.dashboard) resolve(log.dashboard);
        } catch {
          // Not a log line of ours.
        }
      }
    });
    child.on("exit", (code) => reject(new Error(`cairn dev exited (${code}) before it was ready:\n${out}`)));
  });
  // Its rejection once the server is stopped at the end is no failure.
  ready.catch(() => {});
  return { child, ready, output: () => out };
}

async function api<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}api/${path}`, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await response.json()) as { success: boolean; result: T; errors?: unknown };
  if (!response.ok || !json.success) throw new Error(`${method} ${path}: ${JSON.stringify(json.errors)}`);
  return json.result;
}

/** Creates the instances and waits until each has reached the state its picture needs. */
async function seed(base: string): Promise<void> {
  const create = (workflow: string, id: string, params: unknown) =>
    api(base, "POST", `workflows/${workflow}/instances`, { id, params });
  for (const [i, id] of QUICK.entries()) await create("orders", id, { skipWait: true, items: 1 + (i % 4) });
  for (const id of WAITING) await create("orders", id, { flaky: true, customer: `${id}@example.com` });
  await create("orders", DONE, { skipWait: true, customer: "grace@example.com", items: 3 });
  await create("refunds", REFUND, { amount: 42 });
  const want: Record<string, string> = { [DONE]: "complete" };
  for (const id of QUICK) want[id] = "complete";
  for (const id of WAITING) want[id] = "waiting";
  await until("the orders to settle", 60_000, async () => {
    const list = await api<{ id: string; status: string }[]>(
      base,
      "GET",
      "workflows/orders/instances?per_page=100",
    );
    const status = new Map(list.map((i) => [i.id, i.status]));
    return Object.entries(want).every(([id, s]) => status.get(id) === s) ? true : undefined;
  });
  await until("the refund to error", 30_000, async () => {
    const d = await api<{ status: string }>(base, "GET", `workflows/refunds/instances/${REFUND}`);
    return d.status === "errored" ? true : undefined;
  });
}

/** Opens `path` under the dashboard and waits for `selector` (and the change feed to be live). */
async function open(page: Page, base: string, path: string, selector: string): Promise<void> {
  await page.goto(`${base}${path}`);
  await page.locator(selector).first().waitFor({ state: "visible", timeout: 30_000 });
  await page.locator(".feed-live").waitFor({ state: "visible", timeout: 30_000 });
  await page.waitForLoadState("networkidle", { timeout: 5000 }).catch(() => {});
}

/** A PNG of the page, whole up to MAX_HEIGHT, or of the viewport alone (`viewportOnly`, for a modal). */
async function shoot(page: Page, name: string, viewportOnly = false): Promise<void> {
  // A modal's backdrop covers the viewport only: a taller picture would show the page bare below it.
  const height = viewportOnly
    ? VIEWPORT.height
    : await page.evaluate(() => (globalThis as any).document.documentElement.scrollHeight as number);
  const clip = {
    x: 0,
    y: 0,
    width: VIEWPORT.width,
    height: Math.min(Math.max(height, VIEWPORT.height), MAX_HEIGHT),
  };
  await page.screenshot({ path: join(OUT, name), fullPage: !viewportOnly, clip, animations: "disabled" });
  console.log(`docs/images/${name} (${clip.height} px high)`);
}

async function pictures(browser: Browser, base: string): Promise<void> {
  const instance = `workflows/orders/instances/${WAITING[0]}`;
  for (const scheme of ["light", "dark"] as const) {
    const context = await browser.newContext({ viewport: VIEWPORT, colorScheme: scheme });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    const suffix = scheme === "dark" ? "-dark" : "";
    await open(page, base, "", ".workflow-cards .card figure.activity");
    await shoot(page, `dashboard-overview${suffix}.png`);
    await open(page, base, instance, ".timeline .timeline-row");
    await shoot(page, `dashboard-instance${suffix}.png`);
    if (scheme === "light") {
      await open(page, base, "workflows/orders", "table.instances tbody tr");
      await shoot(page, "dashboard-instances.png");
      await page.getByRole("button", { name: "Trigger instance" }).click();
      await page.locator("dialog[open]").waitFor({ state: "visible" });
      await shoot(page, "dashboard-trigger.png", true);
      await open(page, base, `${instance}?step=do%3A1%3Acharge`, ".step-detail table.attempts tbody tr");
      await shoot(page, "dashboard-step.png");
      await open(page, base, `workflows/refunds/instances/${REFUND}`, ".timeline .timeline-row");
      await shoot(page, "dashboard-errored.png");
    }
    await context.close();
    if (errors.length > 0) throw new Error(`the dashboard threw: ${errors.join("; ")}`);
  }
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not at ${CHROMIUM} (apt-get install chromium)`);
  mkdirSync(OUT, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), "cairn-screenshots-"));
  let cairn: ReturnType<typeof startCairn> | undefined;
  let browser: Browser | undefined;
  try {
    cairn = startCairn(dir);
    const base = await Promise.race([
      cairn.ready,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("cairn dev not ready in 60 s")), 60_000),
      ),
    ]);
    console.log(`cairn dev ready: ${base}`);
    await seed(base);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    await pictures(browser, base);
  } catch (error) {
    if (cairn) console.error(`--- cairn dev output ---\n${cairn.output()}`);
    throw error;
  } finally {
    await browser?.close().catch(() => {});
    if (cairn && cairn.child.exitCode === null) {
      const exited = new Promise((resolve) => cairn!.child.once("exit", resolve));
      cairn.child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (cairn.child.exitCode === null) cairn.child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
