// Test helper: Debian's Chromium driven by playwright-core (never a browser a tool downloads).
// Without Chromium the dashboard's tests are skipped with a message saying how to install it,
// except in CI, where a missing browser fails the run. Pages record every request that leaves
// the server under test, so a test can prove the dashboard loads nothing from elsewhere.

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { describe } from "vitest";

export const CHROMIUM = process.env.CAIRN_CHROMIUM ?? "/usr/bin/chromium";
export const browserAvailable = existsSync(CHROMIUM);

const MISSING = `Chromium is not at ${CHROMIUM}: install it with \`apt-get install chromium\` (or set CAIRN_CHROMIUM)`;

/** `describe` when Chromium is there; a skipped suite with the install hint when not (a failure in CI). */
export function describeWithBrowser(
  name: string,
  options: Parameters<typeof describe>[1],
  body: () => void,
): void {
  if (browserAvailable) {
    describe(name, options as never, body);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      throw new Error(`${MISSING}. CI needs the browser: .ci/run installs it.`);
    });
    return;
  }
  console.warn(`skipping "${name}": ${MISSING}`);
  describe.skip(name, body);
}

/** Flags for a sandboxed CI machine with no network beyond loopback. */
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

/** How long a page may take to show what a test waits for. */
export const UI_TIMEOUT = 10_000;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

export type WatchedContext = {
  context: BrowserContext;
  /** Requests to any origin other than the server's. */
  foreignRequests: string[];
  /** Uncaught page errors and console errors. */
  pageErrors: string[];
  newPage(): Promise<Page>;
};

/**
 * A fresh browser context (its own cookies) for `origin`, watching what its pages request. Its
 * waits (waitFor, waitForURL, a click's wait for its target) give up after UI_TIMEOUT.
 */
export async function watchedContext(
  browser: Browser,
  origin: string,
  options: { colorScheme?: "light" | "dark" } = {},
): Promise<WatchedContext> {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? "light",
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(UI_TIMEOUT);
  context.setDefaultNavigationTimeout(UI_TIMEOUT);
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];
  const allowed = new URL(origin).origin;
  const watch = (page: Page) => {
    page.on("request", (request) => {
      const url = request.url();
      if (url.startsWith("data:") || url.startsWith("blob:")) return;
      if (new URL(url).origin !== allowed) foreignRequests.push(url);
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      // A refused request (a 4xx the test asked for) is logged by the browser; page code errors are not.
      if (message.type() === "error" && !/Failed to load resource/.test(message.text())) {
        pageErrors.push(message.text());
      }
    });
  };
  context.on("page", watch);
  return {
    context,
    foreignRequests,
    pageErrors,
    newPage: () => context.newPage(),
  };
}

const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
let axeSource: string | undefined;

export type AxeViolation = { id: string; impact: string; help: string; nodes: string[] };

/**
 * Runs axe-core in the page and answers its serious and critical findings. axe-core is evaluated
 * through the DevTools protocol, which the dashboard's CSP (no inline script) does not govern;
 * a <script> tag added to the page would be refused.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(axePath, "utf8");
  if (!(await page.evaluate(() => "axe" in globalThis))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // Runs in the page: `globalThis` is its window, where axe-core put itself.
    const page = globalThis as unknown as {
      axe: { run: (context: unknown, options: unknown) => Promise<any> };
      document: unknown;
    };
    const result = await page.axe.run(page.document, { resultTypes: ["violations"] });
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n: any) => `${n.target.join(" ")}: ${n.failureSummary}`),
    }));
  });
  return (violations as AxeViolation[]).filter((v) => v.impact === "serious" || v.impact === "critical");
}
